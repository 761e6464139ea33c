// The driver object: the 24-slot vtable over one Backend, with the ASIO states as nested
// objects (a call in the wrong state cannot reach code that assumes the right one) and
// one error boundary per entry. Drivers never see this class; they write a Backend and
// FOLDBACK_DRIVER_ENTRY_POINTS (entry_points.hpp).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "foldback/driver.h"
#include "kit/backend.hpp"

namespace foldback::kit {

using BackendFactory = std::unique_ptr<Backend> (*)();

struct DriverDescription {
    const char* defaultName;  // getDriverName before an instance name is set
    const char* description;  // written by registerDriver
    BackendFactory factory;
};

// instantiateDriver's body: a new object holding one reference, or nullptr.
FoldbackDriver* instantiate(const DriverDescription& description) noexcept;
// registerDriver / unregisterDriver bodies: this .so under `name` in the system root.
int registerSelf(const DriverDescription& description, const char* name) noexcept;
int unregisterSelf(const char* name) noexcept;

}  // namespace foldback::kit
