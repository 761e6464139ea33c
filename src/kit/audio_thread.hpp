// The kit's own audio thread, for backends whose thread the kit owns: Style::Timer
// (virtual devices: sleep to absolute CLOCK_MONOTONIC deadlines) and Style::Device
// (wait on the device). Started through the host's thread creator when it gave one;
// raises itself to SCHED_FIFO when permitted.
//
// Late-wake policy (docs/timing.md): a wake-up that finds k > 1 period deadlines past
// delivers the k periods back to back and counts one overload; more than
// [kit] max_late_periods behind, it skips all but the newest period, the position jumps
// over the skipped frames, and the host gets kAsioOverload and kAsioResyncRequest.
#pragma once

#include <pthread.h>
#include <atomic>
#include <cstdint>
#include <string>

#include "foldback/driver.h"
#include "kit/backend.hpp"
#include "kit/config.hpp"
#include "kit/dll.hpp"
#include "kit/stream.hpp"

namespace foldback::kit {

struct RtStatus {
    bool realtime = false;
    int priority = 0;
    std::string warning;  // "" or a sentence a person can act on
};

class AudioThread {
  public:
    AudioThread(Backend& backend, StreamCore& core, const KitSettings& settings, double rate,
                const FoldbackThreadCreator& creator);
    ~AudioThread();
    AudioThread(const AudioThread&) = delete;
    AudioThread& operator=(const AudioThread&) = delete;

    // [control] Starts the thread and waits until it runs. Throws kit::Error.
    RtStatus start();
    // [control] Stops and joins; idempotent.
    void stop() noexcept;

    // [control] Fault injection (loopback tests): delay the next wake-up; lose frames.
    void injectLate(std::int64_t ns) noexcept {
        injectLateNs_.store(ns, std::memory_order_release);
    }
    void injectDrop(long frames) noexcept {
        injectDropFrames_.store(frames, std::memory_order_release);
    }
    // [any] The device's rate changed: the period length follows from the next period.
    void rateChanged(double rate) noexcept { newRate_.store(rate, std::memory_order_release); }

  private:
    static void* entry(void* self);
    void run() noexcept;
    void runTimer() noexcept;
    void runDevice() noexcept;

    Backend& backend_;
    StreamCore& core_;
    KitSettings settings_;
    double rate_;
    FoldbackThreadCreator creator_;
    pthread_t thread_{};
    bool joinable_ = false;
    std::atomic<bool> stop_{false};
    std::atomic<int> started_{0};  // 0 waiting, 1 running
    std::atomic<int> schedResult_{-1};
    std::atomic<std::int64_t> injectLateNs_{0};
    std::atomic<long> injectDropFrames_{0};
    std::atomic<double> newRate_{0};
    DelayLockedLoop dll_;
};

// pthread_create behind the FoldbackThreadCreator signature (the default creator).
const FoldbackThreadCreator& defaultThreadCreator() noexcept;

std::int64_t monotonicNs() noexcept;

}  // namespace foldback::kit
