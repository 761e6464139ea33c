// One driver object, made by the module's instantiateDriver and named like a host names
// it, with thin wrappers around the vtable. [control-thread]
#pragma once

#include <string>

#include "foldback/asio.h"
#include "foldback/driver.h"

namespace foldback::testsupport {

class Driver {
  public:
    Driver() = default;  // no object
    // factory() + future(kFoldbackSetInstanceName, instanceName): see ok(), nameResult().
    Driver(FoldbackInstantiateFn factory, const std::string& instanceName);
    ~Driver() { release(); }
    Driver(Driver&& other) noexcept;
    Driver& operator=(Driver&& other) noexcept;  // releases ours first
    Driver(const Driver&) = delete;
    Driver& operator=(const Driver&) = delete;

    bool ok() const { return d_ != nullptr; }
    FoldbackDriver* get() const { return d_; }
    const FoldbackDriverVtbl& v() const { return *d_->lpVtbl; }
    ASIOError nameResult() const { return nameResult_; }
    // Drops our reference now (the final release: stops, joins, frees). Returns the
    // remaining count, or -1 when there was no object.
    long release();

    ASIOBool init() const { return v().init(d_, nullptr); }
    std::string errorMessage() const;
    ASIOError start() const { return v().start(d_); }
    ASIOError stop() const { return v().stop(d_); }
    ASIOError disposeBuffers() const { return v().disposeBuffers(d_); }
    ASIOError latencies(long& in, long& out) const { return v().getLatencies(d_, &in, &out); }
    ASIOError channels(long& in, long& out) const { return v().getChannels(d_, &in, &out); }
    ASIOError bufferSize(long& min, long& max, long& pref, long& gran) const {
        return v().getBufferSize(d_, &min, &max, &pref, &gran);
    }
    ASIOError future(long selector, void* opt) const { return v().future(d_, selector, opt); }
    FoldbackCounters counters() const;  // zeroes (and a gtest failure) when the selector fails
    std::string channelName(bool input, long channel) const;

  private:
    FoldbackDriver* d_ = nullptr;
    ASIOError nameResult_ = ASE_NotPresent;
};

}  // namespace foldback::testsupport
