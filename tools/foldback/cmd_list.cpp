// foldback list: registered instances with their availability, then devices that drivers
// can see but no instance names yet.
#include <fmt/format.h>
#include <toml++/toml.h>

#include <iostream>

#include "common.hpp"
#include "inventory.hpp"
#include "registry/registry.hpp"

namespace foldback::cli {

namespace {

void run(bool json) {
    const auto entries = registry::list();
    std::vector<Probe> probes;
    for (const auto& e : entries)
        probes.push_back(e.problem.empty() ? probe(e.name) : Probe{false, "refused: " + e.problem});
    const auto found = discover(driverFiles(entries), entries);

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
