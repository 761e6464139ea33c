// foldback register / unregister: add or remove an instance in the user (or system) root.
#include <fmt/format.h>
#include <toml++/toml.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "common.hpp"
#include "registry/registry.hpp"

namespace foldback::cli {

void addRegister(CLI::App& app) {
    static std::string name, driver, description, device;
    static bool system = false;
    auto* reg = app.add_subcommand("register", "Register a driver instance under a name");
    reg->footer(
        "Writes <root>/NAME/{driver,description} (and config.toml with --device) in the user root\n"
        "(~/.config/foldback/drivers) or, with --system, in /etc/foldback/drivers.\n"
        "Examples:\n"
        "  foldback register my-loop "
        "/usr/lib/x86_64-linux-gnu/foldback/drivers/foldback-loopback.so\n"
        "  foldback register studio /usr/lib/x86_64-linux-gnu/foldback/drivers/foldback-alsa.so "
        "--device hw:USB");
    reg->add_option("name", name, "Instance name: at most 31 bytes, no '/', no leading '.'")
        ->required();
    reg->add_option("driver", driver, "Path of the driver .so")
        ->required()
        ->check(CLI::ExistingFile);
    reg->add_option("--description", description, "One line shown by `foldback list`");
    reg->add_option("--device", device,
                    "The device this instance opens (written as device = \"...\")");
    reg->add_flag("--system", system, "Write to /etc/foldback/drivers (needs root)");
    reg->callback([] {
        try {
            const auto dir = registry::registerInstance(
                name, std::filesystem::absolute(driver), description.empty() ? name : description,
                system ? registry::Scope::System : registry::Scope::User);
            if (!device.empty()) {
                toml::table t{{"device", device}};
                std::ofstream(dir / "config.toml") << t << "\n";
            }
            std::cout << fmt::format("registered '{}' in {}\n", name, dir.string());
        } catch (const std::exception& e) {
            error(e.what());
            throw kDriverError;
        }
    });

    static std::string uname;
    static bool usystem = false;
    auto* unreg = app.add_subcommand("unregister", "Remove a registered instance");
    unreg->footer(
        "Examples:\n  foldback unregister my-loop\n  sudo foldback unregister studio --system");
    unreg->add_option("name", uname, "Instance name")->required();
    unreg->add_flag("--system", usystem, "Remove from /etc/foldback/drivers (needs root)");
    unreg->callback([] {
        try {
            registry::unregisterInstance(uname,
                                         usystem ? registry::Scope::System : registry::Scope::User);
            std::cout << fmt::format("unregistered '{}'\n", uname);
        } catch (const std::exception& e) {
            error(e.what());
            throw kDriverError;
        }
    });
}

}  // namespace foldback::cli
