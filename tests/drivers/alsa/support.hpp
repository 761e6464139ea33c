// Test support for the ALSA driver: the engines behind the userspace ALSA PCMs (a private
// jackd, a private PipeWire with WirePlumber, both from $FOLDBACK_RIGS_DIR and stopped by
// PID at exit), a private registry, the driver loaded as a host loads it, and a host that
// records switches, messages and the round trip of an impulse. The host's audio-thread
// work is stack work and stores into memory allocated before start.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "foldback/asio.h"
#include "foldback/driver.h"
#include "support/clock.hpp"
#include "support/shell.hpp"

namespace foldback::alsatest {

using testsupport::nowNs;
using testsupport::run;
using testsupport::sleepMs;

// ---- engines -------------------------------------------------------------------------
// jackd -d dummy named "fbalsa-<pid>" (jack-up.sh; JACK_DEFAULT_SERVER is exported).
// jackAvailable(): the rig scripts, jackd and the ALSA jack plugin are all there.
bool jackAvailable();
bool startJack(long period = 64);
void stopJack();
// PipeWire + WirePlumber in a private folder (pipewire-up.sh; its environment is exported).
// False when it did not come up.
bool startPipeWire();
void stopPipeWire();
// True when the ALSA `pipewire` PCM type can be loaded (the plugin from pipewire-alsa).
bool pipewirePluginAvailable();

// ---- the private registry --------------------------------------------------------------
// Writes <sandbox>/<name>/{driver,description,config.toml}; returns the name.
std::string addInstance(const std::string& name, const std::string& configToml);

// A new instance straight from the driver's instantiateDriver (no name set), or null.
FoldbackDriver* instantiateRaw();

// ---- one driver object -----------------------------------------------------------------
class Driver {
  public:
    explicit Driver(const std::string& instanceName);
    ~Driver();
    Driver(const Driver&) = delete;
    Driver& operator=(const Driver&) = delete;
    FoldbackDriver* get() const { return d_; }
    const FoldbackDriverVtbl& v() const { return *d_->lpVtbl; }
    bool init() const { return v().init(d_, nullptr) == ASIOTrue; }
    std::string errorMessage() const;
    FoldbackCounters counters() const;
    long inputLatency() const;
    long outputLatency() const;

  private:
    FoldbackDriver* d_ = nullptr;
};

// ---- the host ---------------------------------------------------------------------------
struct HostOptions {
    long loopOut = 0, loopIn = 0;  // impulse on this output, looked for on this input
    long impulseEvery = 0;         // switches between impulses (0 = from the buffer size)
    long long stallAt = -1;        // the switch that spins for stallMs (an xrun)
    double stallMs = 0;
};

class Host {
  public:
    explicit Host(HostOptions options = {});
    ~Host();
    Host(const Host&) = delete;
    Host& operator=(const Host&) = delete;

    // createBuffers for every channel at `size` (0 = preferred).
    ASIOError createBuffers(const Driver& d, long size = 0);
    long bufferSize() const { return size_; }
    ASIOSampleType sampleType() const { return type_; }

    long long switches() const { return switches_.load(std::memory_order_acquire); }
    bool waitSwitches(long long n, double timeoutMs) const;
    long long messages(long selector) const { return bySelector_[selector].load(); }
    std::vector<long> roundTrips() const;              // frames, impulses not crossed by a resync
    std::vector<long long> roundTripSwitches() const;  // the switch each of them left at
    std::vector<std::int64_t> positions() const;

    // Trampoline targets.
    void onSwitch(long index, std::int64_t position) noexcept;
    long onMessage(long selector, long value) noexcept;

  private:
    double read(const void* buffer, long frame) const noexcept;
    void write(void* buffer, long frame, double value) const noexcept;

    HostOptions options_;
    long size_ = 0, inputs_ = 0, outputs_ = 0;
    ASIOSampleType type_ = ASIOSTFloat32LSB;
    std::vector<void*> in_[2], out_[2];
    std::atomic<long long> switches_{0};
    std::atomic<long long> bySelector_[kAsioNumMessageSelectors] = {};
    std::atomic<long long> resyncEpoch_{0};
    std::vector<std::int64_t> positions_;
    std::vector<long> trips_;
    std::vector<long long> tripSwitches_;
    long long pendingSwitch_ = 0;
    std::atomic<long> tripCount_{0};
    std::int64_t pendingAt_ = -1;
    long long pendingEpoch_ = 0;
    long lastEmit_ = 0;
};

}  // namespace foldback::alsatest
