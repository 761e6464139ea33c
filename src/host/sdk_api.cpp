// The SDK-style C host API (include/foldback/sdk.h) and the compat driver list
// (include/foldback/compat/asiodrivers.h): one current driver, strict where the SDK's
// glue is loose.
#include <cstring>
#include <string>

#include "foldback/compat/asiodrivers.h"
#include "foldback/sdk.h"
#include "host/loader.hpp"
#include "registry/registry.hpp"

namespace {

struct Current {
    FoldbackDriver* driver = nullptr;
    foldback::host::LibraryHandle library;
    std::string name;
    bool prepared = false;
} gCurrent;

std::string gLastError;

FoldbackDriver* drv() {
    return gCurrent.driver;
}

void copyText(char* dst, std::size_t size, const std::string& s) {
    const std::size_t n = std::min(s.size(), size - 1);
    std::memcpy(dst, s.data(), n);
    dst[n] = '\0';
}

}  // namespace

extern "C" {

ASIOError ASIOLoadDriver(const char* name) {
    ASIOUnloadDriver();
    gLastError.clear();
    if (!name) {
        gLastError = "ASIOLoadDriver: name is NULL";
        return ASE_NotPresent;
    }
    try {
        auto inst = foldback::host::loadInstance(name);
        gCurrent.driver = inst.driver;
        gCurrent.library = inst.library;
        gCurrent.name = name;
        return ASE_OK;
    } catch (const std::exception& e) {
        gLastError = e.what();
        return ASE_NotPresent;
    }
}

const char* ASIOLastLoadError(void) {
    return gLastError.c_str();
}

ASIOError ASIOUnloadDriver(void) {
    if (auto* d = drv()) {
        d->lpVtbl->stop(d);
        if (gCurrent.prepared) d->lpVtbl->disposeBuffers(d);
        d->lpVtbl->release(d);
    }
    gCurrent = Current{};
    return ASE_OK;
}

ASIOError ASIOInit(ASIODriverInfo* info) {
    auto* d = drv();
    if (!d) {
        if (info) {
            copyText(info->name, sizeof info->name, "No ASIO Driver");
            copyText(
                info->errorMessage, sizeof info->errorMessage,
                gLastError.empty() ? "no driver loaded: call ASIOLoadDriver first" : gLastError);
        }
        return ASE_NotPresent;
    }
    if (d->lpVtbl->init(d, info ? info->sysRef : nullptr) != ASIOTrue) {
        char text[128] = {};
        d->lpVtbl->getErrorMessage(d, text);
        text[123] = '\0';
        gLastError = text;
        if (info) copyText(info->errorMessage, sizeof info->errorMessage, text);
        ASIOUnloadDriver();
        gLastError = text;
        return ASE_NotPresent;
    }
    if (info) {
        info->asioVersion = 2;
        info->driverVersion = d->lpVtbl->getDriverVersion(d);
        char name[64] = {};
        d->lpVtbl->getDriverName(d, name);
        name[31] = '\0';
        copyText(info->name, sizeof info->name, name);
        copyText(info->errorMessage, sizeof info->errorMessage, "No error");
    }
    return ASE_OK;
}

ASIOError ASIOExit(void) {
    return ASIOUnloadDriver();
}

ASIOError ASIOStart(void) {
    return drv() ? drv()->lpVtbl->start(drv()) : ASIOError{ASE_NotPresent};
}
ASIOError ASIOStop(void) {
    return drv() ? drv()->lpVtbl->stop(drv()) : ASIOError{ASE_NotPresent};
}

ASIOError ASIOGetChannels(long* in, long* out) {
    if (!drv()) {
        if (in) *in = 0;
        if (out) *out = 0;
        return ASE_NotPresent;
    }
    return drv()->lpVtbl->getChannels(drv(), in, out);
}
ASIOError ASIOGetLatencies(long* in, long* out) {
    if (!drv()) {
        if (in) *in = 0;
        if (out) *out = 0;
        return ASE_NotPresent;
    }
    return drv()->lpVtbl->getLatencies(drv(), in, out);
}
ASIOError ASIOGetBufferSize(long* mn, long* mx, long* pref, long* gran) {
    if (!drv()) {
        for (long* p : {mn, mx, pref, gran})
            if (p) *p = 0;
        return ASE_NotPresent;
    }
    return drv()->lpVtbl->getBufferSize(drv(), mn, mx, pref, gran);
}
ASIOError ASIOCanSampleRate(ASIOSampleRate r) {
    return drv() ? drv()->lpVtbl->canSampleRate(drv(), r) : ASIOError{ASE_NotPresent};
}
ASIOError ASIOGetSampleRate(ASIOSampleRate* r) {
    return drv() ? drv()->lpVtbl->getSampleRate(drv(), r) : ASIOError{ASE_NotPresent};
}
ASIOError ASIOSetSampleRate(ASIOSampleRate r) {
    return drv() ? drv()->lpVtbl->setSampleRate(drv(), r) : ASIOError{ASE_NotPresent};
}
ASIOError ASIOGetClockSources(ASIOClockSource* c, long* n) {
    if (!drv()) {
        if (n) *n = 0;
        return ASE_NotPresent;
    }
    return drv()->lpVtbl->getClockSources(drv(), c, n);
}
ASIOError ASIOSetClockSource(long ref) {
    return drv() ? drv()->lpVtbl->setClockSource(drv(), ref) : ASIOError{ASE_NotPresent};
}
ASIOError ASIOGetSamplePosition(ASIOSamples* p, ASIOTimeStamp* t) {
    return drv() ? drv()->lpVtbl->getSamplePosition(drv(), p, t) : ASIOError{ASE_NotPresent};
}
ASIOError ASIOGetChannelInfo(ASIOChannelInfo* info) {
    if (!drv()) {
        if (info) {
            info->channelGroup = -1;
            info->type = ASIOSTInt16MSB;
            copyText(info->name, sizeof info->name, "None");
        }
        return ASE_NotPresent;
    }
    return drv()->lpVtbl->getChannelInfo(drv(), info);
}
ASIOError ASIOCreateBuffers(ASIOBufferInfo* infos, long n, long size, ASIOCallbacks* cb) {
    if (!drv()) {
        if (infos)
            for (long i = 0; i < n; ++i) infos[i].buffers[0] = infos[i].buffers[1] = nullptr;
        return ASE_NotPresent;
    }
    const ASIOError r = drv()->lpVtbl->createBuffers(drv(), infos, n, size, cb);
    if (r == ASE_OK) gCurrent.prepared = true;
    return r;
}
ASIOError ASIODisposeBuffers(void) {
    if (!drv()) return ASE_NotPresent;
    const ASIOError r = drv()->lpVtbl->disposeBuffers(drv());
    if (r == ASE_OK) gCurrent.prepared = false;
    return r;
}
ASIOError ASIOControlPanel(void) {
    return drv() ? drv()->lpVtbl->controlPanel(drv()) : ASIOError{ASE_NotPresent};
}
ASIOError ASIOFuture(long selector, void* params) {
    return drv() ? drv()->lpVtbl->future(drv(), selector, params) : ASIOError{ASE_NotPresent};
}
ASIOError ASIOOutputReady(void) {
    return drv() ? drv()->lpVtbl->outputReady(drv()) : ASIOError{ASE_NotPresent};
}

}  // extern "C"

// ---- compat driver list -------------------------------------------------------------------

AsioDrivers* asioDrivers = nullptr;

AsioDrivers::AsioDrivers() : curIndex(-1) {}
AsioDrivers::~AsioDrivers() = default;

bool AsioDrivers::getCurrentDriverName(char* name) {
    if (!name) return false;
    if (!drv()) {
        name[0] = '\0';
        return false;
    }
    copyText(name, 32, gCurrent.name);
    return true;
}

long AsioDrivers::getDriverNames(char** names, long maxDrivers) {
    long n = 0;
    for (const auto& e : foldback::registry::list()) {
        if (!e.problem.empty()) continue;
        if (n >= maxDrivers) break;
        if (names && names[n]) copyText(names[n], 32, e.name);
        ++n;
    }
    return n;
}

bool AsioDrivers::loadDriver(char* name) {
    if (!name) return false;
    if (ASIOLoadDriver(name) != ASE_OK) {
        curIndex = -1;
        return false;
    }
    long i = 0;
    curIndex = -1;
    for (const auto& e : foldback::registry::list()) {
        if (e.name == name) curIndex = i;
        ++i;
    }
    return true;
}

void AsioDrivers::removeCurrentDriver() {
    ASIOUnloadDriver();
    curIndex = -1;
}

long AsioDrivers::getCurrentDriverIndex() {
    return curIndex;
}

bool loadAsioDriver(char* name) {
    if (!asioDrivers) asioDrivers = new AsioDrivers();
    return asioDrivers->loadDriver(name);
}
