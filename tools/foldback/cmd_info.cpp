// foldback info NAME: everything a host would ask the driver, as text or JSON.
#include <fmt/format.h>
#include <toml++/toml.h>

#include <iostream>

#include "common.hpp"
#include "convert/convert.hpp"
#include "foldback/host.hpp"
#include "registry/registry.hpp"

namespace foldback::cli {

namespace {

const double kProbeRates[] = {8000,  11025, 16000,  22050,  32000,  44100, 48000,
                              88200, 96000, 176400, 192000, 352800, 384000};

toml::table channelTable(const ChannelInfo& c) {
    return toml::table{{"channel", c.channel},
                       {"name", c.name},
                       {"group", c.group},
                       {"type", std::string(convert::sampleTypeName(c.type))},
                       {"type_value", c.type}};
}

void run(const std::string& name, bool json) {
    std::unique_ptr<Driver> d;
    try {
        d = std::make_unique<Driver>(Driver::load(name));
    } catch (const std::exception& e) {
        error(e.what());
        throw kDriverError;
    }
    const auto entry = registry::find(name);
    long inOffset = 0, outOffset = 0;
    try {
        auto cfg = toml::parse(registry::readConfig(name));
        inOffset = cfg["latency"]["input_offset"].value_or(0L);
        outOffset = cfg["latency"]["output_offset"].value_or(0L);
    } catch (...) {
    }
    const auto ins = d->channels(true), outs = d->channels(false);
    const auto sizes = d->bufferSizes();
    const auto rates = d->supportedRates(kProbeRates);
    const auto lat = d->latencies();
    const auto clocks = d->clockSources();

    if (json) {
        toml::array ia, oa, ra, ca;
        for (const auto& c : ins) ia.push_back(channelTable(c));
        for (const auto& c : outs) oa.push_back(channelTable(c));
        for (double r : rates) ra.push_back(r);
        for (const auto& c : clocks)
            ca.push_back(toml::table{{"index", c.index}, {"name", c.name}, {"current", c.current}});
        toml::table t{
            {"name", name},
            {"driver_name", d->driverName()},
            {"driver_version", d->driverVersion()},
            {"description", entry ? entry->description : ""},
            {"driver", entry ? entry->driverPath : ""},
            {"config", registry::configPathForWrite(name).string()},
            {"inputs", std::move(ia)},
            {"outputs", std::move(oa)},
            {"sample_rate", d->sampleRate()},
            {"sample_rates", std::move(ra)},
            {"buffer_sizes", toml::table{{"min", sizes.min},
                                         {"max", sizes.max},
                                         {"preferred", sizes.preferred},
                                         {"granularity", sizes.granularity}}},
            {"latency", toml::table{{"input", lat.input},
                                    {"output", lat.output},
                                    {"buffer_size", sizes.preferred},
                                    {"input_offset", inOffset},
                                    {"output_offset", outOffset}}},
            {"clock_sources", std::move(ca)},
            {"output_ready", d->outputReadySupported()},
            {"time_info", d->supportsTimeInfo()},
            {"reports_overload", d->canReportOverload()},
        };
        printJson(t);
        return;
    }
    std::cout << fmt::format("{} ({} version {})\n", name, d->driverName(), d->driverVersion());
    if (entry) std::cout << fmt::format("  driver      {}\n", entry->driverPath);
    std::cout << fmt::format("  settings    {}\n", registry::configPathForWrite(name).string());
    std::string rs;
    for (double r : rates) rs += fmt::format("{}{:g}", rs.empty() ? "" : ", ", r);
    std::cout << fmt::format("  rate        {:g} Hz (supports {})\n", d->sampleRate(), rs);
    std::cout << fmt::format("  buffer      min {} max {} preferred {} granularity {}\n", sizes.min,
                             sizes.max, sizes.preferred, sizes.granularity);
    std::cout << fmt::format(
        "  latency     input {} + output {} frames at {} frames{}\n", lat.input, lat.output,
        sizes.preferred,
        inOffset || outOffset
            ? fmt::format(" (includes calibrated offsets {} / {})", inOffset, outOffset)
            : "");
    std::cout << fmt::format("  features    outputReady {}, time info {}, overload reports {}\n",
                             d->outputReadySupported() ? "yes" : "no",
                             d->supportsTimeInfo() ? "yes" : "no",
                             d->canReportOverload() ? "yes" : "no");
    for (const auto& c : clocks)
        std::cout << fmt::format("  clock       {} {}{}\n", c.index, c.name,
                                 c.current ? " (current)" : "");
    for (const auto* list : {&ins, &outs}) {
        std::cout << fmt::format("  {} channels ({}):\n", list == &ins ? "input" : "output",
                                 list->size());
        for (const auto& c : *list)
            std::cout << fmt::format("    {:>3}  {:<32} group {}  {}\n", c.channel, c.name, c.group,
                                     convert::sampleTypeName(c.type));
    }
}

}  // namespace

void addInfo(CLI::App& app) {
    auto* cmd = app.add_subcommand(
        "info", "Channels, rates, buffer sizes, latencies and features of an instance");
    cmd->footer(
        "Examples:\n  foldback info loopback\n  foldback info loopback --json | jq .latency");
    static std::string name;
    static bool json = false;
    cmd->add_option("name", name, "Instance name (see `foldback list`)")->required();
    cmd->add_flag("--json", json, "Print JSON");
    cmd->callback([] { run(name, json); });
}

}  // namespace foldback::cli
