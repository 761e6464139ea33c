// The C++ host API as an application uses it.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>
#include <vector>

#include "foldback/host.hpp"
#include "sandbox.hpp"

using namespace std::chrono_literals;

namespace {

// Writes a ramp on output 0 and remembers the first input sample that is not zero.
struct Ramp : foldback::FloatHandler {
    std::atomic<long long> firstNonZero{-1};
    std::atomic<long long> periods{0};
    long long written = 0;
    void processFloat(const Block& b) override {
        for (long i = 0; i < b.frames; ++i) {
            b.out[0][i] = static_cast<float>((written + i) % 1000 + 1) / 2048.0f;
            if (firstNonZero < 0 && b.in[0][i] != 0.0f) firstNonZero = b.position + i;
        }
        written += b.frames;
        ++periods;
    }
};

void waitFor(const std::function<bool()>& done, std::chrono::milliseconds limit = 3000ms) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(5ms);
}

TEST(HostApi, LoadsQueriesAndStreamsThroughTheFloatLayer) {
    Sandbox box;
    // Int24LSB: the float layer converts both ways; the ramp's values survive exactly.
    box.add("loop24", "[loopback]\nsample_type = \"Int24LSB\"\ninputs = 2\noutputs = 2\n");
    auto driver = foldback::Driver::load("loop24");
    EXPECT_EQ(driver.inputCount(), 2);
    EXPECT_EQ(driver.outputCount(), 2);
    EXPECT_EQ(driver.channels(true)[0].type, ASIOSTInt24LSB);
    EXPECT_TRUE(driver.outputReadySupported());
    Ramp ramp;
    auto stream = driver.open({.inputs = {0}, .outputs = {0}, .bufferSize = 64}, ramp);
    const auto lat = stream.latencies();
    EXPECT_EQ(lat.input + lat.output, 128);
    stream.start();
    waitFor([&] { return ramp.firstNonZero >= 0; });
    stream.stop();
    // The ramp written from position 0 returns at exactly the reported round trip.
    EXPECT_EQ(ramp.firstNonZero.load(), 128);
}

TEST(HostApi, TwoDriversStreamAtOnceThroughTheirOwnTrampolines) {
    Sandbox box;
    box.add("a", "[loopback]\ninputs = 1\noutputs = 1\n");
    box.add("b", "[loopback]\ninputs = 1\noutputs = 1\nrate = 96000\n");
    auto da = foldback::Driver::load("a");
    auto db = foldback::Driver::load("b");
    Ramp ra, rb;
    auto sa = da.open({.inputs = {0}, .outputs = {0}, .bufferSize = 32}, ra);
    auto sb = db.open({.inputs = {0}, .outputs = {0}, .bufferSize = 256}, rb);
    sa.start();
    sb.start();
    std::this_thread::sleep_for(500ms);
    sa.stop();
    sb.stop();
    // 32 frames at 48 kHz vs 256 at 96 kHz: a switches four times as often as b.
    const double ratio = static_cast<double>(ra.periods) / static_cast<double>(rb.periods);
    EXPECT_GT(ratio, 3.0);
    EXPECT_LT(ratio, 5.5);
    EXPECT_EQ(ra.firstNonZero.load(), 64);
    EXPECT_EQ(rb.firstNonZero.load(), 512);
}

TEST(HostApi, ErrorsSayWhatToDo) {
    Sandbox box;
    box.add("loop");
    try {
        foldback::Driver::load("missing");
        FAIL() << "loading an unregistered name must throw";
    } catch (const foldback::HostError& e) {
        EXPECT_NE(std::string(e.what()).find("foldback register"), std::string::npos) << e.what();
    }
    auto driver = foldback::Driver::load("loop");
    Ramp ramp;
    try {
        driver.open({.inputs = {0}, .outputs = {0}, .bufferSize = 9000}, ramp);
        FAIL() << "a size above the maximum must throw";
    } catch (const foldback::HostError& e) {
        EXPECT_EQ(e.code(), ASE_InvalidMode);
        EXPECT_NE(std::string(e.what()).find("max 8192"), std::string::npos) << e.what();
    }
    try {
        driver.open({.inputs = {42}, .outputs = {0}, .bufferSize = 64}, ramp);
        FAIL() << "an unknown channel must throw";
    } catch (const foldback::HostError& e) {
        EXPECT_EQ(e.code(), ASE_InvalidMode);
        EXPECT_NE(std::string(e.what()).find("input channel 42 does not exist"), std::string::npos)
            << e.what();
    }
}

TEST(HostApi, StreamMayOutliveItsDriverObject) {
    Sandbox box;
    box.add("loop");
    Ramp ramp;
    std::optional<foldback::Stream> stream;
    {
        auto driver = foldback::Driver::load("loop");
        stream.emplace(driver.open({.inputs = {0}, .outputs = {0}, .bufferSize = 64}, ramp));
        stream->start();
    }
    waitFor([&] { return ramp.periods > 20; });
    EXPECT_GT(ramp.periods.load(), 20);
    stream.reset();  // stops, disposes and finally releases the driver
    const auto n = ramp.periods.load();
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(ramp.periods.load(), n) << "no callback after the stream is gone";
}

TEST(HostApi, EditingTheConfigWhileStreamingAsksForAReset) {
    Sandbox box;
    const auto dir = box.add("loop", "[loopback]\ninputs = 2\n");
    auto driver = foldback::Driver::load("loop");
    Ramp ramp;
    auto stream = driver.open({.inputs = {0}, .outputs = {0}, .bufferSize = 64}, ramp);
    stream.start();
    waitFor([&] { return ramp.periods > 5; });
    EXPECT_FALSE(stream.resetRequested());
    std::ofstream(dir / "config.toml") << "[loopback]\ninputs = 4\n";
    waitFor([&] { return stream.resetRequested(); });
    EXPECT_TRUE(stream.resetRequested())
        << "a settings change reaches the host as kAsioResetRequest";
    EXPECT_EQ(stream.events().resets, 1);
    // The running stream is unchanged (no hot swap); a re-opened driver has the new setting.
    EXPECT_EQ(driver.inputCount(), 2);
    stream.stop();
    auto again = foldback::Driver::load("loop");
    EXPECT_EQ(again.inputCount(), 4);
}

TEST(HostApi, LateAndLostPeriodsReachTheStreamsCounters) {
    Sandbox box;
    box.add("loop");
    auto driver = foldback::Driver::load("loop");
    Ramp ramp;
    auto stream = driver.open({.inputs = {0}, .outputs = {0}, .bufferSize = 64}, ramp);
    stream.start();
    waitFor([&] { return ramp.periods > 5; });
    // 5 ms late at 64 frames (1.33 ms): 3 periods owed, caught up back to back.
    FoldbackFault late{kFoldbackFaultLatePeriod, 5};
    ASSERT_EQ(driver.raw()->lpVtbl->future(driver.raw(), kFoldbackInjectFault, &late), ASE_SUCCESS);
    waitFor([&] { return stream.counters().latePeriods >= 3; });
    EXPECT_GE(stream.events().overloads, 1);
    // 30 ms late: 22 periods owed, more than max_late_periods (8): skipped, with a resync.
    const auto resyncsBefore = stream.events().resyncs;
    FoldbackFault lost{kFoldbackFaultLatePeriod, 30};
    ASSERT_EQ(driver.raw()->lpVtbl->future(driver.raw(), kFoldbackInjectFault, &lost), ASE_SUCCESS);
    waitFor([&] { return stream.events().resyncs > resyncsBefore; });
    stream.stop();
    EXPECT_GT(stream.events().resyncs, resyncsBefore);
    EXPECT_GE(stream.counters().skippedFrames, 64 * 9);
}

}  // namespace
