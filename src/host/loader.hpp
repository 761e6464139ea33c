// src/host/loader: resolve an instance name through the registry, refuse unsafe entries,
// dlopen the driver and make an instance with its name set. Every failure is a LoadError
// whose text says what went wrong and what to do.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "foldback/driver.h"
#include "registry/registry.hpp"

namespace foldback::host {

class LoadError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// The dlopened library. dlclose runs when the last holder lets go, which must be after
// the last instance of it was released (holders of instances keep a copy).
using LibraryHandle = std::shared_ptr<void>;

struct LoadedLibrary {
    LibraryHandle handle;
    FoldbackInstantiateFn instantiate = nullptr;
    registry::Entry entry;
};

// Resolves name, checks the entry (absolute path, no '..', name rules, the .so and its
// directory not world-writable, file exists), dlopens it with RTLD_NOW | RTLD_LOCAL and
// checks the four entry points. Loading the same path twice shares the handle.
LoadedLibrary openLibrary(std::string_view name);

// dlopen + the four entry points for a driver file, without a registry entry (device
// discovery, tests). `name` is only used in messages; entry.name/driverPath are set.
LoadedLibrary openLibraryFile(const std::string& path, std::string_view name);

// A raw instance with one reference owned by the caller, instance name already set
// through future(kFoldbackSetInstanceName). Not yet initialized.
struct RawInstance {
    FoldbackDriver* driver = nullptr;
    LibraryHandle library;
};
RawInstance instantiate(const LoadedLibrary& lib);

// openLibrary + instantiate.
RawInstance loadInstance(std::string_view name);

}  // namespace foldback::host
