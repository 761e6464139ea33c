// The engine FIFO adapter: when an engine's period (E) differs from the host's buffer
// size (B), the host keeps getting B-frame switches with consecutive positions, and what
// it writes comes out delayed by exactly the latency getLatencies adds.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <vector>

#include "kit/stream.hpp"

namespace foldback::kit {
namespace {

struct Host {
    static inline long frames = 0;
    static inline std::vector<float*> in[2], out[2];
    static inline std::vector<long long> positions;
    static inline std::vector<long> messages;
    static inline std::vector<long> indices;
    static ASIOTime* switchTi(ASIOTime* t, long index, ASIOBool) {
        positions.push_back(t->timeInfo.samplePosition);
        indices.push_back(index);
        for (std::size_t c = 0; c < in[index].size(); ++c)
            std::memcpy(out[index][c], in[index][c],
                        static_cast<std::size_t>(frames) * sizeof(float));
        return nullptr;
    }
    static void switchPlain(long, ASIOBool) {}
    static long message(long sel, long value, void*, double*) {
        if (sel == kAsioSelectorSupported)
            return value == kAsioSupportsTimeInfo || value == kAsioLatenciesChanged ||
                   value == kAsioBufferSizeChange || value == kAsioResetRequest;
        if (sel == kAsioSupportsTimeInfo) return 1;
        messages.push_back(sel);
        return sel == kAsioBufferSizeChange ? 0 : 1;
    }
};

struct Fixture {
    Capabilities caps;
    StreamSetup setup;
    std::unique_ptr<StreamCore> core;
    explicit Fixture(long b) {
        caps.inputs = {{"in", 0}};
        caps.outputs = {{"out", 0}};
        caps.rates = {48000};
        setup.bufferSize = b;
        setup.rate = 48000;
        setup.activeInputs = {true};
        setup.activeOutputs = {true};
        ASIOCallbacks cb{&Host::switchPlain, nullptr, &Host::message, &Host::switchTi};
        Host::frames = b;
        Host::positions.clear();
        Host::messages.clear();
        Host::indices.clear();
        core = std::make_unique<StreamCore>(caps, DeviceLayout{}, setup, cb, true, true);
        for (int h = 0; h < 2; ++h) {
            Host::in[h] = {static_cast<float*>(core->half(true, 0, h))};
            Host::out[h] = {static_cast<float*>(core->half(false, 0, h))};
        }
        core->arm(48000);
    }
};

// Runs `cycles` engine periods of e frames with a counter signal (input frame x = x + 1)
// and returns the engine's output stream.
std::vector<float> run(Fixture& f, long e, int cycles) {
    std::vector<float> produced;
    std::vector<float> inBuf(static_cast<std::size_t>(e)), outBuf(static_cast<std::size_t>(e));
    long long frame = 0;
    for (int k = 0; k < cycles; ++k) {
        for (long i = 0; i < e; ++i)
            inBuf[static_cast<std::size_t>(i)] = static_cast<float>(frame + i + 1);
        const void* in[] = {inBuf.data()};
        void* out[] = {outBuf.data()};
        f.core->processEngine({in, out}, e, 1'000'000'000LL + frame * 20833, k == 0 ? 0 : e);
        produced.insert(produced.end(), outBuf.begin(), outBuf.end());
        frame += e;
    }
    return produced;
}

// The delay d such that output frame x carries input frame x - d (first non-zero sample).
long measuredDelay(const std::vector<float>& out) {
    for (std::size_t x = 0; x < out.size(); ++x)
        if (out[x] != 0.0f) return static_cast<long>(x) - static_cast<long>(out[x] - 1);
    return -1;
}

class Adapter : public ::testing::TestWithParam<std::pair<long, long>> {};

TEST_P(Adapter, SwitchesKeepTheirSizeAndTheDelayIsTheReportedOne) {
    const auto [b, e] = GetParam();
    Fixture f(b);
    const auto out = run(f, e, static_cast<int>(std::max(20 * b / e, 20L)) + 40);
    // Positions: 0, B, 2B, ... and indices 0, 1, 0, 1 ...
    ASSERT_GT(Host::positions.size(), 10u);
    for (std::size_t i = 0; i < Host::positions.size(); ++i) {
        EXPECT_EQ(Host::positions[i], static_cast<long long>(i) * b) << "switch " << i;
        EXPECT_EQ(Host::indices[i], static_cast<long>(i % 2)) << "switch " << i;
    }
    // The host copied input to output in the same switch, so the whole delay is the
    // adapter's, and it must equal what getLatencies adds.
    const long reported = f.core->adapterInputLatency() + f.core->adapterOutputLatency();
    EXPECT_EQ(measuredDelay(out), reported) << "B=" << b << " E=" << e;
    if (e != b) {
        EXPECT_GT(reported, -1);
        // Every later sample follows without a gap.
        const long d = measuredDelay(out);
        std::size_t first = 0;
        while (first < out.size() && out[first] == 0.0f) ++first;
        ASSERT_EQ(out[first], 1.0f) << "input frame 0 must come out first";
        for (std::size_t x = first; x < out.size(); ++x)
            ASSERT_EQ(out[x], static_cast<float>(static_cast<long>(x) - d + 1)) << "frame " << x;
    } else {
        EXPECT_EQ(reported, 0);
    }
    // The adapter's start is announced as a latency change.
    if (e != b) {
        EXPECT_NE(std::find(Host::messages.begin(), Host::messages.end(), kAsioLatenciesChanged),
                  Host::messages.end());
    }
}

INSTANTIATE_TEST_SUITE_P(Sizes, Adapter,
                         ::testing::Values(std::pair{64L, 64L}, std::pair{256L, 64L},
                                           std::pair{64L, 256L}, std::pair{128L, 96L},
                                           std::pair{64L, 100L}, std::pair{32L, 1024L},
                                           std::pair{1024L, 32L}, std::pair{48L, 64L}));

TEST(Adapter, BufferSizeChangeFallsBackToResetWhenTheHostDeclines) {
    Fixture f(64);
    f.core->bufferSizeChanged(128);
    ASSERT_EQ(Host::messages.size(), 2u);
    EXPECT_EQ(Host::messages[0], kAsioBufferSizeChange);
    EXPECT_EQ(Host::messages[1], kAsioResetRequest);
}

TEST(Adapter, LostEngineFramesJumpThePositionByWholeBuffers) {
    Fixture f(64);
    std::vector<float> buf(64);
    const void* in[] = {buf.data()};
    void* out[] = {buf.data()};
    f.core->processEngine({in, out}, 64, 1, 0);
    f.core->processEngine({in, out}, 64, 2, 64);
    f.core->processEngine({in, out}, 64, 3, 64 * 3);  // two periods lost
    ASSERT_EQ(Host::positions.size(), 3u);
    EXPECT_EQ(Host::positions[2], 64 * 4);
    const auto c = f.core->counters();
    EXPECT_EQ(c.skippedFrames, 128);
    EXPECT_EQ(c.resyncs, 1);
}

TEST(Adapter, LostEngineFramesKeepTheBufferedAudioAndJumpOncePerWholeBuffer) {
    // B = 64, E = 32: two single engine periods lost, apart. The first is less than a
    // buffer: an overload, no jump yet. The second completes a buffer: one jump of 64, one
    // resync. What the rings held when the frames were lost still comes out.
    Fixture f(64);
    std::vector<float> inBuf(32), outBuf(32), produced;
    std::vector<float> delivered;
    long long frame = 0;
    for (int k = 0; k < 60; ++k) {
        long delta = k == 0 ? 0 : 32;
        if (k == 21 || k == 41) {  // the engine period before this one never ran
            frame += 32;
            delta = 64;
        }
        for (long i = 0; i < 32; ++i) {
            inBuf[static_cast<std::size_t>(i)] = static_cast<float>(frame + i + 1);
            delivered.push_back(static_cast<float>(frame + i + 1));
        }
        const void* in[] = {inBuf.data()};
        void* out[] = {outBuf.data()};
        f.core->processEngine({in, out}, 32, 1'000'000'000LL + frame * 20833, delta);
        produced.insert(produced.end(), outBuf.begin(), outBuf.end());
        frame += 32;
    }
    const auto c = f.core->counters();
    EXPECT_EQ(c.overloads, 2);
    EXPECT_EQ(c.resyncs, 1);
    EXPECT_EQ(c.skippedFrames, 64);
    long jumps = 0;
    for (std::size_t i = 1; i < Host::positions.size(); ++i) {
        const long long d = Host::positions[i] - Host::positions[i - 1];
        if (d != 64) {
            ++jumps;
            EXPECT_EQ(d, 128) << "switch " << i;
        }
    }
    EXPECT_EQ(jumps, 1);
    // Every delivered input frame comes out once, in order (the host copies in -> out).
    std::vector<float> heard;
    for (float v : produced)
        if (v != 0.0f) heard.push_back(v);
    ASSERT_GT(heard.size(), 1000u);
    EXPECT_TRUE(std::equal(heard.begin(), heard.end(), delivered.begin()));
}

}  // namespace
}  // namespace foldback::kit
