// The tools' pieces on their own: the lock-free rings, the latency estimator against
// synthetic loops with known (fractional) delays, the calibration arithmetic, channel lists.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>
#include <thread>

#include "common.hpp"
#include "frame_ring.hpp"
#include "latency_math.hpp"

namespace lat = foldback::cli::latency;
using foldback::cli::EventRing;
using foldback::cli::FrameRing;

TEST(FrameRing, TwoThreadsPassEveryFrameInOrder) {
    FrameRing ring(1000, 3);  // not a power of two: wraps at odd places
    constexpr std::uint64_t kFrames = 3'000'000;
    std::thread producer([&] {
        std::mt19937 rng(1);
        std::uint64_t next = 0;
        while (next < kFrames) {
            const std::size_t want = std::min<std::uint64_t>(1 + rng() % 97, kFrames - next);
            if (ring.writable() < want) {
                std::this_thread::yield();
                continue;
            }
            auto r = ring.writeRegion(want);
            for (std::size_t i = 0; i < want; ++i) {
                float* f = i < r.firstFrames ? r.first + i * 3 : r.second + (i - r.firstFrames) * 3;
                for (int c = 0; c < 3; ++c)
                    f[c] = static_cast<float>((next + i) % 1000000) + 0.25f * c;
            }
            ring.commitWrite(want);
            next += want;
        }
    });
    std::uint64_t seen = 0, bad = 0;
    std::mt19937 rng(2);
    while (seen < kFrames) {
        const std::size_t avail = ring.readable();
        if (avail == 0) {
            std::this_thread::yield();
            continue;
        }
        const std::size_t n = std::min<std::size_t>(avail, 1 + rng() % 300);
        auto r = ring.readRegion(n);
        for (std::size_t i = 0; i < n; ++i) {
            const float* f =
                i < r.firstFrames ? r.first + i * 3 : r.second + (i - r.firstFrames) * 3;
            for (int c = 0; c < 3; ++c)
                if (f[c] != static_cast<float>((seen + i) % 1000000) + 0.25f * c) ++bad;
        }
        ring.commitRead(n);
        seen += n;
    }
    producer.join();
    EXPECT_EQ(bad, 0u);
    EXPECT_EQ(ring.readable(), 0u);
    EXPECT_EQ(ring.writtenTotal(), kFrames);
}

TEST(FrameRing, FullAndEmptyNeedNoSpareSlot) {
    FrameRing ring(8, 1);
    EXPECT_EQ(ring.writable(), 8u);
    ring.commitWrite(8);
    EXPECT_EQ(ring.writable(), 0u);
    EXPECT_EQ(ring.readable(), 8u);
    ring.commitRead(8);
    ring.commitWrite(6);
    ring.commitRead(6);
    EXPECT_EQ(ring.writable(), 8u);
    auto r = ring.writeRegion(5);  // 2 at the end, 3 at the start
    EXPECT_EQ(r.firstFrames, 2u);
    EXPECT_EQ(r.secondFrames, 3u);
}

TEST(EventRing, RefusesWhenFullAndKeepsOrder) {
    EventRing<int> ring(4);
    for (int i = 0; i < 4; ++i) EXPECT_TRUE(ring.push(i));
    EXPECT_FALSE(ring.push(99));
    for (int i = 0; i < 4; ++i) {
        ASSERT_NE(ring.front(), nullptr);
        EXPECT_EQ(*ring.front(), i);
        ring.pop();
    }
    EXPECT_EQ(ring.front(), nullptr);
    EXPECT_TRUE(ring.empty());
}

namespace {

// The loop a device would make: silence until `delay`, then the excitation delayed by a
// (fractional) delay, scaled, plus optional noise.
std::vector<float> loop(const lat::Excitation& x, double delay, std::size_t frames,
                        double gain = 1.0, double noise = 0.0, unsigned seed = 7) {
    const std::size_t n = x.period;
    std::vector<lat::Complex> y(x.spectrum);
    for (std::size_t k = 1; k < n / 2; ++k) {
        y[k] *= std::polar(
            gain, -2 * std::numbers::pi * static_cast<double>(k) * delay / static_cast<double>(n));
        y[n - k] = std::conj(y[k]);
    }
    y[0] *= gain;
    y[n / 2] = 0;
    lat::fft(y, true);
    std::vector<float> rec(frames, 0.0f);
    std::mt19937 rng(seed);
    std::normal_distribution<double> g(0.0, noise);
    for (std::size_t t = 0; t < frames; ++t) {
        const double v = static_cast<double>(t) >= delay ? y[t % n].real() : 0.0;
        rec[t] = static_cast<float>(v + (noise > 0 ? g(rng) : 0.0));
    }
    return rec;
}

}  // namespace

TEST(LatencyEstimate, IntegerDelaysAreExact) {
    const auto x = lat::makeExcitation(8192, 48000, 0.25);
    for (double d : {0.0, 1.0, 32.0, 64.0, 517.0, 4100.0}) {
        const std::size_t settle = lat::settlePeriods(static_cast<long>(d), 8192);
        const auto rec = loop(x, d, (settle + 2) * 8192);
        const auto e = lat::estimate(x, rec, settle, 2);
        ASSERT_TRUE(e.ok) << d << ": " << e.problem;
        EXPECT_NEAR(e.delay, d, 1e-6) << d;
        EXPECT_FALSE(e.inverted);
        EXPECT_NEAR(e.gainDb, 0.0, 0.01);
    }
}

TEST(LatencyEstimate, FractionalDelaysToAHundredthOfAFrame) {
    const auto x = lat::makeExcitation(8192, 48000, 0.25);
    for (double d : {100.25, 100.5, 333.7, 1000.01, 7.9}) {
        const auto rec = loop(x, d, 3 * 8192);
        const auto e = lat::estimate(x, rec, 1, 2);
        ASSERT_TRUE(e.ok) << d << ": " << e.problem;
        EXPECT_NEAR(e.delay, d, 0.01) << d;
    }
}

TEST(LatencyEstimate, NoiseGainAndPolarity) {
    const auto x = lat::makeExcitation(8192, 48000, 0.25);
    // -20 dB loop gain, inverted, noise 60 dB below the signal's peak.
    const auto rec = loop(x, 250.3, 3 * 8192, -0.1, 0.25e-3);
    const auto e = lat::estimate(x, rec, 1, 2);
    ASSERT_TRUE(e.ok) << e.problem;
    EXPECT_NEAR(e.delay, 250.3, 0.05);
    EXPECT_TRUE(e.inverted);
    EXPECT_NEAR(e.gainDb, -20.0, 0.1);
}

TEST(LatencyEstimate, BeyondOnePeriodUsesTheOnset) {
    const auto x = lat::makeExcitation(8192, 48000, 0.25);
    const double d = 8192 + 700.5;  // more than one period: D mod N alone would say 700.5
    const std::size_t settle = lat::settlePeriods(9000, 8192);
    const auto rec = loop(x, d, (settle + 2) * 8192);
    const auto e = lat::estimate(x, rec, settle, 2);
    ASSERT_TRUE(e.ok) << e.problem;
    EXPECT_NEAR(e.delay, d, 0.01);
}

TEST(LatencyEstimate, SilenceAndNoiseAreRefusedWithAReason) {
    const auto x = lat::makeExcitation(8192, 48000, 0.25);
    std::vector<float> silent(3 * 8192, 0.0f);
    auto e = lat::estimate(x, silent, 1, 2);
    EXPECT_FALSE(e.ok);
    EXPECT_NE(e.problem.find("no signal"), std::string::npos);
    std::vector<float> noise(3 * 8192);
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> u(-0.5f, 0.5f);
    for (float& v : noise) v = u(rng);
    e = lat::estimate(x, noise, 1, 2);
    EXPECT_FALSE(e.ok);
    EXPECT_NE(e.problem.find("no clear impulse"), std::string::npos);
}

TEST(LatencyEstimate, PeriodsCoverTheReportedLoop) {
    EXPECT_EQ(lat::choosePeriod(64), 8192u);
    EXPECT_EQ(lat::choosePeriod(16384), 32768u);
    EXPECT_EQ(lat::settlePeriods(64, 8192), 1u);
    EXPECT_EQ(lat::settlePeriods(5000, 8192), 2u);
}

TEST(Calibrate, SplitsTheDifferenceAndNeverCountsTwice) {
    using lat::Split;
    auto c = lat::calibrate(512.0, 256, 256, {0, 0}, Split::Half);
    EXPECT_EQ(c.input, 0);
    EXPECT_EQ(c.output, 0);
    c = lat::calibrate(521.3, 256, 256, {0, 0}, Split::Half);  // 9 more: odd frame on output
    EXPECT_EQ(c.input, 4);
    EXPECT_EQ(c.output, 5);
    // Already calibrated: the driver now reports 521 (260 + 261); the same measurement
    // gives the same offsets, not twice them.
    c = lat::calibrate(521.3, 260, 261, {4, 5}, Split::Half);
    EXPECT_EQ(c.input, 4);
    EXPECT_EQ(c.output, 5);
    // Offsets that were wrong are replaced by the right ones.
    c = lat::calibrate(512.0, 266, 256, {10, 0}, Split::Half);
    EXPECT_EQ(c.input, 0);
    EXPECT_EQ(c.output, 0);
    c = lat::calibrate(505.0, 256, 256, {0, 0}, Split::Half);
    EXPECT_EQ(c.input, -3);
    EXPECT_EQ(c.output, -4);
    c = lat::calibrate(520.0, 256, 256, {0, 0}, Split::Input);
    EXPECT_EQ(c.input, 8);
    EXPECT_EQ(c.output, 0);
    c = lat::calibrate(520.0, 256, 256, {0, 0}, Split::Output);
    EXPECT_EQ(c.input, 0);
    EXPECT_EQ(c.output, 8);
    // Never below 0 on a side: the rest moves to the other side.
    c = lat::calibrate(200.0, 2, 300, {0, 0}, Split::Half);
    EXPECT_EQ(c.input, -2);
    EXPECT_EQ(c.output, -100);
}

TEST(Channels, ListsAndRanges) {
    using foldback::cli::formatChannels;
    using foldback::cli::parseChannels;
    EXPECT_EQ(parseChannels("1-4,7", "-c", 8, "input"), (std::vector<long>{0, 1, 2, 3, 6}));
    EXPECT_EQ(parseChannels("2,1", "--to", 8, "output"), (std::vector<long>{1, 0}));
    EXPECT_EQ(formatChannels({0, 1, 2, 3, 6}), "1-4,7");
    for (const char* bad : {"0", "3-1", "9", "1,1", "a", "1-", ""})
        EXPECT_THROW(parseChannels(bad, "-c", 8, "input"), foldback::cli::Exit) << bad;
}
