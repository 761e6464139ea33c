// A stand-in driver for the exported-symbols test, built three ways (CMakeLists.txt): with
// cmake/driver.map (must export exactly the four entry points), without any script (must
// be caught exporting more), and with a versioned script (must be caught: the four must be
// unversioned, spec/linux-abi.md §1.2).
//
// It is C++ on purpose and has what a real driver has and a careless link leaks: a class
// hierarchy (vtables, typeinfo), an inline function with a static local (a GNU unique
// symbol), a template, std::string, exceptions, and a non-static helper with C linkage.
// It is built without -fvisibility=hidden, so the script alone must do the hiding.
#include <foldback/driver.h>

#include <stdexcept>
#include <string>

namespace fixture {

class Device {
  public:
    virtual ~Device() = default;
    virtual int channels() const { return 2; }
};

class LoopDevice : public Device {
  public:
    int channels() const override { return 8; }
};

inline int& instances() {
    static int count = 0;
    return count;
}

template <class T>
T twice(T v) {
    return v + v;
}

std::string driverName() {
    return "fixture";
}

}  // namespace fixture

extern "C" int fixture_helper(int x) {
    return fixture::twice(x) + fixture::instances();
}

extern "C" {

FoldbackDriver* instantiateDriver(void) {
    fixture::Device* device = new fixture::LoopDevice;
    try {
        if (device->channels() == 0) throw std::runtime_error("no channels");
        ++fixture::instances();
    } catch (const std::exception&) {
    }
    delete device;
    return nullptr;  // never loaded: only its symbol table matters
}

void releaseDriver(FoldbackDriver* drv) {
    (void)drv;
}

int registerDriver(const char* name) {
    return name != nullptr && fixture::driverName() == name ? 0 : fixture_helper(1);
}

int unregisterDriver(const char* name) {
    return registerDriver(name);
}

}  // extern "C"
