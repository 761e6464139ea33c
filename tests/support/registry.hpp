// A private registry for a test process: a temp directory with drivers/ (the only
// FOLDBACK_DRIVER_PATH root) and xdg/ (XDG_CONFIG_HOME, empty: no overlay from ~ leaks in),
// and the driver module loaded the way a host loads it.
#pragma once

#include <string>

#include "foldback/driver.h"

namespace foldback::testsupport {

struct SandboxOptions {
    // <tmp>/<prefix>XXXXXX
    const char* prefix = "foldback-test-";
    // When this variable names a folder, that folder is used (and left alone at exit): a
    // child host shares its parent's registry.
    const char* adoptEnv = nullptr;
    // When this variable is set, the sandbox is kept at exit (for a look afterwards).
    const char* keepEnv = nullptr;
};

// The process's sandbox: made and exported on the first call (with those options), removed
// at exit. Later calls return it, whatever their options.
const std::string& sandbox(const SandboxOptions& options);

// Writes <root>/drivers/<name>/{driver,description,config.toml}; returns name. An empty
// configToml writes an empty config.toml, or none (and removes one) with writeEmpty false.
std::string writeInstance(const std::string& root, const std::string& name,
                          const std::string& driverSo, const std::string& description,
                          const std::string& configToml, bool writeEmpty = true);

// dlopen (RTLD_NOW | RTLD_LOCAL, never closed: a driver never unloads under a host that may
// still hold its threads) and its instantiateDriver; null when either fails (dlerror()).
FoldbackInstantiateFn openFactory(const char* driverSo);
// The same, throwing std::runtime_error "<what> exports no instantiateDriver" or the
// dlopen error.
FoldbackInstantiateFn loadFactory(const char* driverSo, const char* what);

}  // namespace foldback::testsupport
