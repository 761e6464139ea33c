// The integration tests' host: what a real ASIO host does, reduced to what the tests observe.
//
//   Sandbox    a private registry (FOLDBACK_DRIVER_PATH, XDG_CONFIG_HOME) in a temp directory;
//              instances are written there with their config.toml.
//   Driver     one driver object of the loopback .so (dlopened directly, never closed), with
//              thin wrappers around the vtable.
//   Host       the callbacks (static trampolines in numbered slots: ASIO callbacks carry no
//              context), the negotiation answers, and a lock-free record of every switch,
//              message and rate change. Everything the audio thread does here is stack work
//              plus stores into memory allocated before start().
#pragma once

#include <pthread.h>
#include <time.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "foldback/asio.h"
#include "foldback/driver.h"
#include "support/clock.hpp"
#include "support/driver.hpp"

namespace foldback::itest {

using testsupport::nowNs;
using testsupport::sleepMs;

// ---- the private registry ----------------------------------------------------------------

// Config for tests about something other than the skip policy: late periods are always
// caught up back to back (without real-time scheduling, wake-ups on a loaded machine are
// routinely later than the default limit of 8 short periods).
inline constexpr const char* kCatchUpAll = "[kit]\nmax_late_periods = 1024\n";

// Creates the sandbox on first use (and removes it at exit). Returns its directory.
const std::string& sandbox();
// Writes <sandbox>/<name>/{driver,description,config.toml}; returns name for chaining.
std::string addInstance(const std::string& name, const std::string& configToml = "");
// The loopback driver's path (compile definition) and its instantiateDriver.
const char* loopbackPath();
FoldbackInstantiateFn loopbackFactory();

// ---- one driver object -------------------------------------------------------------------

// testsupport::Driver on the loopback driver, with what these tests add.
class Driver : public testsupport::Driver {
  public:
    Driver() = default;
    // instantiateDriver + future(kFoldbackSetInstanceName, name). Check ok() and nameResult().
    explicit Driver(const std::string& instanceName);
    Driver(Driver&&) noexcept = default;
    Driver& operator=(Driver&&) noexcept = default;

    // Also checks the contract: a NUL within 124 bytes, nothing written beyond.
    std::string errorMessage() const;
    ASIOError fault(long kind, long value = 0) const;
    FoldbackCounters counters() const;  // zeroes when the selector fails (and ADD_FAILUREs)
    ASIOError status(FoldbackStatus& s) const { return future(kFoldbackGetStatus, &s); }
    double sampleRate() const;
};

// ---- the host ---------------------------------------------------------------------------

struct HostOptions {
    bool asioMessage = true;         // false: callbacks.asioMessage = NULL
    bool timeInfo = true;            // answer kAsioSupportsTimeInfo with 1
    bool timeInfoCallback = true;    // false: callbacks.bufferSwitchTimeInfo = NULL
    bool overload = true;            // answer kAsioSelectorSupported(kAsioOverload) with 1
    bool resync = true;              // ... kAsioResyncRequest
    bool reset = true;               // ... kAsioResetRequest
    std::size_t capacity = 1 << 16;  // switch records kept (the rest are only counted)
};

enum class Flavour : int { Plain = 1, TimeInfo = 2 };

struct SwitchRecord {
    long index = -1;
    Flavour flavour = Flavour::Plain;
    ASIOBool directProcess = 0;
    // Time-info mode: from ASIOTime. Plain mode: from getSamplePosition inside the switch.
    std::int64_t position = -1;
    std::int64_t systemTime = 0;
    unsigned long flags = 0;
    double sampleRate = 0;
    double speed = 0;
    // getSamplePosition called from inside the switch (both modes).
    ASIOError spResult = ASE_NotPresent;  // until the switch called it
    std::int64_t spPosition = -1;
    std::int64_t spTime = 0;
    std::int64_t wallNs = 0;  // CLOCK_MONOTONIC when the switch began
    pthread_t thread{};
    long long messagesBefore = 0;  // messages the host had received when the switch began
};

struct MessageRecord {
    long selector = 0;
    long value = 0;
    long long switchesBefore = 0;  // switches recorded when the message arrived
    std::int64_t wallNs = 0;
};

class Host;
// Runs inside every switch after the record is taken (audio thread: stack work only).
using SwitchHook = void (*)(Host& host, const SwitchRecord& rec, void* context);

class Host {
  public:
    static constexpr int kSlots = 8;
    explicit Host(HostOptions options = {});
    ~Host();
    Host(const Host&) = delete;
    Host& operator=(const Host&) = delete;

    const ASIOCallbacks& callbacks() const { return callbacks_; }
    const HostOptions& options() const { return options_; }
    void setHook(SwitchHook hook, void* context) {
        hook_ = hook;
        hookContext_ = context;
    }
    // The driver whose getSamplePosition the switch calls (optional).
    void attach(const Driver& d) { driver_ = d.get(); }

    // createBuffers for the given channels (empty = every channel the driver has), at
    // bufferSize; remembers the halves. Returns the driver's answer.
    ASIOError createBuffers(const Driver& d, long bufferSize, std::vector<long> inputs = {},
                            std::vector<long> outputs = {}, bool all = true);
    void* half(bool input, long channel, long index) const;
    long bufferSize() const { return bufferSize_; }
    ASIOSampleType sampleType() const { return sampleType_; }

    // ---- what was observed (read from the control thread) --------------------------------
    long long switches() const { return switches_.load(std::memory_order_acquire); }
    // Records [0, min(switches, capacity)); stable once the driver stopped.
    std::vector<SwitchRecord> records() const;
    const SwitchRecord& record(std::size_t i) const { return records_[i]; }
    long long messages(long selector) const;
    std::vector<MessageRecord> messageLog() const;
    long long selectorQueries(long selector) const;
    long long timeInfoQueries() const { return timeInfoQueries_.load(); }
    std::vector<double> rateChanges() const;
    bool inCallback() const { return inCallback_.load(std::memory_order_acquire) != 0; }
    // Forgets everything observed (only while no stream runs).
    void clear();
    // Polls until at least n switches were recorded or timeoutMs passed.
    bool waitSwitches(long long n, double timeoutMs = 3000) const;

    // ---- trampolines' targets (audio or control thread) ------------------------------------
    void onBufferSwitch(long index, ASIOBool direct) noexcept;
    ASIOTime* onTimeInfo(ASIOTime* t, long index, ASIOBool direct) noexcept;
    void onRateChange(ASIOSampleRate rate) noexcept;
    long onMessage(long selector, long value) noexcept;

  private:
    void recordSwitch(SwitchRecord& rec, long index, ASIOBool direct) noexcept;

    HostOptions options_;
    int slot_ = -1;
    ASIOCallbacks callbacks_{};
    SwitchHook hook_ = nullptr;
    void* hookContext_ = nullptr;
    FoldbackDriver* driver_ = nullptr;

    long bufferSize_ = 0;
    ASIOSampleType sampleType_ = ASIOSTFloat32LSB;
    std::vector<void*> inHalves_, outHalves_;  // [channel * 2 + index]

    std::vector<SwitchRecord> records_;
    std::atomic<long long> switches_{0};
    std::atomic<int> inCallback_{0};
    static constexpr std::size_t kMessageCapacity = 4096;
    std::vector<MessageRecord> messageLog_;
    std::atomic<long long> messageCount_{0};
    std::atomic<long long> bySelector_[kAsioNumMessageSelectors] = {};
    std::atomic<long long> queries_[kAsioNumMessageSelectors] = {};
    std::atomic<long long> timeInfoQueries_{0};
    static constexpr std::size_t kRateCapacity = 64;
    std::vector<double> rates_;
    std::atomic<long long> rateCount_{0};
};

// Bytes per sample of the PCM types the tests use (0 for others).
std::size_t sampleBytes(ASIOSampleType type);

// Switch records' summary used by several tests.
struct Continuity {
    long long jumps = 0;         // consecutive records whose position delta != bufferSize
    long long jumpedFrames = 0;  // sum of (delta - bufferSize) over those
    long long badIndex = 0;      // index not alternating 0,1,0,...
    long long nonIncreasingTime = 0;
    long long notWholeBuffers = 0;  // jumps that are not whole buffers
};
Continuity continuity(const std::vector<SwitchRecord>& recs, long bufferSize);

}  // namespace foldback::itest
