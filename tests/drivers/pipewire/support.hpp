// Test support for the PipeWire driver: a private PipeWire + WirePlumber per test process
// (the shared rig's pipewire-up.sh in a folder of its own), a private registry, the
// driver .so loaded the way a host loads it, and a host that records what it sees.
// Everything the host does on the audio thread is stack work and stores into memory
// allocated before start (the RT-safety interposer runs these tests too).
#pragma once

#include <pthread.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "foldback/asio.h"
#include "foldback/driver.h"

namespace foldback::pwtest {

std::int64_t nowNs() noexcept;
void sleepMs(double ms);

// ---- the private daemon ----------------------------------------------------------------
// $FOLDBACK_RIGS_DIR/pipewire-up.sh with PW_RIG_DIR=<tmp>/foldback-pwtest-<pid>: a null
// sink "rig-sink" and a null source "rig-source" (2 channels, 48 kHz) and WirePlumber.
// force = true pins the quantum with clock.force-quantum (the rig's default); false lets
// nodes choose it (PW_RIG_FORCE=0). PIPEWIRE_RUNTIME_DIR is exported to this process.
// The daemon is stopped with pipewire-down.sh at exit, on a fatal signal, or by stopDaemon.
struct RigOptions {
    bool force = false;
    long quantum = 64;
    long channels = 2;
};
bool startDaemon(
    const RigOptions& options = {});  // false (and a gtest failure) when it did not come up
void stopDaemon();
bool daemonRunning();
std::string rigDir();
std::string rigsDir();
// Runs a shell command with the daemon's environment; returns its stdout.
std::string run(const std::string& command, int* status = nullptr);
// pw-metadata -n settings 0 KEY VALUE.
bool setSetting(const std::string& key, const std::string& value);
// The quantum of the driver that runs `node` (a node.name), as pw-profiler measures it
// over `seconds`: the median of the driver's period in frames (its "estimated" column), or
// -1 when pw-profiler did not see the node.
double profiledQuantum(const std::string& node, double seconds = 0.5);
// Ports linked to `port` ("node:port") according to pw-link -l.
std::vector<std::string> linksOf(const std::string& port);

// A helper process (stdin and stdout are pipes to us). The destructor closes its stdin,
// waits up to 2 s for it to end, then kills it.
class Process {
  public:
    explicit Process(const std::vector<std::string>& argv);
    ~Process();
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;
    bool running() const { return pid_ > 0; }
    // Reads stdout until a line equal to `line` came; false on timeout or end.
    bool waitLine(const std::string& line, double timeoutMs = 5000);
    void signal(int sig) const;

  private:
    int pid_ = -1;
    int in_ = -1, out_ = -1;
    std::string buffer_;
};
// The test helper tests/drivers/pipewire/latency_node.c.
const char* latencyNodePath();

// ---- the private registry --------------------------------------------------------------
const std::string& sandbox();
// Writes <sandbox>/drivers/<name>/{driver,description,config.toml}; returns the name.
std::string addInstance(const std::string& name, const std::string& configToml = "");
const char* driverPath();
FoldbackInstantiateFn factory();

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
    std::size_t capacity = 1 << 16;  // switch records kept
    // Loop probe: an impulse on output `loopOut` every `impulseEvery` switches, looked for
    // on input `loopIn` (host channel numbers; -1 = off).
    long loopOut = -1, loopIn = -1;
    long impulseEvery = 40;
    // One slow switch: at switch `stallAt` the host spins for `stallMs` (an xrun).
    long long stallAt = -1;
    double stallMs = 0;
    // Work per switch: copy every input to the output of the same number.
    bool copyThrough = false;
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
    bool waitMessage(long selector, double timeoutMs = 3000) const;
    std::vector<SwitchRecord> records() const;
    long long messages(long selector) const { return bySelector_[selector].load(); }
    std::vector<MessageRecord> messageLog() const;
    std::vector<double> rateChanges() const;
    // Round trips the loop probe measured (frames), in order.
    std::vector<long> roundTrips() const;
    pthread_t audioThread() const { return audioThread_.load(); }

    // Trampolines' targets.
    void onSwitch(long index, std::int64_t position, std::int64_t systemTime) noexcept;
    long onMessage(long selector, long value) noexcept;
    void onRate(double rate) noexcept;

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
    static constexpr std::size_t kTrips = 256;
    std::vector<long> trips_;
    std::atomic<long long> tripCount_{0};
    std::int64_t pendingAt_ = -1;  // absolute position of the impulse in flight
    long offsetTurn_ = 0;
};

// Positions that do not advance by `size` from one switch to the next.
long long positionJumps(const std::vector<SwitchRecord>& recs, long size);

}  // namespace foldback::pwtest
