// A round-trip probe: a host hook that plays a per-sample counter signal on every active
// output and records, per input, what came back at each input position. The signal code of
// output k at position p is ((p mod 2048) << 3 | k) + 1, written as a proper sample of the
// stream's type, so an input sample names the output and the position it came from.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "host.hpp"

namespace foldback::itest {

// The counter signal; 0 is silence.
std::int32_t signalCode(long output, std::int64_t position);
// A code as one sample of type (bytes: sampleBytes(type)); decode gives the code back,
// 0 for silence, -1 for a sample the signal never produces.
void encodeSample(ASIOSampleType type, std::int32_t code, void* at);
std::int32_t decodeSample(ASIOSampleType type, const void* at);

class LoopProbe {
  public:
    // Records input positions [0, frames). Call after host.createBuffers, before start.
    LoopProbe(Host& host, long inputs, long outputs, std::int64_t frames);
    LoopProbe(const LoopProbe&) = delete;
    LoopProbe& operator=(const LoopProbe&) = delete;

    // Every position below `frames` has been seen (or skipped) by the host.
    bool complete() const { return seen_.load(std::memory_order_acquire) >= frames_; }
    bool waitComplete(double timeoutMs) const;
    // Call outputReady() right after writing the outputs in every switch (as RtAudio does).
    void callOutputReady(FoldbackDriver* driver) { outputReadyDriver_ = driver; }
    long long outputReadyFailures() const { return outputReadyFailures_.load(); }
    std::int64_t frames() const { return frames_; }

    // First input position with a non-silent sample, or -1.
    std::int64_t firstSound(long input) const;
    // The delay measured at that first sound: its position minus the output position its
    // code names (codes repeat every 2048 frames: delays must be shorter). -1 if silent.
    std::int64_t measuredDelay(long input) const;
    // Input positions the host received (not skipped).
    std::int64_t delivered(long input) const;
    // Checks that input `input` carries output `source` (or silence for -1) exactly
    // `delay` frames later wherever the output was played, and silence elsewhere.
    // Returns "" when it does, else a description of the first mismatches.
    std::string verify(long input, long source, std::int64_t delay) const;

  private:
    static void hook(Host& host, const SwitchRecord& rec, void* self);
    void onSwitch(const SwitchRecord& rec) noexcept;

    Host& host_;
    long inputs_, outputs_;
    std::int64_t frames_;
    ASIOSampleType type_;
    std::size_t bytes_;
    std::vector<std::int32_t> captured_;  // [input * frames + position]; -2 = never delivered
    std::vector<std::uint8_t> played_;    // [position]: the host wrote the outputs there
    std::atomic<std::int64_t> seen_{0};
    FoldbackDriver* outputReadyDriver_ = nullptr;
    std::atomic<long long> outputReadyFailures_{0};
};

}  // namespace foldback::itest
