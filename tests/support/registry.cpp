#include "support/registry.hpp"

#include <dlfcn.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace foldback::testsupport {

namespace fs = std::filesystem;

namespace {

std::string gSandbox;
const char* gKeepEnv = nullptr;

void removeSandbox() {
    std::error_code ec;
    if (!gSandbox.empty() && !(gKeepEnv && ::getenv(gKeepEnv))) fs::remove_all(gSandbox, ec);
}

void useSandbox(const std::string& dir) {
    gSandbox = dir;
    fs::create_directories(fs::path(dir) / "drivers");
    fs::create_directories(fs::path(dir) / "xdg");
    ::setenv("FOLDBACK_DRIVER_PATH", (fs::path(dir) / "drivers").c_str(), 1);
    ::setenv("XDG_CONFIG_HOME", (fs::path(dir) / "xdg").c_str(), 1);
}

}  // namespace

const std::string& sandbox(const SandboxOptions& options) {
    static const bool made = [&options] {
        if (options.adoptEnv) {
            if (const char* given = ::getenv(options.adoptEnv); given && *given) {
                useSandbox(given);
                return true;
            }
        }
        std::string tmpl =
            (fs::temp_directory_path() / (std::string(options.prefix) + "XXXXXX")).string();
        if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
        ::chmod(tmpl.c_str(), 0755);
        useSandbox(tmpl);
        gKeepEnv = options.keepEnv;
        std::atexit(&removeSandbox);
        return true;
    }();
    (void)made;
    return gSandbox;
}

std::string writeInstance(const std::string& root, const std::string& name,
                          const std::string& driverSo, const std::string& description,
                          const std::string& configToml, bool writeEmpty) {
    const fs::path dir = fs::path(root) / "drivers" / name;
    fs::create_directories(dir);
    std::ofstream(dir / "driver") << driverSo << "\n";
    std::ofstream(dir / "description") << description << "\n";
    std::error_code ec;
    if (configToml.empty() && !writeEmpty)
        fs::remove(dir / "config.toml", ec);
    else
        std::ofstream(dir / "config.toml") << configToml;
    return name;
}

FoldbackInstantiateFn openFactory(const char* driverSo) {
    void* lib = ::dlopen(driverSo, RTLD_NOW | RTLD_LOCAL);
    return lib ? reinterpret_cast<FoldbackInstantiateFn>(::dlsym(lib, "instantiateDriver"))
               : nullptr;
}

FoldbackInstantiateFn loadFactory(const char* driverSo, const char* what) {
    void* lib = ::dlopen(driverSo, RTLD_NOW | RTLD_LOCAL);
    if (!lib) throw std::runtime_error(std::string("dlopen: ") + ::dlerror());
    auto f = reinterpret_cast<FoldbackInstantiateFn>(::dlsym(lib, "instantiateDriver"));
    if (!f) throw std::runtime_error(std::string(what) + " exports no instantiateDriver");
    return f;
}

}  // namespace foldback::testsupport
