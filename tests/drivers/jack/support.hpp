// Test support for the JACK driver: a private jackd (dummy backend) per test process, a
// private registry, the driver .so loaded the way a host loads it, and a host that records
// what it sees. Everything the host does on the audio thread is stack work and stores into
// memory allocated before start (the RT-safety interposer runs these tests too).
#pragma once

#include <pthread.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "foldback/asio.h"
#include "foldback/driver.h"

namespace foldback::jacktest {

std::int64_t nowNs() noexcept;
void sleepMs(double ms);

// ---- the private server ------------------------------------------------------------------
// "foldback-test-<pid>", started with $FOLDBACK_RIGS_DIR/jack-up.sh (dummy backend, 8 in,
// 8 out, 48 kHz) and stopped by PID with jack-down.sh: at exit, on a fatal signal, or when
// a test asks. JACK_DEFAULT_SERVER and JACK_NO_START_SERVER=1 are exported.
const std::string& serverName();
bool startServer(long period = 64);  // false (and a gtest failure) when it did not come up
void stopServer();
bool serverRunning();
std::string rigsDir();
// Runs fn with file descriptor 2 captured; returns what was written to it.
std::string captureStderr(void (*fn)(void*), void* context);
// Runs a shell command with the server's environment; returns its stdout.
std::string run(const std::string& command, int* status = nullptr);
// The delay jack_iodelay measures on its own out -> in connection (frames), or -1.
double iodelayFrames(double seconds = 3.0);

// ---- the private registry ----------------------------------------------------------------
const std::string& sandbox();
// Writes <sandbox>/drivers/<name>/{driver,description,config.toml}; returns the name.
std::string addInstance(const std::string& name, const std::string& configToml = "");
const char* driverPath();

// ---- one driver object -------------------------------------------------------------------
class Driver {
  public:
    explicit Driver(const std::string& instanceName);
    ~Driver() { release(); }
    Driver(const Driver&) = delete;
    Driver& operator=(const Driver&) = delete;

    FoldbackDriver* get() const { return d_; }
    const FoldbackDriverVtbl& v() const { return *d_->lpVtbl; }
    ASIOError nameResult() const { return nameResult_; }
    long release();  // the final release; -1 when already released

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
    FoldbackCounters counters() const;
    std::string channelName(bool input, long channel) const;

  private:
    FoldbackDriver* d_ = nullptr;
    ASIOError nameResult_ = ASE_NotPresent;
};

// ---- the host ---------------------------------------------------------------------------
struct HostOptions {
    bool timeInfo = true;            // answer kAsioSupportsTimeInfo with 1
    bool bufferSizeChange = true;    // answer kAsioBufferSizeChange (selector supported, returns 1)
    std::size_t capacity = 1 << 15;  // switch records kept
    // Loop probe: an impulse on output `loopOut` every `impulseEvery` switches, looked for
    // on input `loopIn` (host channel numbers; -1 = off).
    long loopOut = -1, loopIn = -1;
    long impulseEvery = 40;
    bool copyThrough = false;  // copy every input to the output of the same number
    // One slow switch: at switch `stallAt` the host spins for `stallMs` (an xrun).
    long long stallAt = -1;
    double stallMs = 0;
};

struct SwitchRecord {
    std::int64_t position = -1;
    std::int64_t systemTime = 0;
    std::int64_t wallNs = 0;
    long index = -1;
};

struct MessageRecord {
    long selector = 0, value = 0;
    long long switchesBefore = 0;
    std::int64_t wallNs = 0;
    pthread_t thread{};  // the thread that sent it
};

class Host {
  public:
    explicit Host(HostOptions options = {});
    ~Host();
    Host(const Host&) = delete;
    Host& operator=(const Host&) = delete;

    // createBuffers for every channel of the driver (or the first `in`/`out`), at size
    // (0 = preferred). Returns the driver's answer.
    ASIOError createBuffers(const Driver& d, long size = 0, long in = -1, long out = -1);
    long bufferSize() const { return bufferSize_; }

    long long switches() const { return switches_.load(std::memory_order_acquire); }
    bool waitSwitches(long long n, double timeoutMs = 5000) const;
    std::vector<SwitchRecord> records() const;
    long long messages(long selector) const { return bySelector_[selector].load(); }
    std::vector<MessageRecord> messageLog() const;
    std::vector<double> rateChanges() const;
    // Round trips the loop probe measured (frames), in order.
    std::vector<long> roundTrips() const;
    pthread_t audioThread() const { return audioThread_.load(); }
    void clear();

    // Trampolines' targets.
    void onSwitch(long index, std::int64_t position, std::int64_t systemTime) noexcept;
    long onMessage(long selector, long value) noexcept;
    void onRate(double rate) noexcept;

    const HostOptions& options() const { return options_; }
    FoldbackDriver* driver = nullptr;

  private:
    HostOptions options_;
    long bufferSize_ = 0;
    long inputs_ = 0, outputs_ = 0;
    std::vector<void*> in_[2], out_[2];
    std::vector<SwitchRecord> records_;
    std::atomic<long long> switches_{0};
    std::atomic<pthread_t> audioThread_{};
    static constexpr std::size_t kMessages = 4096;
    std::vector<MessageRecord> messageLog_;
    std::atomic<long long> messageCount_{0};
    std::atomic<long long> bySelector_[kAsioNumMessageSelectors] = {};
    static constexpr std::size_t kRates = 64;
    std::vector<double> rates_;
    std::atomic<long long> rateCount_{0};
    // Loop probe (audio thread only, then read after stop).
    static constexpr std::size_t kTrips = 256;
    std::vector<long> trips_;
    std::atomic<long long> tripCount_{0};
    std::int64_t pendingAt_ = -1;  // absolute position of the impulse in flight
    std::int64_t lastPosition_ = -1;
    static constexpr std::int64_t kLostAfter = 4096;  // frames (at least 8 buffers)
    long offsetTurn_ = 0;
};

}  // namespace foldback::jacktest
