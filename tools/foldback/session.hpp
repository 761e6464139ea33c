// The streaming engine of `record` and `play` (and of `record --play`): the audio thread
// only moves frames between the driver's buffers and lock-free rings; disk threads read
// and write the files (and resample). Every frame the take misses is accounted for with
// its exact position: ring overflow (the disk did not keep up), ring underrun (the file
// could not be read fast enough), device drop-outs (the driver's position jumped).
//
// Positions are frames since the first period of the stream (the "take" timeline). The
// recorded file keeps that timeline: a gap is written as silence of the same length, so
// frame t of the file is always frame t of the take.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <samplerate.h>

#include "audio_file.hpp"
#include "common.hpp"
#include "foldback/host.hpp"
#include "frame_ring.hpp"

namespace foldback::cli {

enum class GapCause : int { RingOverflow = 1, DeviceDrop = 2, RingUnderrun = 3 };
const char* gapCauseName(GapCause c) noexcept;

struct Gap {
    std::uint64_t ringIndex = 0;  // recorder: frames pushed into the ring before the gap
    std::int64_t position = 0;    // first lost frame, on the take timeline
    std::int64_t frames = 0;
    GapCause cause = GapCause::RingOverflow;
};

// Gaps the audio thread reports to the control thread (single producer: the audio thread,
// or the control thread once the stream stopped).
struct GapLog {
    EventRing<Gap> ring{65536};
    std::atomic<long long> unlisted{0};
    void add(const Gap& g) noexcept {
        if (!ring.push(g)) unlisted.fetch_add(1, std::memory_order_relaxed);
    }
};

struct RecorderOptions {
    std::string path;
    int format = 0;             // writeFormat()
    double ringSeconds = 4.0;   // ring size
    std::size_t minFrames = 0;  // at least this many (a few periods)
    double stallMs = 0;         // test only: the disk thread sleeps this long, once,
    double stallAtSeconds = 1;  // when this much of the take is written
};

// Input channels -> ring -> disk thread -> file.
class Recorder {
  public:
    Recorder(const RecorderOptions& options, double rate, std::size_t channels, GapLog& reports);
    ~Recorder();

    // [rt] frames of every recorded channel (in order), at take position `position`.
    void push(std::span<const float* const> in, long frames, std::int64_t position) noexcept;
    // [rt] the device lost `frames` at `position` (silence in the file).
    void deviceGap(std::int64_t position, std::int64_t frames) noexcept;

    // [control] before the stream starts.
    void startDisk();
    // [control] after the stream stopped: closes the open gap, drains the ring, closes the
    // file. Returns "" or why the file is incomplete.
    std::string finish();

    std::int64_t framesTaken() const noexcept { return taken_.load(std::memory_order_relaxed); }
    std::int64_t lostFrames() const noexcept { return lost_.load(std::memory_order_relaxed); }
    std::size_t ringFrames() const noexcept { return ring_.capacity(); }
    std::size_t ringFill() const noexcept { return ring_.fill(); }
    std::size_t maxRingFill() const noexcept { return maxFill_.load(std::memory_order_relaxed); }
    bool diskFailed() const noexcept { return diskFailed_.load(std::memory_order_relaxed); }
    std::int64_t framesWritten() const noexcept { return written_.load(std::memory_order_relaxed); }
    const SoundFile& file() const noexcept { return file_; }

  private:
    void diskLoop() noexcept;
    void flushPending() noexcept;
    void gap(std::int64_t position, std::int64_t frames, GapCause cause) noexcept;

    RecorderOptions options_;
    double rate_;
    std::size_t channels_;
    SoundFile file_;
    FrameRing ring_;
    EventRing<Gap> gaps_;  // audio thread -> disk thread: where to write silence
    GapLog& reports_;      // audio thread -> control thread: what to tell the user
    Gap pending_{};        // [rt] the gap still growing (frames == 0: none)
    std::atomic<std::int64_t> taken_{0}, lost_{0}, written_{0};
    std::atomic<std::size_t> maxFill_{0};
    std::atomic<bool> finishing_{false}, diskFailed_{false};
    std::string diskError_;
    std::thread disk_;
};

struct PlayerOptions {
    std::string path;
    bool resample = false;
    double ringSeconds = 2.0;
    std::size_t minFrames = 0;
};

// File -> disk thread (resampling) -> ring -> output channels.
class Player {
  public:
    // Opens the file and checks it against the device (rate, channels); throws Exit codes
    // after printing what to do.
    Player(const PlayerOptions& options, double deviceRate, std::size_t outputs, GapLog& reports);
    ~Player();

    // [rt]
    void pull(std::span<float* const> out, long frames, std::int64_t position) noexcept;
    void deviceGap(std::int64_t frames) noexcept;
    // [rt] true once the last frame of the file was handed to the driver; end = its take
    // position + 1.
    bool finished(std::int64_t& end) const noexcept;

    // [control] reads ahead until the ring is full (or the file ends), then keeps it full.
    void startDisk();
    void finish();

    const SoundFile& file() const noexcept { return file_; }
    std::int64_t fileFramesAtDeviceRate() const noexcept { return expectedFrames_; }
    std::int64_t played() const noexcept { return played_.load(std::memory_order_relaxed); }
    std::int64_t underrunFrames() const noexcept {
        return underrun_.load(std::memory_order_relaxed);
    }
    bool resampling() const noexcept { return src_ != nullptr; }
    std::string diskError() const { return diskError_; }

  private:
    void diskLoop() noexcept;
    std::size_t produce(std::size_t frames) noexcept;
    static long srcFeed(void* self, float** data);

    PlayerOptions options_;
    double deviceRate_;
    std::size_t outputs_;
    SoundFile file_;
    FrameRing ring_;
    GapLog& reports_;
    SRC_STATE* src_ = nullptr;
    double ratio_ = 1.0;
    std::vector<float> fileBuf_, outBuf_;
    std::int64_t expectedFrames_ = 0;
    std::int64_t debt_ =
        0;                // [rt] frames the timeline ran ahead of the file (dropped when they come)
    bool ended_ = false;  // [rt]
    std::int64_t endPosition_ = 0;
    std::atomic<bool> eof_{false}, quit_{false};
    std::atomic<std::int64_t> played_{0}, underrun_{0};
    std::string diskError_;
    std::thread disk_;
};

// The FloatHandler that drives a Recorder and/or a Player.
class Session final : public FloatHandler {
  public:
    Session();
    ~Session() override;

    std::unique_ptr<Recorder> recorder;
    std::unique_ptr<Player> player;
    GapLog reports;
    Meters recordMeters, playMeters;

    // [control] before start. stopAt: take frames (0 = open-ended); tail: frames to keep
    // running after the player's last frame (output latency; + input latency when recording
    // the loop).
    void configure(std::int64_t stopAt, std::int64_t tail);

    void processFloat(const Block& block) override;
    void notify(long selector, long value) noexcept override;

    bool done() const noexcept { return done_.load(std::memory_order_acquire); }
    std::int64_t position() const noexcept { return position_.load(std::memory_order_relaxed); }
    // [control, after stop] frames of the take (the position, capped where it was to stop).
    std::int64_t takeFrames() const noexcept { return std::min(position(), stopAt_); }
    std::int64_t deviceDropFrames() const noexcept {
        return dropped_.load(std::memory_order_relaxed);
    }
    bool resetRequested() const noexcept { return reset_.load(std::memory_order_relaxed); }
    // Overload notifications with the take position they arrived at (read after stop).
    std::vector<std::int64_t> overloadPositions() const;
    long long overloads() const noexcept { return overloadCount_.load(std::memory_order_relaxed); }
    // [control] moves what the audio thread reported so far into `gaps`.
    void collect(std::vector<Gap>& gaps);
    long long unlistedGaps() const noexcept {
        return reports.unlisted.load(std::memory_order_relaxed);
    }

  private:
    bool started_ = false;
    std::int64_t base_ = 0, expected_ = 0;
    std::int64_t stopAt_ = INT64_MAX, tail_ = 0;
    std::atomic<bool> done_{false}, reset_{false};
    std::atomic<std::int64_t> position_{0}, dropped_{0};
    static constexpr std::size_t kOverloadSlots = 4096;
    std::unique_ptr<std::atomic<std::int64_t>[]> overloadAt_;
    std::atomic<long long> overloadCount_{0};
};

// Gap lists for people and for JSON.
std::string describeGap(const Gap& g, double rate);

}  // namespace foldback::cli
