// What `list` and `doctor` both need: each registered instance loaded and asked for its
// figures, and the devices every driver file can see (kFoldbackListDevices).
#pragma once

#include <string>
#include <vector>

#include "registry/registry.hpp"

namespace foldback::cli {

// "user", "system", ... for a root.
const char* rootName(registry::RootKind k);

// An instance loaded and initialized (Driver::load) and released again.
struct Probe {
    bool ok = false;
    std::string status;  // "ok: 8 in, 8 out, 48000 Hz" or "unavailable: <loader's/driver's text>"
    long inputs = 0, outputs = 0;
    double rate = 0;
};
Probe probe(const std::string& name);

// A device a driver file lists, and the instance whose config names it (if any).
struct Found {
    std::string driver, id, description;
    long inputs = 0, outputs = 0;
    std::string registeredAs;
};

// The driver files to ask: the built-in driver directories, plus every registered entry's
// driver and the foldback-*.so files beside it.
std::vector<std::string> driverFiles(const std::vector<registry::Entry>& entries);

// The devices each of `files` lists, in file order. The driver files stay loaded until
// the process ends.
std::vector<Found> discover(const std::vector<std::string>& files,
                            const std::vector<registry::Entry>& entries);

}  // namespace foldback::cli
