// The prepared state's heart: the double buffers, the host's callbacks, the negotiated
// message set, and the period function that every backend style ends in.
//
// Per period (process()): fill input half i from the device (converting), latch position
// and time, call exactly one of bufferSwitchTimeInfo / bufferSwitch, take output half i
// (at outputReady, or at the latest when the switch returns), toggle i. Nothing here
// allocates, locks, logs or makes a system call; the RT-safety interposer checks it.
#pragma once

#include <pthread.h>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "foldback/asio.h"
#include "foldback/driver.h"
#include "kit/backend.hpp"
#include "kit/hot.hpp"
#include "kit/rt_scope.hpp"

namespace foldback::kit {

class alignas(64) StreamCore {
  public:
    // [control] Allocates and zeroes every half, plans the conversions, copies the
    // callbacks and negotiates the message set with the host. Throws kit::Error.
    // engineAdapter: allocate the FIFO adapter that lets an engine-driven backend
    // (Style::Engine) change its period under a host that keeps its buffer size.
    StreamCore(const Capabilities& caps, const DeviceLayout& layout, const StreamSetup& setup,
               const ASIOCallbacks& callbacks, bool outputReadyEnabled, bool engineAdapter = false);
    ~StreamCore();
    StreamCore(const StreamCore&) = delete;
    StreamCore& operator=(const StreamCore&) = delete;

    // The two halves of a channel, for createBuffers' ASIOBufferInfo.
    void* half(bool input, long channel, int index) const noexcept;
    bool active(bool input, long channel) const noexcept;
    long bufferSize() const noexcept { return bufferSize_; }
    bool timeInfoMode() const noexcept { return timeInfoMode_; }
    long hostEngineVersion() const noexcept { return engineVersion_; }

    // [control] Before the backend starts: position 0, index 0, inputs silent.
    void arm(double rate) noexcept;
    // [control] After the backend stopped: no period runs after this returns.
    void disarm() noexcept;
    bool armed() const noexcept { return armed_.load(std::memory_order_acquire); }

    // [rt] One period. timeNs: CLOCK_MONOTONIC ns of the period's first frame.
    void process(const DeviceIo& io, std::int64_t timeNs) noexcept;
    // [rt] Engine style: frames and the engine counter's delta decide loss and jumps.
    // When frames differs from the host's buffer size (the engine's period changed and the
    // host has not re-created its buffers, or never will), the switch keeps its size:
    // input and output go through FIFOs and the added latency is reported.
    // Inline: nearly every period the engine ran one period at the host's size and lost
    // nothing, and goes straight to process(); the rest is out of line.
    void processEngine(const DeviceIo& io, long frames, std::int64_t timeNs,
                       long framesDelta) noexcept {
        if (frames == bufferSize_ && !adapterActive_ && (first_ || framesDelta <= bufferSize_))
            [[likely]] {
            process(io, timeNs);
            return;
        }
        processEngineSlow(io, frames, timeNs, framesDelta);
    }
    // Latency the FIFO adapter adds now (0 when the engine runs at the host's size).
    long adapterInputLatency() const noexcept {
        return adapterExtraIn_.load(std::memory_order_relaxed);
    }
    long adapterOutputLatency() const noexcept {
        return adapterExtraOut_.load(std::memory_order_relaxed);
    }
    static constexpr long kMaxEnginePeriod = 8192;
    // [rt] `periods` whole periods were never delivered: the position jumps over them,
    // kAsioOverload and kAsioResyncRequest go to the host.
    void skipPeriods(long periods) noexcept;
    // [rt] A wake-up came `periods` periods late; they are delivered back to back.
    void latePeriods(long periods) noexcept;

    // [any]
    void overload() noexcept;
    void resetRequest() noexcept;
    void rateChanged(double rate) noexcept;
    // [control] Not running: sampleRateDidChange at once; the next start uses the rate.
    void rateChangedNow(double rate) noexcept;
    void latenciesChanged() noexcept;
    void bufferSizeChanged(long frames) noexcept;
    // [rt, inside the switch] outputReady(): take output half i now.
    bool outputReadyFromHost() noexcept;
    // [any] The current block's position and time; false when not running.
    bool samplePosition(std::int64_t& position, std::int64_t& timeNs) const noexcept;
    FoldbackCounters counters() const noexcept;
    double currentRate() const noexcept { return rate_.load(std::memory_order_relaxed); }

  private:
    struct Channel {  // 16 bytes: 4 channels a cache line
        std::byte* half[2] = {nullptr, nullptr};
        bool active() const noexcept { return half[0] != nullptr; }  // the host made buffers
    };
    long send(long selector, long value = 0) noexcept;
    // The period's path is laid out small (kit/hot.hpp): the copies of a native device
    // inline, conversions, the FIFO adapter, losses and rate changes out of line.
    [[gnu::always_inline]] inline void takeInput(const DeviceIo& io, int index) noexcept;
    [[gnu::always_inline]] inline void takeOutput(int index) noexcept;
    void convertInput(const DeviceIo& io, int index) noexcept;
    void convertOutput(void* const* out, int index) noexcept;
    void processEngineSlow(const DeviceIo& io, long frames, std::int64_t timeNs,
                           long framesDelta) noexcept;
    unsigned long applyPendingRate() noexcept;
    [[gnu::always_inline]] inline void latch(std::int64_t position, std::int64_t timeNs) noexcept;
    void adapterReset(long engineFrames) noexcept;
    void adapterRun(const DeviceIo& io, long frames, std::int64_t timeNs) noexcept;
    // [rt] The position jumps over `periods` buffers: kAsioResyncRequest (no overload).
    void jump(long periods) noexcept;

    // FIFO adapter (engine period != buffer size). Rings hold every device channel.
    struct Ring {
        std::vector<std::byte> data;
        std::size_t capacity = 0, read = 0, level = 0;  // frames
        std::size_t channels = 0, bytes = 0;            // per sample
        std::byte* channel(std::size_t c) noexcept { return data.data() + c * capacity * bytes; }
        void clear() noexcept { read = level = 0; }
        void push(const void* const* src, std::size_t frames) noexcept;  // src[c] null = silence
        void pop(void* const* dst, std::size_t frames) noexcept;         // dst[c] null = drop
    };
    // What every period reads comes first, together: the object is 64-byte aligned and the
    // period's members, the time info it fills included, are its first four cache lines
    // (not six: on a busy machine each comes back cold at 256 frames; kit/hot.hpp). Keep
    // them packed (bench/jack/instructions.sh counts the lines a period touches).
    // Initialised in this order.
    // memcpy, called through this copy of its address rather than the module's GOT: the
    // period then reads no data page of the driver module (kit/hot.hpp).
    void* (*copy_)(void*, const void*, std::size_t) = &std::memcpy;
    ASIOCallbacks callbacks_{};
    bool rtChecked_ = false;  // rtChecked() (kit/rt_scope.hpp)
    bool outputReadyEnabled_ = true;
    bool timeInfoMode_ = false;
    bool adapterActive_ = false;
    bool first_ = true;
    bool outputTaken_ = true;
    int index_ = 0;
    std::uint32_t sampleBytes_ = 0;
    long bufferSize_ = 0;
    DeviceLayout layout_;
    std::span<Channel> inputs_, outputs_;  // the channel table at the start of memory_
    std::int64_t position_ = 0;
    void* const* currentOut_ = nullptr;
    std::atomic<bool> armed_{false};
    std::atomic<bool> inCallback_{false};
    std::atomic<bool> running_{false};
    std::atomic<int> inProcess_{0};
    std::atomic<std::uint32_t> seq_{0};
    std::atomic<double> rate_{0};
    std::atomic<double> pendingRate_{0};
    std::atomic<std::int64_t> latchedPosition_{0}, latchedTime_{0};
    std::atomic<long long> switches_{0};
    ASIOTime time_{};  // its timeInfo ends the fourth line; timeCode, never written, after

    // The rest.
    struct Counters {
        std::atomic<long long> overloads{0}, resyncs{0}, skippedFrames{0}, latePeriods{0},
            resets{0};
    } counters_;
    // The rest.
    bool supports_[kAsioNumMessageSelectors] = {};
    long engineVersion_ = 0;
    std::atomic<pthread_t> callbackThread_{};
    std::atomic<bool> resetSent_{false};
    std::unique_ptr<std::byte, void (*)(std::byte*)> memory_{nullptr, nullptr};
    std::size_t memoryBytes_ = 0;
    // Conversion plan, chosen once here.
    convert::DeinterleaveFn deinterleave_ = nullptr;
    convert::InterleaveFn interleave_ = nullptr;
    std::vector<void*> inDst_[2];         // per device input channel, null = inactive
    std::vector<const void*> outSrc_[2];  // per device output channel, null = silence

    bool adapterAllocated_ = false;
    long adapterFrames_ = 0;
    long adapterLost_ = 0;  // engine frames lost under the adapter, not yet a position jump
    Ring inRing_, outRing_;
    std::vector<std::byte> stage_;
    std::vector<void*> stageIn_, stageOut_;
    std::int64_t adapterTimeNs_ = 0;
    std::atomic<long> adapterExtraIn_{0}, adapterExtraOut_{0};
};

}  // namespace foldback::kit
