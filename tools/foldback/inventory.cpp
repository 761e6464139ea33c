#include "inventory.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <filesystem>
#include <set>
#include <sstream>
#include <vector>

#include "foldback/host.hpp"
#include "host/loader.hpp"

namespace foldback::cli {

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

std::vector<Found> discover(const std::vector<std::string>& files,
                            const std::vector<registry::Entry>& entries) {
    std::vector<Found> out;
    for (const auto& file : files) {
        try {
            auto lib = host::openLibraryFile(file, std::filesystem::path(file).stem().string());
            // Kept loaded until the process ends (never dlclosed): the libraries a driver
            // pulls in to look for devices (alsa-lib, libpipewire) keep global state, and
            // unloading them orphans it (LeakSanitizer reports it as leaked). Instances
            // loaded later share the handle (the loader caches it by path).
            static auto* const kept = new std::vector<host::LibraryHandle>;
            kept->push_back(lib.handle);
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

}  // namespace foldback::cli
