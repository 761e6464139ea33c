// The JACK driver on a stand-in libjack (fakejack.cpp) that the test drives cycle by
// cycle: what a real server does only after a day (the 32-bit frame counter's wrap) or
// only on some implementations (pipewire-jack's shutdown and buffer-size callbacks, a rate
// change) happens on demand, and the host's view is checked exactly.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <jack/jack.h>

#include <cstdint>
#include <string>
#include <vector>

#include "support.hpp"

#ifndef FOLDBACK_FAKEJACK
#error "FOLDBACK_FAKEJACK must name the stand-in libjack"
#endif

namespace foldback::jacktest {
namespace {

struct Fake {
    void (*reset)(jack_nframes_t, jack_nframes_t, int, int);
    int (*cycle)(jack_nframes_t, jack_nframes_t, jack_time_t);
    void (*xrun)();
    void (*setBufferSize)(jack_nframes_t, int);
    void (*setSampleRate)(jack_nframes_t);
    void (*setPlaybackLatency)(jack_nframes_t);
    void (*shutdown)(int);
    void (*useClock)(clockid_t);
    jack_time_t (*nowUs)();
};

const Fake& fake() {
    static const Fake f = [] {
        void* h = dlopen(FOLDBACK_FAKEJACK, RTLD_NOW | RTLD_LOCAL);  // the driver gets the same one
        if (!h) throw std::runtime_error(dlerror());
        Fake x{};
        x.reset = reinterpret_cast<decltype(x.reset)>(dlsym(h, "fakejack_reset"));
        x.cycle = reinterpret_cast<decltype(x.cycle)>(dlsym(h, "fakejack_cycle"));
        x.xrun = reinterpret_cast<decltype(x.xrun)>(dlsym(h, "fakejack_xrun"));
        x.setBufferSize =
            reinterpret_cast<decltype(x.setBufferSize)>(dlsym(h, "fakejack_set_buffer_size"));
        x.setSampleRate =
            reinterpret_cast<decltype(x.setSampleRate)>(dlsym(h, "fakejack_set_sample_rate"));
        x.setPlaybackLatency = reinterpret_cast<decltype(x.setPlaybackLatency)>(
            dlsym(h, "fakejack_set_playback_latency"));
        x.shutdown = reinterpret_cast<decltype(x.shutdown)>(dlsym(h, "fakejack_shutdown"));
        x.useClock = reinterpret_cast<decltype(x.useClock)>(dlsym(h, "fakejack_use_clock"));
        x.nowUs = reinterpret_cast<decltype(x.nowUs)>(dlsym(h, "fakejack_now_us"));
        return x;
    }();
    return f;
}

const std::string kConfig = std::string("[jack]\nlibrary = \"") + FOLDBACK_FAKEJACK + "\"\n";

class FakeJack : public ::testing::Test {
  protected:
    void SetUp() override {
        fake().reset(48000, 64, 2, 2);
        name_ = addInstance("jk-fake", kConfig);
    }
    void open(Driver& d, Host& h) {
        ASSERT_EQ(d.init(), ASIOTrue) << d.errorMessage();
        h.driver = d.get();
        ASSERT_EQ(h.createBuffers(d), ASE_OK) << d.errorMessage();
        ASSERT_EQ(d.start(), ASE_OK) << d.errorMessage();
    }
    // n cycles of `frames`, the counter advancing by `frames` from `counter`.
    void cycles(int n, jack_nframes_t frames, jack_nframes_t& counter, jack_time_t& usecs) {
        for (int i = 0; i < n; ++i) {
            ASSERT_EQ(fake().cycle(frames, counter, usecs), 0);
            counter += frames;  // wraps modulo 2^32, as JACK's does
            usecs += static_cast<jack_time_t>(frames) * 1000000 / 48000;
        }
    }
    std::string name_;
};

// Waits (briefly) for a message a driver thread sends.
bool waitMessage(const Host& h, long selector, long long count = 1) {
    const std::int64_t until = nowNs() + 2'000'000'000LL;
    while (h.messages(selector) < count && nowNs() < until) sleepMs(1);
    return h.messages(selector) >= count;
}

TEST_F(FakeJack, TheFrameCounterWrapsAfter2To32FramesAndThePositionGoesOn) {
    Driver d(name_);
    Host h;
    ASSERT_NO_FATAL_FAILURE(open(d, h));
    jack_nframes_t counter = 0xFFFFFFFFu - 4 * 64 + 1;  // the 5th period crosses 2^32
    jack_time_t usecs = 5'000'000'000'000ULL;           // 58 days: beyond 32 bits of us
    const jack_time_t usecs0 = usecs;
    ASSERT_NO_FATAL_FAILURE(cycles(12, 64, counter, usecs));
    ASSERT_EQ(d.stop(), ASE_OK);
    const auto recs = h.records();
    ASSERT_EQ(recs.size(), 12u);
    for (std::size_t i = 0; i < recs.size(); ++i) {
        EXPECT_EQ(recs[i].position, static_cast<std::int64_t>(64 * i)) << "switch " << i;
        // JACK's microseconds, in nanoseconds, not truncated anywhere.
        const jack_time_t us = usecs0 + static_cast<jack_time_t>(i) * (64 * 1000000 / 48000);
        EXPECT_EQ(recs[i].systemTime, static_cast<std::int64_t>(us) * 1000) << "switch " << i;
    }
    const FoldbackCounters c = d.counters();
    EXPECT_EQ(c.resyncs, 0);
    EXPECT_EQ(c.overloads, 0);
    EXPECT_EQ(c.skippedFrames, 0);
}

std::int64_t clockNs(clockid_t id) {
    timespec ts{};
    clock_gettime(id, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// jackd2 1.9.21 keeps its time on CLOCK_MONOTONIC_RAW, pipewire-jack on CLOCK_MONOTONIC:
// either way the host's stamps are CLOCK_MONOTONIC.
// CLOCK_MONOTONIC minus `server`, from the closest of 20 (server, mono, server) readings: a
// preemption between two readings (this VM's host, more under ASan) would move the
// difference by its length.
std::int64_t monoMinus(clockid_t server) {
    std::int64_t best = 0, span = INT64_MAX;
    for (int k = 0; k < 20; ++k) {
        const std::int64_t a = clockNs(server), m = clockNs(CLOCK_MONOTONIC), b = clockNs(server);
        if (b - a < span) {
            span = b - a;
            best = m - (a + (b - a) / 2);
        }
    }
    return best;
}

void checkServerClock(FakeJack& t, Driver& d, Host& h, clockid_t serverClock) {
    (void)t;
    fake().useClock(serverClock);
    jack_nframes_t counter = 0;
    std::vector<std::int64_t> expected;
    for (int i = 0; i < 6; ++i) {
        const jack_time_t usecs = fake().nowUs();  // the cycle starts now, on the server's clock
        expected.push_back(static_cast<std::int64_t>(usecs) * 1000 + monoMinus(serverClock));
        ASSERT_EQ(fake().cycle(64, counter, usecs), 0);
        counter += 64;
        sleepMs(1);
    }
    ASSERT_EQ(d.stop(), ASE_OK);
    const auto recs = h.records();
    ASSERT_EQ(recs.size(), expected.size());
    const std::int64_t rawMinusMono = clockNs(CLOCK_MONOTONIC_RAW) - clockNs(CLOCK_MONOTONIC);
    std::printf("CLOCK_MONOTONIC_RAW - CLOCK_MONOTONIC here: %.3f ms\n",
                static_cast<double>(rawMinusMono) / 1e6);
    for (std::size_t i = 0; i < recs.size(); ++i)
        // Within 50 us (the readings are taken microseconds apart, more under ASan); the
        // other clock would be off by the printed difference (-245 ms after hours of uptime).
        EXPECT_NEAR(static_cast<double>(recs[i].systemTime), static_cast<double>(expected[i]),
                    50'000.0)
            << "switch " << i << ": not CLOCK_MONOTONIC";
}

TEST_F(FakeJack, AServerOnClockMonotonicRawGivesClockMonotonicStamps) {
    Driver d(name_);
    Host h;
    ASSERT_NO_FATAL_FAILURE(open(d, h));
    checkServerClock(*this, d, h, CLOCK_MONOTONIC_RAW);
}

TEST_F(FakeJack, AServerOnClockMonotonicGivesItsStampsUnchanged) {
    Driver d(name_);
    Host h;
    ASSERT_NO_FATAL_FAILURE(open(d, h));
    checkServerClock(*this, d, h, CLOCK_MONOTONIC);
}

TEST_F(FakeJack, LostFramesAcrossTheWrapJumpThePositionWithOneResync) {
    Driver d(name_);
    Host h;
    ASSERT_NO_FATAL_FAILURE(open(d, h));
    jack_nframes_t counter = 0xFFFFFFFFu - 5 * 64 + 1;
    jack_time_t usecs = 1'000'000;
    ASSERT_NO_FATAL_FAILURE(cycles(4, 64, counter, usecs));
    counter += 3 * 64;  // three periods the server never delivered (across 2^32)
    usecs += 3 * 1333;
    ASSERT_NO_FATAL_FAILURE(cycles(4, 64, counter, usecs));
    ASSERT_EQ(d.stop(), ASE_OK);
    const auto recs = h.records();
    ASSERT_EQ(recs.size(), 8u);
    const std::int64_t expected[] = {0, 64, 128, 192, 448, 512, 576, 640};
    for (std::size_t i = 0; i < recs.size(); ++i)
        EXPECT_EQ(recs[i].position, expected[i]) << "switch " << i;
    const FoldbackCounters c = d.counters();
    EXPECT_EQ(c.resyncs, 1);
    EXPECT_EQ(c.skippedFrames, 192);
    EXPECT_EQ(h.messages(kAsioResyncRequest), 1);
    EXPECT_EQ(h.messages(kAsioOverload), c.overloads);
    EXPECT_GE(c.overloads, 1);
}

TEST_F(FakeJack, AnXrunWithoutLostFramesIsOneOverloadAndNoResync) {
    Driver d(name_);
    Host h;
    ASSERT_NO_FATAL_FAILURE(open(d, h));
    jack_nframes_t counter = 1000;
    jack_time_t usecs = 1'000'000;
    ASSERT_NO_FATAL_FAILURE(cycles(3, 64, counter, usecs));
    fake().xrun();
    EXPECT_EQ(h.messages(kAsioOverload), 0) << "sent before the next period";
    ASSERT_NO_FATAL_FAILURE(cycles(3, 64, counter, usecs));
    ASSERT_EQ(d.stop(), ASE_OK);
    const FoldbackCounters c = d.counters();
    EXPECT_EQ(c.overloads, 1);
    EXPECT_EQ(h.messages(kAsioOverload), 1);
    EXPECT_EQ(c.resyncs, 0);
    EXPECT_EQ(h.messages(kAsioResyncRequest), 0);
    const auto recs = h.records();
    for (std::size_t i = 0; i < recs.size(); ++i)
        EXPECT_EQ(recs[i].position, static_cast<std::int64_t>(64 * i));
    // The overload went out on the audio thread, at the start of the period after the xrun.
    for (const auto& m : h.messageLog())
        if (m.selector == kAsioOverload) {
            EXPECT_EQ(m.switchesBefore, 3);
            EXPECT_TRUE(pthread_equal(m.thread, h.audioThread()));
        }
}

void checkShutdown(FakeJack& t, Driver& d, Host& h, int infoToo) {
    jack_nframes_t counter = 0;
    jack_time_t usecs = 1'000'000;
    for (int i = 0; i < 3; ++i) {
        ASSERT_EQ(fake().cycle(64, counter, usecs), 0);
        counter += 64;
    }
    (void)t;
    fake().shutdown(infoToo);
    ASSERT_TRUE(waitMessage(h, kAsioResetRequest));
    sleepMs(20);
    EXPECT_EQ(h.messages(kAsioResetRequest), 1) << "exactly one, whichever callbacks came";
    long in = 0, out = 0;
    EXPECT_EQ(d.channels(in, out), ASE_NotPresent);
    EXPECT_NE(d.errorMessage().find("is gone"), std::string::npos) << d.errorMessage();
    EXPECT_EQ(d.stop(), ASE_OK);
    EXPECT_EQ(d.disposeBuffers(), ASE_OK);
}

TEST_F(FakeJack, ShutdownThroughThePlainCallbackOnlyAsPipewireJackDoes) {
    Driver d(name_);
    Host h;
    ASSERT_NO_FATAL_FAILURE(open(d, h));
    checkShutdown(*this, d, h, 0);
}

TEST_F(FakeJack, ShutdownThroughBothCallbacksAsJackd2DoesIsStillOneReset) {
    Driver d(name_);
    Host h;
    ASSERT_NO_FATAL_FAILURE(open(d, h));
    checkShutdown(*this, d, h, 1);
}

TEST_F(FakeJack, ABufferSizeCallbackOnTheProcessThreadReachesTheHostFromAnotherThread) {
    Driver d(name_);
    Host h;
    ASSERT_NO_FATAL_FAILURE(open(d, h));
    jack_nframes_t counter = 0;
    jack_time_t usecs = 1'000'000;
    ASSERT_NO_FATAL_FAILURE(cycles(4, 64, counter, usecs));
    fake().setBufferSize(128, 1);  // older pipewire-jack: on the process thread
    ASSERT_TRUE(waitMessage(h, kAsioBufferSizeChange));
    for (const auto& m : h.messageLog())
        if (m.selector == kAsioBufferSizeChange) {
            EXPECT_EQ(m.value, 128);
            EXPECT_FALSE(pthread_equal(m.thread, h.audioThread())) << "sent from the audio thread";
        }
    // Periods of 128 frames: two switches of 64 each, positions continuous, no resync.
    ASSERT_NO_FATAL_FAILURE(cycles(4, 128, counter, usecs));
    ASSERT_EQ(d.stop(), ASE_OK);
    const auto recs = h.records();
    ASSERT_EQ(recs.size(), 12u);
    for (std::size_t i = 0; i < recs.size(); ++i)
        EXPECT_EQ(recs[i].position, static_cast<std::int64_t>(64 * i));
    EXPECT_EQ(d.counters().resyncs, 0);
    long mn = 0, mx = 0, pref = 0, gran = 0;
    ASSERT_EQ(d.bufferSize(mn, mx, pref, gran), ASE_OK);
    EXPECT_EQ(pref, 128);
}

TEST_F(FakeJack, ARateChangeIsSampleRateDidChangeAndTheNewRateIsTheOnlyOne) {
    Driver d(name_);
    Host h;
    ASSERT_NO_FATAL_FAILURE(open(d, h));
    jack_nframes_t counter = 0;
    jack_time_t usecs = 1'000'000;
    ASSERT_NO_FATAL_FAILURE(cycles(2, 64, counter, usecs));
    fake().setSampleRate(44100);
    ASSERT_NO_FATAL_FAILURE(cycles(2, 64, counter, usecs));
    ASSERT_EQ(h.rateChanges(), std::vector<double>{44100});
    double rate = 0;
    ASSERT_EQ(d.v().getSampleRate(d.get(), &rate), ASE_OK);
    EXPECT_EQ(rate, 44100);
    EXPECT_EQ(d.v().canSampleRate(d.get(), 44100), ASE_OK);
    EXPECT_EQ(d.v().canSampleRate(d.get(), 48000), ASE_NoClock);
    ASSERT_EQ(d.stop(), ASE_OK);
}

TEST_F(FakeJack, AChangedLatencyIsOneLatenciesChangedAndGetLatenciesFollows) {
    Driver d(name_);
    Host h;
    ASSERT_NO_FATAL_FAILURE(open(d, h));
    long in = 0, out = 0;
    ASSERT_EQ(d.latencies(in, out), ASE_OK);
    EXPECT_EQ(in, 64);
    EXPECT_EQ(out, 128);
    jack_nframes_t counter = 0;
    jack_time_t usecs = 1'000'000;
    ASSERT_NO_FATAL_FAILURE(cycles(2, 64, counter, usecs));
    EXPECT_EQ(h.messages(kAsioLatenciesChanged), 0) << "nothing changed yet";
    fake().setPlaybackLatency(300);
    ASSERT_NO_FATAL_FAILURE(cycles(2, 64, counter, usecs));
    EXPECT_EQ(h.messages(kAsioLatenciesChanged), 1);
    ASSERT_EQ(d.latencies(in, out), ASE_OK);
    EXPECT_EQ(in, 64);
    EXPECT_EQ(out, 300);
    fake().setPlaybackLatency(300);  // a latency callback that changes nothing
    ASSERT_NO_FATAL_FAILURE(cycles(2, 64, counter, usecs));
    EXPECT_EQ(h.messages(kAsioLatenciesChanged), 1);
    ASSERT_EQ(d.stop(), ASE_OK);
}

}  // namespace
}  // namespace foldback::jacktest
