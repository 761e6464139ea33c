// The host side of the callbacks. ASIO callbacks carry no context pointer, so the suite
// owns a fixed pool of slots, each with its own set of static trampolines; every
// createBuffers call gets a fresh slot. Slots live for the whole process and are never
// freed, so a driver that calls back after stop, disposeBuffers or release (or after the
// suite returned) lands in a slot that only counts the late call: it cannot crash the
// suite and it is attributed to the instance that made it.
//
// Threads: a slot is configured by the control thread before createBuffers/start; its
// callbacks then run on driver threads. Counters are atomics; the per-switch state
// (events, pings) is touched only by the callback while the slot is Open.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <string>
#include <vector>

#include "foldback/driver.h"

namespace foldback::conformance::detail {

inline constexpr int kSlotCount = 256;
inline constexpr int kMaxPings = 32;
inline constexpr int kMessageKinds = kAsioNumMessageSelectors + 1;  // last = unknown selectors

// Set on threads that make the suite's control calls, so that a message can be told
// apart: sent inside one of our calls, or from a driver thread.
extern thread_local bool tlControlThread;

long long monotonicNs();

struct SwitchEvent {
    long long hostNs = 0;     // CLOCK_MONOTONIC when the callback started
    long long position = -1;  // time info or getSamplePosition; -1 when not valid
    long long systemTime = 0;
    long long resyncsBefore = 0;
    long index = 0;
    long spError = 0;         // getSamplePosition's result in bufferSwitch mode
    unsigned long flags = 0;  // time info flags
    double speed = 0;
    double rate = 0;
    bool timeInfo = false;  // which callback
    bool nullTime = false;  // bufferSwitchTimeInfo got a NULL ASIOTime
    bool reservedNonZero = false;
};

// One loop path of the round-trip measurement: an impulse on `out`, looked for on `in`.
struct PingPath {
    long out = 0, in = 0;           // channel numbers
    int outInfo = -1, inInfo = -1;  // index into the slot's buffer infos
    ASIOSampleType outType = 0, inType = 0;
    // Filled by the callback.
    int state = 0;  // 0 idle, 1 waiting
    long long emitAt = 0, deadline = 0, nextAt = 0;
    int emitted = 0, timeouts = 0, spurious = 0, results = 0;
    std::array<long long, kMaxPings> roundTrip{};
};

struct SlotSetup {
    std::string label;  // what brought the instance up, for reports
    FoldbackDriver* driver = nullptr;
    long timeInfoAnswer = 1;       // our answer to kAsioSupportsTimeInfo
    bool positionInSwitch = true;  // call getSamplePosition inside bufferSwitch
    bool callOutputReady = false;  // call outputReady after the outputs are written
    long bufferSize = 0;
    std::size_t eventCapacity = 4096;
    std::vector<PingPath> pings;  // empty = write silence only
    int maxPings = 8;
    long long firstPingAt = 0;  // position (frames) of the first impulse
    long long pingTimeout = 0;  // frames
    long long pingGap = 0;      // frames between a detection and the next impulse
};

class Slot {
  public:
    enum Phase : int { Idle = 0, Open = 1, Stopped = 2, Closed = 3 };

    // [control] Prepares a fresh recording; callbacks before this are ignored.
    void arm(SlotSetup setup);
    // [control] After createBuffers succeeded: the halves the callback writes and reads.
    void setBuffers(const std::vector<ASIOBufferInfo>& infos,
                    const std::vector<ASIOSampleType>& types);
    // [control] Switch callbacks from now on are late (after stop returned).
    void markStopped() { phase_.store(Stopped, std::memory_order_release); }
    // [control] Every callback from now on is late (after disposeBuffers/release returned).
    void markClosed() { phase_.store(Closed, std::memory_order_release); }
    // [control] Before a new start on the same buffers.
    void reopen() { phase_.store(Open, std::memory_order_release); }
    int phase() const { return phase_.load(std::memory_order_acquire); }

    const ASIOCallbacks& callbacks() const { return callbacks_; }
    const SlotSetup& setup() const { return setup_; }

    long long switches() const { return switchCalls_.load() + timeInfoCalls_.load(); }
    long long switchCalls() const { return switchCalls_.load(); }
    long long timeInfoCalls() const { return timeInfoCalls_.load(); }
    long long lateCalls() const { return late_.load(); }
    long long rateChanges() const { return rateChanges_.load(); }
    long long messages(long selector) const;
    long long messagesOnControl(int kind) const { return msgControl_[kind].load(); }
    long long messagesKind(int kind) const { return msgCount_[kind].load(); }
    // Events recorded so far (stable once the stream stopped).
    std::vector<SwitchEvent> events() const;
    long long droppedEvents() const;
    const std::vector<PingPath>& pings() const { return setup_.pings; }

    // The callbacks (called through the trampolines).
    void onSwitch(long index, ASIOTime* time, bool timeInfo);
    void onRate(double rate);
    long onMessage(long selector, long value);

    void bindCallbacks(const ASIOCallbacks& cb) { callbacks_ = cb; }

  private:
    void process(long index, long long position);

    std::atomic<int> phase_{Idle};
    std::atomic<bool> buffersReady_{false};
    SlotSetup setup_;
    ASIOCallbacks callbacks_{};
    std::vector<ASIOBufferInfo> infos_;
    std::vector<ASIOSampleType> types_;
    std::vector<SwitchEvent> events_;
    std::atomic<std::size_t> reserved_{0};   // events claimed by callbacks
    std::atomic<std::size_t> published_{0};  // events completely written, in order
    std::atomic<long long> switchCalls_{0}, timeInfoCalls_{0}, late_{0}, rateChanges_{0};
    std::array<std::atomic<long long>, kMessageKinds> msgCount_{};
    std::array<std::atomic<long long>, kMessageKinds> msgControl_{};
};

// A never-used slot from the pool (wraps around after kSlotCount).
Slot& acquireSlot();
// Every slot handed out since the mark (for the per-run summaries).
std::size_t slotMark();
std::vector<Slot*> slotsSince(std::size_t mark);

}  // namespace foldback::conformance::detail
