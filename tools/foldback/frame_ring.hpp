// Lock-free single-producer single-consumer rings over memory allocated (and touched) up
// front: FrameRing carries interleaved float frames between the audio thread and a disk
// thread; EventRing carries small POD records (gaps). No allocation, lock or system call
// on either side; one thread writes, one thread reads.
//
// Indices are 64-bit totals (frames ever written / read), so "full" and "empty" need no
// spare slot and never wrap in practice. The producer publishes with a release store of
// its total after writing the data; the consumer acquires it before reading (and the
// other way round for the space it frees).
#pragma once

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <type_traits>

namespace foldback::cli {

class FrameRing {
  public:
    // Two contiguous pieces (the second is empty unless the region wraps).
    struct Region {
        float* first = nullptr;
        std::size_t firstFrames = 0;
        float* second = nullptr;
        std::size_t secondFrames = 0;
    };

    FrameRing(std::size_t frames, std::size_t channels)
        : frames_(std::max<std::size_t>(frames, 1)),
          channels_(std::max<std::size_t>(channels, 1)),
          data_(new float[frames_ * channels_]) {
        // Touch every page now (and keep them resident when allowed): no page fault on the
        // audio thread.
        std::memset(data_.get(), 0, frames_ * channels_ * sizeof(float));
        (void)mlock(data_.get(), frames_ * channels_ * sizeof(float));
    }
    ~FrameRing() { (void)munlock(data_.get(), frames_ * channels_ * sizeof(float)); }
    FrameRing(const FrameRing&) = delete;
    FrameRing& operator=(const FrameRing&) = delete;

    std::size_t capacity() const noexcept { return frames_; }
    std::size_t channels() const noexcept { return channels_; }

    // ---- producer -------------------------------------------------------------------
    std::size_t writable() const noexcept {
        return frames_ - static_cast<std::size_t>(w_.load(std::memory_order_relaxed) -
                                                  r_.load(std::memory_order_acquire));
    }
    // frames <= writable()
    Region writeRegion(std::size_t frames) noexcept {
        return region(w_.load(std::memory_order_relaxed), frames);
    }
    void commitWrite(std::size_t frames) noexcept {
        w_.store(w_.load(std::memory_order_relaxed) + frames, std::memory_order_release);
    }
    std::uint64_t writtenTotal() const noexcept { return w_.load(std::memory_order_relaxed); }

    // ---- consumer -------------------------------------------------------------------
    std::size_t readable() const noexcept {
        return static_cast<std::size_t>(w_.load(std::memory_order_acquire) -
                                        r_.load(std::memory_order_relaxed));
    }
    // frames <= readable()
    Region readRegion(std::size_t frames) noexcept {
        return region(r_.load(std::memory_order_relaxed), frames);
    }
    void commitRead(std::size_t frames) noexcept {
        r_.store(r_.load(std::memory_order_relaxed) + frames, std::memory_order_release);
    }
    std::uint64_t readTotal() const noexcept { return r_.load(std::memory_order_relaxed); }

    // Either side, for display: frames held now.
    std::size_t fill() const noexcept {
        return static_cast<std::size_t>(w_.load(std::memory_order_acquire) -
                                        r_.load(std::memory_order_acquire));
    }

  private:
    Region region(std::uint64_t at, std::size_t frames) noexcept {
        const std::size_t start = static_cast<std::size_t>(at % frames_);
        const std::size_t first = std::min(frames, frames_ - start);
        Region r;
        r.first = data_.get() + start * channels_;
        r.firstFrames = first;
        r.second = data_.get();
        r.secondFrames = frames - first;
        return r;
    }

    const std::size_t frames_, channels_;
    std::unique_ptr<float[]> data_;
    alignas(64) std::atomic<std::uint64_t> w_{0};
    alignas(64) std::atomic<std::uint64_t> r_{0};
};

template <typename T>
class EventRing {
    static_assert(std::is_trivially_copyable_v<T>);

  public:
    explicit EventRing(std::size_t capacity)
        : cap_(std::max<std::size_t>(capacity, 1)), data_(new T[cap_]()) {}

    // [producer] false when full (nothing written).
    bool push(const T& v) noexcept {
        const std::uint64_t w = w_.load(std::memory_order_relaxed);
        if (w - r_.load(std::memory_order_acquire) >= cap_) return false;
        data_[w % cap_] = v;
        w_.store(w + 1, std::memory_order_release);
        return true;
    }
    // [consumer] the oldest record without removing it; nullptr when empty.
    const T* front() const noexcept {
        const std::uint64_t r = r_.load(std::memory_order_relaxed);
        if (r == w_.load(std::memory_order_acquire)) return nullptr;
        return &data_[r % cap_];
    }
    void pop() noexcept {
        r_.store(r_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    }
    bool empty() const noexcept {
        return r_.load(std::memory_order_acquire) == w_.load(std::memory_order_acquire);
    }

  private:
    const std::size_t cap_;
    std::unique_ptr<T[]> data_;
    alignas(64) std::atomic<std::uint64_t> w_{0};
    alignas(64) std::atomic<std::uint64_t> r_{0};
};

}  // namespace foldback::cli
