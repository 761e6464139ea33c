// foldback certify NAME: the conformance suite (tests/conformance) against an instance.
#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <sstream>

#include "common.hpp"
#include "conformance.hpp"
#include "host/loader.hpp"
#include "registry/registry.hpp"

namespace foldback::cli {

namespace {

void run(const std::string& name, double seconds, long bufferSize,
         const std::vector<std::string>& loops, bool json, bool verbose) {
    host::LoadedLibrary lib;
    try {
        lib = host::openLibrary(name);
    } catch (const std::exception& e) {
        error(e.what());
        throw kDriverError;
    }
    conformance::Options o;
    o.instanceName = name;
    o.instantiate = [&lib]() -> FoldbackDriver* { return lib.instantiate(); };
    o.streamSeconds = seconds;
    o.bufferSize = bufferSize;
    o.verbose = verbose;
    for (const auto& l : loops) {
        long out = 0, in = 0;
        if (std::sscanf(l.c_str(), "%ld:%ld", &out, &in) != 2) {
            error(fmt::format("--loop {}: expected OUT:IN, e.g. --loop 0:0", l));
            throw kUsage;
        }
        o.loop.emplace_back(out, in);
    }
    try {
        o.configToml = registry::readConfig(name);
    } catch (const std::exception& e) {
        error(e.what());
        throw kDriverError;
    }
    std::ostringstream quiet;
    const auto report = conformance::run(o, json ? static_cast<std::ostream&>(quiet) : std::cerr);
    if (json)
        conformance::printJson(report, std::cout);
    else
        conformance::printText(report, std::cout);
    if (!report.passed()) throw kCheckFailed;
}

}  // namespace

void addCertify(CLI::App& app) {
    static std::string name;
    static double seconds = 3.0;
    static long bufferSize = 0;
    static std::vector<std::string> loops;
    static bool json = false, verbose = false;
    auto* cmd = app.add_subcommand(
        "certify", "Run the conformance suite (docs/errors.md) against an instance");
    cmd->footer(
        "Checks every method in every state, hostile arguments, and a timed stream (index, "
        "position,\n"
        "time stamps, rate, no callback after stop, round trip == reported latency on a loop).\n"
        "The loop map comes from --loop or the instance's [certify] loop setting "
        "(docs/certify.md).\n"
        "Exit status 0 when every spec row passes.\n"
        "Examples:\n"
        "  foldback certify loopback\n"
        "  foldback certify studio --loop 0:0 --seconds 10 --buffer-size 64 --json");
    cmd->add_option("name", name, "Instance name")->required();
    cmd->add_option("--seconds", seconds, "Length of the timed stream")
        ->check(CLI::Range(0.5, 3600.0));
    cmd->add_option("--buffer-size", bufferSize, "Buffer size (default: the driver's preferred)");
    cmd->add_option("--loop", loops,
                    "OUT:IN output channel that returns on input channel (repeatable)");
    cmd->add_flag("--json", json, "Print the report as JSON");
    cmd->add_flag("--verbose", verbose, "Print each check as it runs");
    cmd->callback([] { run(name, seconds, bufferSize, loops, json, verbose); });
}

}  // namespace foldback::cli
