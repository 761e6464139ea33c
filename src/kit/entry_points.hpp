// Include once in a driver's main file:
//   FOLDBACK_DRIVER_ENTRY_POINTS("Foldback Loopback", "Virtual loopback interface",
//                                &makeLoopbackBackend)
// defines the four exported entry points, and nothing else is exported (cmake/driver.map).
#pragma once

#include "kit/instance.hpp"

#define FOLDBACK_DRIVER_ENTRY_POINTS(defaultName, descriptionText, factoryFn)                   \
    namespace {                                                                                 \
    const ::foldback::kit::DriverDescription kFoldbackDriverDescription{                        \
        defaultName, descriptionText, factoryFn};                                               \
    }                                                                                           \
    extern "C" __attribute__((visibility("default"))) FoldbackDriver* instantiateDriver(void) { \
        return ::foldback::kit::instantiate(kFoldbackDriverDescription);                        \
    }                                                                                           \
    extern "C" __attribute__((visibility("default"))) void releaseDriver(FoldbackDriver*) {}    \
    extern "C" __attribute__((visibility("default"))) int registerDriver(const char* name) {    \
        return ::foldback::kit::registerSelf(kFoldbackDriverDescription, name);                 \
    }                                                                                           \
    extern "C" __attribute__((visibility("default"))) int unregisterDriver(const char* name) {  \
        return ::foldback::kit::unregisterSelf(name);                                           \
    }
