#include "session.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace foldback::cli {

namespace {

constexpr std::size_t kDiskChunk = 4096;  // frames per libsndfile call

void interleave(std::span<const float* const> in, std::size_t offset, float* dst,
                std::size_t frames) noexcept {
    const std::size_t ch = in.size();
    for (std::size_t c = 0; c < ch; ++c) {
        const float* src = in[c] + offset;
        float* d = dst + c;
        for (std::size_t i = 0; i < frames; ++i) d[i * ch] = src[i];
    }
}

void deinterleave(const float* src, std::size_t channels, std::span<float* const> out,
                  std::size_t offset, std::size_t frames) noexcept {
    for (std::size_t c = 0; c < out.size() && c < channels; ++c) {
        float* d = out[c] + offset;
        const float* s = src + c;
        for (std::size_t i = 0; i < frames; ++i) d[i] = s[i * channels];
    }
}

}  // namespace

const char* gapCauseName(GapCause c) noexcept {
    switch (c) {
        case GapCause::RingOverflow:
            return "ring overflow";
        case GapCause::DeviceDrop:
            return "device drop-out";
        case GapCause::RingUnderrun:
            return "ring underrun";
    }
    return "gap";
}

std::string describeGap(const Gap& g, double rate) {
    return fmt::format("{}: {} frames lost at {}..{} ({:.3f}-{:.3f} s)", gapCauseName(g.cause),
                       g.frames, g.position, g.position + g.frames - 1,
                       static_cast<double>(g.position) / rate,
                       static_cast<double>(g.position + g.frames) / rate);
}

// ---- Recorder ------------------------------------------------------------------------------

Recorder::Recorder(const RecorderOptions& options, double rate, std::size_t channels,
                   GapLog& reports)
    : options_(options),
      rate_(rate),
      channels_(channels),
      file_(SoundFile::openWrite(options.path, options.format, static_cast<int>(channels),
                                 static_cast<int>(std::lround(rate)))),
      ring_(std::max(options.minFrames, static_cast<std::size_t>(std::max(
                                            1024.0, std::ceil(options.ringSeconds * rate)))),
            channels),
      gaps_(65536),
      reports_(reports) {}

Recorder::~Recorder() {
    finishing_.store(true, std::memory_order_release);
    if (disk_.joinable()) disk_.join();
}

void Recorder::flushPending() noexcept {
    if (pending_.frames == 0) return;
    if (gaps_.push(pending_)) {
        reports_.add(pending_);
        pending_.frames = 0;
    }
}

void Recorder::gap(std::int64_t position, std::int64_t frames, GapCause cause) noexcept {
    if (frames <= 0) return;
    if (pending_.frames > 0 && pending_.cause != cause) flushPending();
    if (pending_.frames > 0) {
        // Still open (same cause, or the gap queue is full): it grows. Gaps only ever
        // happen at the current position, so the open one always ends where this starts.
        pending_.frames += frames;
    } else {
        pending_ = Gap{ring_.writtenTotal(), position, frames, cause};
    }
    lost_.fetch_add(frames, std::memory_order_relaxed);
}

void Recorder::push(std::span<const float* const> in, long frames, std::int64_t position) noexcept {
    if (frames <= 0) return;
    const auto n = static_cast<std::size_t>(frames);
    // An open gap closes only when data follows it: a long overflow stays one gap.
    if (pending_.frames > 0 && ring_.writable() >= n) flushPending();
    if (pending_.frames == 0 && ring_.writable() >= n) {
        const FrameRing::Region r = ring_.writeRegion(n);
        interleave(in, 0, r.first, r.firstFrames);
        if (r.secondFrames) interleave(in, r.firstFrames, r.second, r.secondFrames);
        ring_.commitWrite(n);
        const std::size_t fill = ring_.capacity() - ring_.writable();
        if (fill > maxFill_.load(std::memory_order_relaxed))
            maxFill_.store(fill, std::memory_order_relaxed);
    } else {
        gap(position, frames, GapCause::RingOverflow);
    }
    taken_.fetch_add(frames, std::memory_order_relaxed);
}

void Recorder::deviceGap(std::int64_t position, std::int64_t frames) noexcept {
    if (frames <= 0) return;
    gap(position, frames, GapCause::DeviceDrop);
    taken_.fetch_add(frames, std::memory_order_relaxed);
}

void Recorder::startDisk() {
    disk_ = std::thread([this] { diskLoop(); });
}

void Recorder::diskLoop() noexcept {
    std::vector<float> zeros(kDiskChunk * channels_, 0.0f);
    const auto stallAt = static_cast<std::int64_t>(options_.stallAtSeconds * rate_);
    bool stalled = options_.stallMs <= 0;
    auto write = [&](const float* p, std::size_t frames) {
        if (diskFailed_.load(std::memory_order_relaxed)) return;  // keep draining, write nothing
        const sf_count_t done = sf_writef_float(file_.get(), p, static_cast<sf_count_t>(frames));
        if (done != static_cast<sf_count_t>(frames)) {
            diskError_ = sf_strerror(file_.get());
            diskFailed_.store(true, std::memory_order_relaxed);
            return;
        }
        written_.fetch_add(static_cast<std::int64_t>(frames), std::memory_order_relaxed);
    };
    for (;;) {
        const bool finishing = finishing_.load(std::memory_order_acquire);
        if (!stalled && written_.load(std::memory_order_relaxed) >= stallAt) {
            // Test only (--test-stall-ms): a disk that stops answering for a while.
            stalled = true;
            const std::int64_t until = nowNs() + static_cast<std::int64_t>(options_.stallMs * 1e6);
            while (nowNs() < until) {
                struct timespec ts {
                    0, 1'000'000
                };
                nanosleep(&ts, nullptr);
            }
        }
        const std::uint64_t consumed = ring_.readTotal();
        if (const Gap* g = gaps_.front(); g && g->ringIndex == consumed) {
            // The frames the take lost at this point: silence of the same length.
            std::int64_t left = g->frames;
            while (left > 0) {
                const auto n = static_cast<std::size_t>(std::min<std::int64_t>(left, kDiskChunk));
                write(zeros.data(), n);
                left -= static_cast<std::int64_t>(n);
            }
            gaps_.pop();
            continue;
        }
        std::size_t n = std::min(ring_.readable(), kDiskChunk);
        if (const Gap* g = gaps_.front())
            n = std::min<std::size_t>(n, static_cast<std::size_t>(g->ringIndex - consumed));
        if (n > 0) {
            const FrameRing::Region r = ring_.readRegion(n);
            write(r.first, r.firstFrames);
            if (r.secondFrames) write(r.second, r.secondFrames);
            ring_.commitRead(n);
            continue;
        }
        if (finishing && ring_.readable() == 0 && gaps_.empty()) break;
        struct timespec ts {
            0, 2'000'000
        };
        nanosleep(&ts, nullptr);
    }
}

std::string Recorder::finish() {
    // The stream is stopped: this thread is the producer now.
    if (pending_.frames > 0) {
        while (!gaps_.push(pending_)) sleepMs(1);
        reports_.add(pending_);
        pending_.frames = 0;
    }
    finishing_.store(true, std::memory_order_release);
    if (disk_.joinable()) disk_.join();
    const std::string closeError = file_.close();
    if (diskFailed_.load())
        return fmt::format("writing stopped after {} frames: {}", written_.load(), diskError_);
    return closeError;
}

// ---- Player --------------------------------------------------------------------------------

Player::Player(const PlayerOptions& options, double deviceRate, std::size_t outputs,
               GapLog& reports)
    : options_(options),
      deviceRate_(deviceRate),
      outputs_(outputs),
      file_(SoundFile::openRead(options.path)),
      ring_(static_cast<std::size_t>(
                std::max(2.0 * kDiskChunk, std::ceil(options.ringSeconds * deviceRate))) +
                options.minFrames,
            outputs),
      reports_(reports) {
    const auto ch = static_cast<std::size_t>(file_.channels());
    fileBuf_.assign(kDiskChunk * ch, 0.0f);
    outBuf_.assign(kDiskChunk * ch, 0.0f);
    expectedFrames_ = file_.frames();
    if (file_.rate() != static_cast<int>(std::lround(deviceRate))) {
        ratio_ = deviceRate / file_.rate();
        int err = 0;
        src_ = src_callback_new(&Player::srcFeed, SRC_SINC_BEST_QUALITY, static_cast<int>(ch), &err,
                                this);
        if (!src_) {
            error(fmt::format("libsamplerate: {}", src_strerror(err)));
            throw kFileError;
        }
        expectedFrames_ =
            static_cast<std::int64_t>(std::llround(static_cast<double>(file_.frames()) * ratio_));
    }
}

Player::~Player() {
    quit_.store(true, std::memory_order_release);
    if (disk_.joinable()) disk_.join();
    if (src_) src_delete(src_);
}

long Player::srcFeed(void* self, float** data) {
    auto* p = static_cast<Player*>(self);
    const sf_count_t got =
        sf_readf_float(p->file_.get(), p->fileBuf_.data(), static_cast<sf_count_t>(kDiskChunk));
    *data = p->fileBuf_.data();
    return static_cast<long>(std::max<sf_count_t>(got, 0));
}

std::size_t Player::produce(std::size_t frames) noexcept {
    frames = std::min(frames, kDiskChunk);
    const auto ch = static_cast<std::size_t>(file_.channels());
    long got = 0;
    if (src_) {
        got = src_callback_read(src_, ratio_, static_cast<long>(frames), outBuf_.data());
        if (got <= 0 && src_error(src_) != 0) diskError_ = src_strerror(src_error(src_));
    } else {
        got = static_cast<long>(
            sf_readf_float(file_.get(), outBuf_.data(), static_cast<sf_count_t>(frames)));
    }
    if (got <= 0) return 0;
    const auto n = static_cast<std::size_t>(got);
    const FrameRing::Region r = ring_.writeRegion(n);
    auto map = [&](float* dst, std::size_t from, std::size_t count) {
        for (std::size_t i = 0; i < count; ++i) {
            const float* s = outBuf_.data() + (from + i) * ch;
            float* d = dst + i * outputs_;
            for (std::size_t o = 0; o < outputs_; ++o) d[o] = ch == 1 ? s[0] : s[o];
        }
    };
    map(r.first, 0, r.firstFrames);
    if (r.secondFrames) map(r.second, r.firstFrames, r.secondFrames);
    ring_.commitWrite(n);
    return n;
}

void Player::startDisk() {
    // Read ahead before the first period needs anything.
    while (!eof_.load(std::memory_order_relaxed) && ring_.writable() >= kDiskChunk)
        if (produce(kDiskChunk) == 0) eof_.store(true, std::memory_order_release);
    disk_ = std::thread([this] { diskLoop(); });
}

void Player::diskLoop() noexcept {
    while (!quit_.load(std::memory_order_acquire) && !eof_.load(std::memory_order_relaxed)) {
        const std::size_t space = ring_.writable();
        if (space < kDiskChunk / 4) {
            struct timespec ts {
                0, 2'000'000
            };
            nanosleep(&ts, nullptr);
            continue;
        }
        if (produce(std::min(space, kDiskChunk)) == 0) eof_.store(true, std::memory_order_release);
    }
}

void Player::finish() {
    quit_.store(true, std::memory_order_release);
    if (disk_.joinable()) disk_.join();
}

void Player::deviceGap(std::int64_t frames) noexcept {
    if (frames > 0 && !ended_) debt_ += frames;
}

bool Player::finished(std::int64_t& end) const noexcept {
    end = endPosition_;
    return ended_;
}

void Player::pull(std::span<float* const> out, long frames, std::int64_t position) noexcept {
    const auto want = static_cast<std::size_t>(frames);
    std::size_t n = 0;
    if (!ended_) {
        // The timeline ran ahead of the file (a drop-out or an underrun): drop what is owed.
        if (debt_ > 0) {
            const std::size_t k =
                std::min<std::size_t>(static_cast<std::size_t>(debt_), ring_.readable());
            ring_.commitRead(k);
            debt_ -= static_cast<std::int64_t>(k);
        }
        if (debt_ == 0) {
            n = std::min(want, ring_.readable());
            if (n > 0) {
                const FrameRing::Region r = ring_.readRegion(n);
                deinterleave(r.first, outputs_, out, 0, r.firstFrames);
                if (r.secondFrames)
                    deinterleave(r.second, outputs_, out, r.firstFrames, r.secondFrames);
                ring_.commitRead(n);
                played_.fetch_add(static_cast<std::int64_t>(n), std::memory_order_relaxed);
            }
        }
        if (n < want) {
            // eof_ is published after the last frames: nothing readable now means the end.
            if (eof_.load(std::memory_order_acquire) && ring_.readable() == 0) {
                ended_ = true;
                endPosition_ = position + static_cast<std::int64_t>(n);
            } else {
                const auto missing = static_cast<std::int64_t>(want - n);
                debt_ += missing;
                underrun_.fetch_add(missing, std::memory_order_relaxed);
                reports_.add(Gap{0, position + static_cast<std::int64_t>(n), missing,
                                 GapCause::RingUnderrun});
            }
        }
    }
    for (std::size_t c = 0; c < out.size(); ++c)
        if (n < want) std::memset(out[c] + n, 0, (want - n) * sizeof(float));
}

// ---- Session -------------------------------------------------------------------------------

Session::Session() : overloadAt_(new std::atomic<std::int64_t>[kOverloadSlots]) {
    for (std::size_t i = 0; i < kOverloadSlots; ++i) overloadAt_[i].store(-1);
}
Session::~Session() = default;

void Session::configure(std::int64_t stopAt, std::int64_t tail) {
    stopAt_ = stopAt > 0 ? stopAt : INT64_MAX;
    tail_ = std::max<std::int64_t>(0, tail);
}

void Session::processFloat(const Block& b) {
    const long frames = b.frames;
    std::int64_t pos = b.position >= 0 ? b.position : (started_ ? expected_ : 0);
    if (!started_) {
        started_ = true;
        base_ = expected_ = pos;
    }
    if (pos != expected_) {
        const std::int64_t jump = pos - expected_;
        if (jump > 0) {
            // The driver's position jumped: the device lost these frames.
            const std::int64_t at = expected_ - base_;
            dropped_.fetch_add(jump, std::memory_order_relaxed);
            if (recorder && at < stopAt_)
                recorder->deviceGap(at, std::min(jump, stopAt_ - at));
            else
                reports.add(Gap{0, at, jump, GapCause::DeviceDrop});
            if (player) player->deviceGap(jump);
        } else {
            base_ += jump;  // the driver restarted its count: keep the take continuous
        }
    }
    expected_ = pos + frames;
    const std::int64_t rel = pos - base_;

    if (player) {
        player->pull(b.out, frames, rel);
        for (std::size_t c = 0; c < b.out.size(); ++c) playMeters.feed(c, b.out[c], frames);
        std::int64_t end = 0;
        if (player->finished(end) && end + tail_ < stopAt_) stopAt_ = end + tail_;
    } else {
        for (float* o : b.out) std::memset(o, 0, static_cast<std::size_t>(frames) * sizeof(float));
    }
    if (recorder && rel < stopAt_) {
        const long n = static_cast<long>(std::min<std::int64_t>(frames, stopAt_ - rel));
        recorder->push(b.in, n, rel);
        for (std::size_t c = 0; c < b.in.size(); ++c) recordMeters.feed(c, b.in[c], n);
    }
    position_.store(rel + frames, std::memory_order_relaxed);
    if (rel + frames >= stopAt_) done_.store(true, std::memory_order_release);
}

void Session::notify(long selector, long) noexcept {
    if (selector == kAsioOverload) {
        const long long i = overloadCount_.fetch_add(1, std::memory_order_relaxed);
        if (i >= 0 && static_cast<std::size_t>(i) < kOverloadSlots)
            overloadAt_[static_cast<std::size_t>(i)].store(
                position_.load(std::memory_order_relaxed), std::memory_order_relaxed);
    } else if (selector == kAsioResetRequest) {
        reset_.store(true, std::memory_order_relaxed);
    }
}

std::vector<std::int64_t> Session::overloadPositions() const {
    std::vector<std::int64_t> out;
    const auto n =
        std::min<long long>(overloadCount_.load(), static_cast<long long>(kOverloadSlots));
    for (long long i = 0; i < n; ++i)
        out.push_back(overloadAt_[static_cast<std::size_t>(i)].load());
    return out;
}

void Session::collect(std::vector<Gap>& gaps) {
    while (const Gap* g = reports.ring.front()) {
        gaps.push_back(*g);
        reports.ring.pop();
    }
}

}  // namespace foldback::cli
