// A private registry for one test: FOLDBACK_DRIVER_PATH and XDG_CONFIG_HOME point into a
// temporary directory, so nothing outside it is read or written.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

struct Sandbox {
    std::filesystem::path root;
    Sandbox() {
        char tmpl[] = "/tmp/foldback-host-test-XXXXXX";
        root = mkdtemp(tmpl);
        std::filesystem::create_directories(root / "drivers");
        std::filesystem::create_directories(root / "xdg");
        setenv("FOLDBACK_DRIVER_PATH", (root / "drivers").c_str(), 1);
        setenv("XDG_CONFIG_HOME", (root / "xdg").c_str(), 1);
    }
    ~Sandbox() {
        unsetenv("FOLDBACK_DRIVER_PATH");
        unsetenv("XDG_CONFIG_HOME");
        std::error_code ec;
        std::filesystem::remove_all(root, ec);
    }
    // Registers the loopback under name with the given config.toml text.
    std::filesystem::path add(const std::string& name, const std::string& config = "") {
        auto dir = root / "drivers" / name;
        std::filesystem::create_directories(dir);
        std::ofstream(dir / "driver") << FOLDBACK_TEST_LOOPBACK_SO << "\n";
        std::ofstream(dir / "description") << "test loopback\n";
        if (!config.empty()) std::ofstream(dir / "config.toml") << config;
        return dir;
    }
};
