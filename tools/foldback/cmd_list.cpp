// foldback list: registered instances with their availability, then devices that drivers
// can see but no instance names yet.
#include <fmt/format.h>
#include <toml++/toml.h>

#include <filesystem>
#include <iostream>
#include <set>
#include <sstream>

#include "common.hpp"
#include "foldback/host.hpp"
#include "host/loader.hpp"
#include "registry/registry.hpp"

namespace foldback::cli {

namespace {

const char* rootName(registry::RootKind k) {
    switch (k) {
        case registry::RootKind::Env:
            return "FOLDBACK_DRIVER_PATH";
        case registry::RootKind::User:
            return "user";
        case registry::RootKind::System:
            return "system";
        case registry::RootKind::CwAsio:
            return "cwASIO";
        case registry::RootKind::BuiltIn:
            return "built-in";
    }
    return "?";
}

struct Probe {
    bool ok = false;
    std::string status;
    long inputs = 0, outputs = 0;
    double rate = 0;
};

Probe probe(const std::string& name) {
    Probe p;
    try {
        Driver d = Driver::load(name);
        p.inputs = d.inputCount();
        p.outputs = d.outputCount();
        p.rate = d.sampleRate();
        p.ok = true;
        p.status = fmt::format("ok: {} in, {} out, {:g} Hz", p.inputs, p.outputs, p.rate);
    } catch (const std::exception& e) {
        p.status = fmt::format("unavailable: {}", e.what());
    }
    return p;
}

struct Found {
    std::string driver, id, description;
    long inputs = 0, outputs = 0;
    std::string registeredAs;
};

std::vector<std::string> driverFiles(const std::vector<registry::Entry>& entries) {
    std::set<std::string> files;
    std::set<std::filesystem::path> dirs;
    std::stringstream ss(FOLDBACK_DRIVER_DIRS);
    for (std::string d; std::getline(ss, d, ':');) dirs.insert(d);
    for (const auto& e : entries)
        if (e.problem.empty()) {
            files.insert(e.driverPath);
            dirs.insert(std::filesystem::path(e.driverPath).parent_path());
        }
    for (const auto& dir : dirs) {
        std::error_code ec;
        for (const auto& f : std::filesystem::directory_iterator(dir, ec))
            if (f.path().extension() == ".so" &&
                f.path().filename().string().rfind("foldback-", 0) == 0)
                files.insert(std::filesystem::canonical(f.path(), ec).string());
    }
    return {files.begin(), files.end()};
}

std::vector<Found> discover(const std::vector<registry::Entry>& entries) {
    std::vector<Found> out;
    for (const auto& file : driverFiles(entries)) {
        try {
            auto lib = host::openLibraryFile(file, std::filesystem::path(file).stem().string());
            FoldbackDriver* d = lib.instantiate();
            if (!d) continue;
            std::vector<FoldbackDevice> devices(64);
            FoldbackDeviceList list{devices.data(), static_cast<long>(devices.size()), 0};
            const ASIOError r = d->lpVtbl->future(d, kFoldbackListDevices, &list);
            d->lpVtbl->release(d);
            if (r != ASE_SUCCESS) continue;
            for (long i = 0; i < list.count && i < list.capacity; ++i) {
                Found f;
                f.driver = file;
                f.id = devices[static_cast<std::size_t>(i)].id;
                f.description = devices[static_cast<std::size_t>(i)].description;
                f.inputs = devices[static_cast<std::size_t>(i)].inputs;
                f.outputs = devices[static_cast<std::size_t>(i)].outputs;
                // An instance names a device with `device = "<id>"` in its config.
                for (const auto& e : entries) {
                    if (e.driverPath != file) continue;
                    try {
                        auto t = toml::parse(registry::readConfig(e.name));
                        bool named = false;
                        t.for_each([&](const toml::key&, const toml::node& n) {
                            if (const auto* sec = n.as_table())
                                if (auto v = (*sec)["device"].value<std::string>(); v && *v == f.id)
                                    named = true;
                        });
                        if (auto v = t["device"].value<std::string>(); v && *v == f.id)
                            named = true;
                        if (named) f.registeredAs = e.name;
                    } catch (...) {
                    }
                }
                out.push_back(f);
            }
        } catch (const std::exception&) {
            // A file that is not a driver is not a device source.
        }
    }
    return out;
}

void run(bool json) {
    const auto entries = registry::list();
    std::vector<Probe> probes;
    for (const auto& e : entries)
        probes.push_back(e.problem.empty() ? probe(e.name) : Probe{false, "refused: " + e.problem});
    const auto found = discover(entries);

    if (json) {
        toml::table root;
        toml::array inst;
        for (std::size_t i = 0; i < entries.size(); ++i) {
            const auto& e = entries[i];
            toml::table t{{"name", e.name},
                          {"description", e.description},
                          {"root", rootName(e.root)},
                          {"directory", e.dir.string()},
                          {"driver", e.driverPath},
                          {"available", probes[i].ok},
                          {"status", probes[i].status}};
            if (probes[i].ok) {
                t.insert("inputs", probes[i].inputs);
                t.insert("outputs", probes[i].outputs);
                t.insert("sample_rate", probes[i].rate);
            }
            inst.push_back(std::move(t));
        }
        root.insert("instances", std::move(inst));
        toml::array dev;
        for (const auto& f : found)
            if (f.registeredAs.empty())
                dev.push_back(toml::table{{"driver", f.driver},
                                          {"id", f.id},
                                          {"description", f.description},
                                          {"inputs", f.inputs},
                                          {"outputs", f.outputs}});
        root.insert("unregistered_devices", std::move(dev));
        printJson(root);
        return;
    }
    std::cout << "Registered instances:\n";
    if (entries.empty())
        std::cout << "  (none) register one with `foldback register NAME /path/driver.so`\n";
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const auto& e = entries[i];
        std::cout << fmt::format("  {:<20} {:<9} {}\n", e.name, rootName(e.root),
                                 e.description.empty() ? "(no description)" : e.description);
        std::cout << fmt::format("  {:<20} {:<9} {}\n", "", "", probes[i].status);
    }
    std::cout << "\nDevices the drivers see that no instance names yet:\n";
    std::size_t shown = 0;
    for (const auto& f : found) {
        if (!f.registeredAs.empty()) continue;
        ++shown;
        std::cout << fmt::format(
            "  {:<28} {}\n  {:<28} register: foldback register NAME {} --device {}\n", f.id,
            f.description, "", f.driver, f.id);
    }
    if (!shown) std::cout << "  (none)\n";
}

}  // namespace

void addList(CLI::App& app) {
    auto* cmd = app.add_subcommand(
        "list", "Registered instances, whether each can be used, and unregistered devices");
    cmd->footer("Examples:\n  foldback list\n  foldback list --json");
    static bool json = false;
    cmd->add_flag("--json", json, "Print JSON");
    cmd->callback([] { run(json); });
}

}  // namespace foldback::cli
