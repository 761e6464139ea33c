// src/host/loader: name -> registry entry -> dlopen -> instance with its name set.
// cwASIO's loader turns every failure into -1000 and drops dlerror() (spec/linux-abi.md
// §4.4); here every failure is a LoadError that keeps the cause and says what to do.
#include "host/loader.hpp"

#include "common/asio_names.hpp"

#include <dlfcn.h>

#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace foldback::host {
namespace {

constexpr const char* kEntryPoints[] = {"instantiateDriver", "releaseDriver", "registerDriver",
                                        "unregisterDriver"};

std::string rootList() {
    std::string out;
    for (const auto& r : registry::roots()) {
        if (!out.empty()) out += ", ";
        out += r.path.string();
    }
    return out;
}

// One handle per path, shared by every LoadedLibrary and RawInstance of it. The map holds
// weak references so that the last holder's release runs dlclose. It is never destroyed:
// a holder that outlives static destruction (a global host object) must still find it.
struct HandleCache {
    std::mutex mutex;
    std::map<std::string, std::weak_ptr<void>> byPath;
};

HandleCache& cache() {
    static auto* c = new HandleCache;
    return *c;
}

// Opens path or shares the handle already open for it. On failure returns null and sets
// *error to dlerror()'s text.
LibraryHandle openShared(const std::string& path, std::string* error) {
    auto& c = cache();
    std::lock_guard lock(c.mutex);
    if (auto it = c.byPath.find(path); it != c.byPath.end())
        if (auto shared = it->second.lock()) return shared;
    ::dlerror();
    void* raw = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!raw) {
        const char* text = ::dlerror();
        *error = text ? text : "dlopen failed without a reason";
        return nullptr;
    }
    LibraryHandle handle(raw, [path](void* h) {
        {
            auto& cc = cache();
            std::lock_guard inner(cc.mutex);
            // Another thread may have reopened the path already; keep its live entry.
            if (auto it = cc.byPath.find(path); it != cc.byPath.end() && it->second.expired())
                cc.byPath.erase(it);
        }
        ::dlclose(h);
    });
    c.byPath[path] = handle;
    return handle;
}

}  // namespace

LoadedLibrary openLibrary(std::string_view name) {
    if (auto why = registry::checkName(name); !why.empty())
        throw LoadError(fmt::format(
            "cannot load instance '{}': {}; use the name of a registered instance (`foldback "
            "list` shows them)",
            registry::printable(name), why));
    auto entry = registry::find(name);
    if (!entry)
        throw LoadError(fmt::format(
            "instance '{}' not found in any root ({}); register it with `foldback register {} "
            "/abs/path/driver.so`",
            name, rootList(), name));
    if (!entry->problem.empty())
        throw LoadError(fmt::format("instance '{}' ({}) is refused: {}", name, entry->dir.string(),
                                    entry->problem));

    LoadedLibrary lib = openLibraryFile(entry->driverPath, name);
    lib.entry = std::move(*entry);
    return lib;
}

LoadedLibrary openLibraryFile(const std::string& path, std::string_view name) {
    std::string dlError;
    LibraryHandle handle = openShared(path, &dlError);
    if (!handle)
        throw LoadError(fmt::format(
            "cannot load the driver of '{}' ({}): {}; check that it is a driver built for this "
            "system (`ldd {}` lists missing libraries) or register the right file",
            name, path, dlError, path));

    std::vector<std::string> missing;
    void* symbols[std::size(kEntryPoints)] = {};
    for (std::size_t i = 0; i < std::size(kEntryPoints); ++i) {
        ::dlerror();
        symbols[i] = ::dlsym(handle.get(), kEntryPoints[i]);
        if (!symbols[i]) missing.push_back(fmt::format("`{}`", kEntryPoints[i]));
    }
    if (!missing.empty())
        throw LoadError(fmt::format(
            "the driver of '{}' ({}) does not export {}; a driver exports instantiateDriver, "
            "releaseDriver, registerDriver and unregisterDriver, so this is not a Foldback or "
            "cwASIO driver or was built without them: rebuild it, or register the right file",
            name, path, fmt::join(missing, ", ")));

    LoadedLibrary lib{};  // value-initialized: entry.root is not left indeterminate
    lib.handle = std::move(handle);
    lib.instantiate = reinterpret_cast<FoldbackInstantiateFn>(symbols[0]);
    lib.entry.driverPath = path;
    lib.entry.name = std::string(name);
    return lib;
}

RawInstance instantiate(const LoadedLibrary& lib) {
    const std::string& name = lib.entry.name;
    if (!lib.handle || !lib.instantiate)
        throw LoadError(
            fmt::format("cannot instantiate '{}': its library is not open; call "
                        "openLibrary first",
                        name));
    FoldbackDriver* drv = lib.instantiate();
    if (!drv)
        throw LoadError(fmt::format(
            "the driver of '{}' ({}) returned no instance from instantiateDriver; it could not "
            "create one (out of memory, or a fault in the driver): see its documentation or "
            "report it to its maker",
            name, lib.entry.driverPath));
    if (!drv->lpVtbl || !drv->lpVtbl->release || !drv->lpVtbl->future) {
        // Without release() the instance cannot be freed; leaking it beats calling through a
        // null pointer.
        if (drv->lpVtbl && drv->lpVtbl->release) drv->lpVtbl->release(drv);
        throw LoadError(fmt::format(
            "the driver of '{}' ({}) returned an instance with an incomplete vtable (no {}); "
            "it is broken or built for another ABI: rebuild it against foldback/driver.h",
            name, lib.entry.driverPath, !drv->lpVtbl ? "vtable" : "release or future entry"));
    }
    ASIOError answer =
        drv->lpVtbl->future(drv, kFoldbackSetInstanceName, const_cast<char*>(name.c_str()));
    // ASE_InvalidParameter: a legacy driver that does not know the selector; it works as a
    // single instance under its own name.
    if (answer != ASE_SUCCESS && answer != ASE_InvalidParameter) {
        drv->lpVtbl->release(drv);
        std::string hint;
        if (lib.entry.dir.empty())  // opened by file, not through the registry
            hint = "; load it through a registered instance, or report it to the driver's maker";
        else if (answer == ASE_NotPresent && lib.entry.root != registry::RootKind::CwAsio)
            // A driver built on cwASIO looks its name up in /etc/cwASIO only, so it answers
            // ASE_NotPresent for an instance registered anywhere else.
            hint = fmt::format(
                "; a driver built with cwASIO only accepts instances registered in /etc/cwASIO: "
                "as root, copy {} to /etc/cwASIO/{}",
                lib.entry.dir.string(), name);
        else
            hint = fmt::format(
                "; check that the entry {} is the one the driver expects, or report it to the "
                "driver's maker",
                lib.entry.dir.string());
        throw LoadError(fmt::format(
            "the driver of '{}' ({}) refused its instance name: future(0x7F000001, \"{}\") "
            "answered {} ({}) instead of ASE_SUCCESS{}",
            name, lib.entry.driverPath, name, asioErrorName(answer), answer, hint));
    }
    return RawInstance{drv, lib.handle};
}

RawInstance loadInstance(std::string_view name) {
    return instantiate(openLibrary(name));
}

}  // namespace foldback::host
