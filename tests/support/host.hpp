// A host that records what it sees: every switch (position, time stamp, the host's own
// clock), every message and rate change, and, with the loop probe, the round trip of an
// impulse from an output back to an input. One Host at a time per process receives the
// callbacks (ASIO callbacks carry no context). Everything it does on the audio thread is
// stack work and stores into memory allocated before start (the RT-safety interposer runs
// the suites that use it).
#pragma once

#include <pthread.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "foldback/asio.h"
#include "foldback/driver.h"
#include "support/driver.hpp"

namespace foldback::testsupport {

struct HostOptions {
    bool timeInfo = true;            // answer kAsioSupportsTimeInfo with 1
    bool bufferSizeChange = true;    // answer kAsioBufferSizeChange (selector supported, returns 1)
    std::size_t capacity = 1 << 16;  // switch records kept
    // Loop probe: an impulse on output `loopOut` every `impulseEvery` switches, looked for
    // on input `loopIn` (host channel numbers; -1 = off).
    long loopOut = -1, loopIn = -1;
    long impulseEvery = 40;
    // An impulse not back after max(lostAfterFrames, lostAfterBuffers x buffer size)
    // frames is lost: the probe sends another.
    std::int64_t lostAfterFrames = 12000;
    std::int64_t lostAfterBuffers = 0;
    // A position jump (frames lost, kAsioResyncRequest) puts a round trip in flight off by
    // the jump: with this, it is not taken as a measurement and another impulse goes out.
    bool dropOnJump = false;
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

    // [control-thread] createBuffers for every channel of the driver (or the first
    // `in`/`out`), at size (0 = preferred); this host receives the callbacks from then on.
    // Returns the driver's answer.
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
    // Forgets what was observed (only while no stream runs).
    void clear();

    // [rt-thread or the driver's threads] The trampolines' targets.
    void onSwitch(long index, std::int64_t position, std::int64_t systemTime) noexcept;
    long onMessage(long selector, long value) noexcept;
    void onRate(double rate) noexcept;

    const HostOptions& options() const { return options_; }
    // The driver whose getSamplePosition a plain (no time info) switch calls.
    FoldbackDriver* driver = nullptr;

  private:
    void probeLoop(std::size_t half, long long n, std::int64_t position) noexcept;

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
    long offsetTurn_ = 0;
};

// A host's thread creator (kFoldbackSetThreadCreator) that counts the threads it made:
// FoldbackThreadCreator{&countingCreator, &log}.
struct CreatorLog {
    std::atomic<int> calls{0};
    std::atomic<pthread_t> last{};  // the newest thread it made
};
int countingCreator(void* context, pthread_t* thread, void* (*fn)(void*), void* arg);

// [control-thread] init, createBuffers(size), start, and 20 switches, each a fatal gtest
// failure (ASSERT_NO_FATAL_FAILURE around the call).
void startStream(const Driver& d, Host& h, long size = 0);

// Positions that do not advance by `size` from one switch to the next.
long long positionJumps(const std::vector<SwitchRecord>& recs, long size);

// What the engine drivers' streaming tests share. [control-thread] After startStream:
// streams `ms` milliseconds at `size` frames a switch, stops, and checks what a host
// notices: at least 90 % of the nominal switches at `rate`; positions from 0, advancing
// by `size`, a jump only with a resync and every resync sent; buffer indices
// alternating; time stamps strictly increasing, in nanoseconds (not whole milliseconds),
// advancing at the period within `periodTolerance` (relative); every counted overload
// sent and every switch counted; no switch after stop returned. Fewer than 100 switches
// recorded is a fatal failure (ASSERT_NO_FATAL_FAILURE around the call).
struct SteadyStream {
    std::vector<SwitchRecord> recs;
    FoldbackCounters counters{};
    long long switches = 0;         // while streaming
    double seconds = 0;             // how long that was
    std::vector<std::int64_t> lag;  // the host's clock in each switch - its stamp (ns), sorted
    std::int64_t medianLag() const { return lag[lag.size() / 2]; }
};
void checkSteadyStream(const Driver& d, Host& h, long size, double rate, double periodTolerance,
                       SteadyStream& out, int ms = 2000);

}  // namespace foldback::testsupport
