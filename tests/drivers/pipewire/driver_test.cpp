// The PipeWire driver against a private PipeWire 0.3.65 + WirePlumber (null sink
// "rig-sink", null source "rig-source", 2 channels, 48 kHz): what a host notices.
// Timing assertions are ranges: this VM wakes threads late by milliseconds, and the null
// sink (the graph's driver) skips cycles the graph did not finish in time.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "support.hpp"

namespace foldback::pwtest {
namespace {

// The rig's sink and its monitor: output k -> rig-sink playback k -> monitor k -> input k.
const std::string kLoopConfig = "[pipewire]\nsource = \"rig-sink\"\nsink = \"rig-sink\"\n";

class PipeWireDriver : public ::testing::Test {
  protected:
    void SetUp() override { ASSERT_TRUE(startDaemon()); }
};

// ---- init without a daemon ------------------------------------------------------------------

TEST(PipeWireInit, WithoutADaemonInitFailsFastAndSaysWhatToDo) {
    const std::string empty = (std::filesystem::temp_directory_path() /
                               ("foldback-pwtest-empty-" + std::to_string(::getpid())))
                                  .string();
    std::filesystem::create_directories(empty);
    ::setenv("PIPEWIRE_RUNTIME_DIR", empty.c_str(), 1);
    Driver d(addInstance("pw-nodaemon"));
    ASSERT_EQ(d.nameResult(), ASE_SUCCESS);
    const std::int64_t t0 = nowNs();
    EXPECT_EQ(d.init(), ASIOFalse);
    EXPECT_LT(nowNs() - t0, 2'000'000'000) << "init waited for a daemon that is not there";
    const std::string msg = d.errorMessage();
    EXPECT_EQ(msg.rfind("init: no PipeWire daemon (start it, or set PIPEWIRE_RUNTIME_DIR): ", 0),
              0u)
        << msg;
    EXPECT_LE(msg.size(), 123u);
    EXPECT_NE(msg.find("Host is down at /tmp/"), std::string::npos) << msg;
    std::filesystem::remove_all(empty);
}

TEST(PipeWireModule, LinksLibpipewireAndNotLibjack) {
    const std::string needed = run(std::string("readelf -d '") + driverPath() + "' 2>&1");
    EXPECT_NE(needed.find("libpipewire-0.3"), std::string::npos) << needed;
    EXPECT_EQ(needed.find("libjack"), std::string::npos) << needed;
}

// ---- what init describes -----------------------------------------------------------------

TEST_F(PipeWireDriver, DefaultsAreTheDefaultSourceAndSinkChannelsAndTheGraphsQuantumRange) {
    Driver d(addInstance("pw-defaults"));
    ASSERT_EQ(d.init(), ASIOTrue) << d.errorMessage();
    long in = 0, out = 0;
    ASSERT_EQ(d.channels(in, out), ASE_OK);
    EXPECT_EQ(in, 2);
    EXPECT_EQ(out, 2);
    // Channel names are the node's port names, after the channels they are linked to.
    EXPECT_EQ(d.channelName(true, 0), "in_FL");
    EXPECT_EQ(d.channelName(true, 1), "in_FR");
    EXPECT_EQ(d.channelName(false, 0), "out_FL");
    EXPECT_EQ(d.channelName(false, 1), "out_FR");
    // Nodes choose the quantum on this rig (PW_RIG_FORCE=0): clock.min-quantum 16 ..
    // clock.max-quantum 2048, powers of two (clock.power-of-two-quantum), preferred = the
    // graph's clock.quantum.
    long mn = 0, mx = 0, pref = 0, gran = 0;
    ASSERT_EQ(d.bufferSize(mn, mx, pref, gran), ASE_OK);
    EXPECT_EQ(mn, 16);
    EXPECT_EQ(mx, 2048);
    EXPECT_EQ(pref, 64);
    EXPECT_EQ(gran, -1);
    double rate = 0;
    ASSERT_EQ(d.v().getSampleRate(d.get(), &rate), ASE_OK);
    EXPECT_EQ(rate, 48000);
    EXPECT_EQ(d.v().canSampleRate(d.get(), 48000), ASE_OK);
    EXPECT_EQ(d.v().canSampleRate(d.get(), 44100), ASE_NoClock);
    EXPECT_EQ(d.v().setSampleRate(d.get(), 96000), ASE_NoClock);
    EXPECT_NE(d.errorMessage().find("48000"), std::string::npos) << d.errorMessage();
    ASIOClockSource clocks[2] = {};
    long n = 2;
    ASSERT_EQ(d.v().getClockSources(d.get(), clocks, &n), ASE_OK);
    EXPECT_EQ(n, 1);
    EXPECT_STREQ(clocks[0].name, "PipeWire graph");

    // createBuffers makes the node, named after the instance, linked to the defaults.
    EXPECT_EQ(run("pw-cli ls Node").find("pw-defaults"), std::string::npos)
        << "a node before createBuffers";
    Host h;
    ASSERT_EQ(h.createBuffers(d, 64), ASE_OK) << d.errorMessage();
    EXPECT_NE(run("pw-cli ls Node").find("node.name = \"pw-defaults\""), std::string::npos);
    EXPECT_EQ(linksOf("pw-defaults:in_FL"), std::vector<std::string>{"rig-source:capture_FL"});
    EXPECT_EQ(linksOf("pw-defaults:in_FR"), std::vector<std::string>{"rig-source:capture_FR"});
    EXPECT_EQ(linksOf("pw-defaults:out_FL"), std::vector<std::string>{"rig-sink:playback_FL"});
    EXPECT_EQ(linksOf("pw-defaults:out_FR"), std::vector<std::string>{"rig-sink:playback_FR"});
    // disposeBuffers removes the node and its links.
    ASSERT_EQ(d.disposeBuffers(), ASE_OK);
    EXPECT_EQ(run("pw-cli ls Node").find("pw-defaults"), std::string::npos)
        << "the node outlived disposeBuffers";
}

TEST_F(PipeWireDriver, ChannelCountsTargetsAndLinkingFollowTheConfig) {
    Driver d(
        addInstance("pw-config", "[pipewire]\ninputs = 3\noutputs = 1\nauto_connect = false\n"));
    ASSERT_EQ(d.init(), ASIOTrue) << d.errorMessage();
    long in = 0, out = 0;
    ASSERT_EQ(d.channels(in, out), ASE_OK);
    EXPECT_EQ(in, 3);
    EXPECT_EQ(out, 1);
    EXPECT_EQ(d.channelName(true, 2), "in_3");
    EXPECT_EQ(d.channelName(false, 0), "out_1");
    Host h;
    ASSERT_EQ(h.createBuffers(d, 64), ASE_OK) << d.errorMessage();
    EXPECT_TRUE(linksOf("pw-config:in_1").empty());
    EXPECT_TRUE(linksOf("pw-config:out_1").empty());
    // Without links the node still runs (node.always-process).
    ASSERT_EQ(d.start(), ASE_OK) << d.errorMessage();
    EXPECT_TRUE(h.waitSwitches(50));
    ASSERT_EQ(d.stop(), ASE_OK);

    // The sink's monitor as the source.
    Driver mon(addInstance("pw-monitor", kLoopConfig));
    ASSERT_EQ(mon.init(), ASIOTrue) << mon.errorMessage();
    EXPECT_EQ(mon.channelName(true, 1), "in_FR");
    Host h2;
    ASSERT_EQ(h2.createBuffers(mon, 64), ASE_OK) << mon.errorMessage();
    EXPECT_EQ(linksOf("pw-monitor:in_FL"), std::vector<std::string>{"rig-sink:monitor_FL"});

    Driver bad(addInstance("pw-bad", "[pipewire]\nquantum_mode = \"fast\"\n"));
    EXPECT_EQ(bad.init(), ASIOFalse);
    EXPECT_NE(bad.errorMessage().find("quantum_mode"), std::string::npos) << bad.errorMessage();
    Driver nosink(addInstance("pw-nosink", "[pipewire]\nsink = \"no-such-sink\"\n"));
    EXPECT_EQ(nosink.init(), ASIOFalse);
    EXPECT_NE(nosink.errorMessage().find("no-such-sink"), std::string::npos)
        << nosink.errorMessage();
    EXPECT_NE(nosink.errorMessage().find("pw-cli ls Node"), std::string::npos)
        << nosink.errorMessage();
}

// ---- streaming ---------------------------------------------------------------------------

void checkStream(bool timeInfo) {
    Driver d(addInstance(timeInfo ? "pw-stream-ti" : "pw-stream-plain"));
    HostOptions o;
    o.timeInfo = timeInfo;
    Host h(o);
    h.driver = d.get();
    ASSERT_NO_FATAL_FAILURE(startStream(d, h, 64));
    // Switches, positions, indices, stamps advancing at the period (1333 us per 64 frames,
    // within 1 %: the null sink's timer is CLOCK_MONOTONIC itself), messages, stop.
    SteadyStream s;
    ASSERT_NO_FATAL_FAILURE(checkSteadyStream(d, h, 64, 48000, 0.01, s));
    // Time stamps are the driver's clock.nsec (CLOCK_MONOTONIC, the cycle's start): just
    // before the host's own reading in the switch.
    const std::int64_t median = s.medianLag();
    EXPECT_GT(median, 0) << "stamps ahead of the host's clock";
    EXPECT_LT(median, 2'000'000) << "stamps far behind the host's clock";
    // Every stamp, the first one too (a driver node that just started stamps its first
    // cycle 0), is a CLOCK_MONOTONIC reading of this moment.
    EXPECT_GT(s.lag.front(), -1'000'000);
    EXPECT_LT(s.lag.back(), 1'000'000'000);
    std::printf(
        "pipewire stream: %lld switches in %.2f s, %lld overloads, %lld resyncs, %lld skipped "
        "frames\n",
        s.switches, s.seconds, s.counters.overloads, s.counters.resyncs, s.counters.skippedFrames);
}

TEST_F(PipeWireDriver, StreamsTimeInfoWith64BitPositionsAndNanosecondMonotonicStamps) {
    checkStream(true);
}
TEST_F(PipeWireDriver, StreamsPlainBufferSwitchWithGetSamplePosition) {
    checkStream(false);
}

TEST_F(PipeWireDriver, AnXrunIsACountedOverloadAndAResyncOnlyWithLostFrames) {
    Driver d(addInstance("pw-xrun"));
    HostOptions o;
    o.stallAt = 200;
    o.stallMs = 12;  // nine periods: the graph misses its deadlines, the null sink skips
    Host h(o);
    ASSERT_NO_FATAL_FAILURE(startStream(d, h, 64));
    ASSERT_TRUE(h.waitSwitches(400));
    sleepMs(100);
    ASSERT_EQ(d.stop(), ASE_OK);
    const FoldbackCounters c = d.counters();
    EXPECT_GE(c.overloads, 1) << "the stalled switch was not reported";
    EXPECT_EQ(h.messages(kAsioOverload), c.overloads);
    // The driver's clock ran on: the position jumps over what the graph skipped, with a
    // resync; and never without one.
    const auto recs = h.records();
    EXPECT_GE(c.resyncs, 1);
    EXPECT_GE(c.skippedFrames, 64);
    EXPECT_EQ(positionJumps(recs, 64), c.resyncs);
    EXPECT_EQ(h.messages(kAsioResyncRequest), c.resyncs);
    std::printf("pipewire xrun: %lld overloads, %lld resyncs, %lld skipped frames\n", c.overloads,
                c.resyncs, c.skippedFrames);
}

// ---- threads -----------------------------------------------------------------------------

TEST_F(PipeWireDriver, TheHostsThreadCreatorMakesTheDataThreadAndItRunsRealtime) {
    Driver d(addInstance("pw-creator"));
    ASSERT_EQ(d.init(), ASIOTrue) << d.errorMessage();
    CreatorLog log;
    FoldbackThreadCreator creator{&countingCreator, &log};
    ASSERT_EQ(d.future(kFoldbackSetThreadCreator, &creator), ASE_SUCCESS) << d.errorMessage();
    Host h;
    ASSERT_EQ(h.createBuffers(d, 64), ASE_OK) << d.errorMessage();
    EXPECT_EQ(log.calls.load(), 1);
    ASSERT_EQ(d.start(), ASE_OK) << d.errorMessage();
    ASSERT_TRUE(h.waitSwitches(10));
    EXPECT_TRUE(pthread_equal(h.audioThread(), log.last.load()))
        << "the switch does not run on the thread the host's creator made";
    int policy = 0;
    sched_param param{};
    ASSERT_EQ(pthread_getschedparam(h.audioThread(), &policy, &param), 0);
    EXPECT_EQ(policy & ~SCHED_RESET_ON_FORK, SCHED_FIFO)
        << "PipeWire's module-rt did not raise the host's thread";
    ASSERT_EQ(d.stop(), ASE_OK);
    // Streaming again, and a second createBuffers with the same creator, make no new thread.
    ASSERT_EQ(d.start(), ASE_OK);
    ASSERT_TRUE(h.waitSwitches(h.switches() + 10));
    ASSERT_EQ(d.disposeBuffers(), ASE_OK);
    Host h2;
    ASSERT_EQ(h2.createBuffers(d, 64), ASE_OK) << d.errorMessage();
    EXPECT_EQ(log.calls.load(), 1);
    ASSERT_EQ(d.disposeBuffers(), ASE_OK);
    // Back to the default: PipeWire's own thread again.
    ASSERT_EQ(d.future(kFoldbackSetThreadCreator, nullptr), ASE_SUCCESS) << d.errorMessage();
    Host h3;
    ASSERT_EQ(h3.createBuffers(d, 64), ASE_OK) << d.errorMessage();
    ASSERT_EQ(d.start(), ASE_OK);
    ASSERT_TRUE(h3.waitSwitches(10));
    EXPECT_EQ(log.calls.load(), 1);
}

// ---- discovery ---------------------------------------------------------------------------

TEST_F(PipeWireDriver, DiscoveryListsTheDaemon) {
    Driver d(addInstance("pw-discover"));
    std::vector<FoldbackDevice> devices(8);
    FoldbackDeviceList list{devices.data(), static_cast<long>(devices.size()), 0};
    ASSERT_EQ(d.future(kFoldbackListDevices, &list), ASE_SUCCESS) << d.errorMessage();
    ASSERT_EQ(list.count, 1);
    EXPECT_STREQ(devices[0].id, "pipewire-0");
    EXPECT_EQ(devices[0].inputs, 2);
    EXPECT_EQ(devices[0].outputs, 2);
    const std::string text = devices[0].description;
    EXPECT_NE(text.find("PipeWire 0.3."), std::string::npos) << text;
    EXPECT_NE(text.find("'rig-sink'"), std::string::npos) << text;
    EXPECT_NE(text.find("48000 Hz"), std::string::npos) << text;
}

// ---- the quantum ---------------------------------------------------------------------------

// The host's buffer size drives the graph's quantum: the node really runs at it (the
// driver node's period as pw-profiler measures it, independently of the driver) and
// the driver reports it.
TEST_F(PipeWireDriver, TheHostsBufferSizeIsTheGraphsQuantum) {
    const std::string name = addInstance("pw-quantum");
    for (long size : {32L, 64L, 256L, 1024L}) {
        SCOPED_TRACE(size);
        Driver d(name);
        Host h;
        h.driver = d.get();
        ASSERT_NO_FATAL_FAILURE(startStream(d, h, size));
        const long long s0 = h.switches();
        const std::int64_t t0 = nowNs();
        const double profiled = profiledQuantum("pw-quantum", 0.8);
        const double wall = static_cast<double>(nowNs() - t0) / 1e9;
        const long long n = h.switches() - s0;
        EXPECT_NEAR(profiled, static_cast<double>(size), 1.0)
            << "pw-profiler: the graph runs at " << profiled;
        // Switches at the size asked for, at the rate the size implies.
        EXPECT_GE(static_cast<double>(n), 0.8 * wall * 48000 / static_cast<double>(size));
        EXPECT_LE(static_cast<double>(n), 1.1 * wall * 48000 / static_cast<double>(size) + 2);
        long mn = 0, mx = 0, pref = 0, gran = 0;
        ASSERT_EQ(d.bufferSize(mn, mx, pref, gran), ASE_OK);
        EXPECT_EQ(pref, size);
        EXPECT_EQ(mn, 16);
        EXPECT_EQ(mx, 2048);
        EXPECT_EQ(gran, -1);
        ASSERT_EQ(d.stop(), ASE_OK);
        const auto recs = h.records();
        EXPECT_EQ(positionJumps(recs, size), d.counters().resyncs);
        EXPECT_EQ(h.messages(kAsioBufferSizeChange), 0);
        EXPECT_EQ(h.messages(kAsioResetRequest), 0);
        std::printf("pipewire quantum %ld: pw-profiler %.1f frames, %lld switches in %.2f s\n",
                    size, profiled, n, wall);
    }
}

TEST_F(PipeWireDriver, AQuantumChangeUnderTheStreamIsABufferSizeChangeAndTheSwitchKeepsItsSize) {
    Driver d(addInstance("pw-bufsize", kLoopConfig));
    HostOptions o;
    o.loopOut = 0;
    o.loopIn = 0;
    o.impulseEvery = 20;
    Host h(o);
    h.driver = d.get();
    ASSERT_NO_FATAL_FAILURE(startStream(d, h, 64));
    std::int64_t until = nowNs() + 3'000'000'000;
    while (h.roundTrips().size() < 2 && nowNs() < until) sleepMs(10);
    const auto tripsBefore = h.roundTrips();
    ASSERT_FALSE(tripsBefore.empty());
    EXPECT_EQ(tripsBefore.back(), 64)
        << "out -> null sink -> monitor -> in returns after one quantum";
    long lin = 0, lout = 0;
    ASSERT_EQ(d.latencies(lin, lout), ASE_OK);
    EXPECT_EQ(lin + lout, 64);

    // The settings metadata pins another quantum: no node can override it.
    ASSERT_TRUE(setSetting("clock.force-quantum", "128"));
    ASSERT_TRUE(h.waitMessage(kAsioBufferSizeChange));
    for (const auto& m : h.messageLog())
        if (m.selector == kAsioBufferSizeChange) {
            EXPECT_EQ(m.value, 128);
        }
    EXPECT_EQ(h.messages(kAsioResetRequest), 0);
    long mn = 0, mx = 0, pref = 0, gran = 0;
    ASSERT_EQ(d.bufferSize(mn, mx, pref, gran), ASE_OK);
    EXPECT_EQ(mn, 128);
    EXPECT_EQ(mx, 128);
    EXPECT_EQ(pref, 128);
    EXPECT_EQ(gran, 0);
    // Until the host re-creates its buffers the switch keeps 64 frames, positions stay
    // continuous, and the FIFO's latency is reported: the loop's round trip (the graph's
    // quantum, 128, plus the FIFO) is what getLatencies says.
    const long long s1 = h.switches();
    sleepMs(600);
    ASSERT_GT(h.switches() - s1, 200);
    until = nowNs() + 3'000'000'000;
    while (h.roundTrips().size() < tripsBefore.size() + 3 && nowNs() < until) sleepMs(10);
    ASSERT_EQ(d.latencies(lin, lout), ASE_OK);
    const auto trips = h.roundTrips();
    ASSERT_GT(trips.size(), tripsBefore.size() + 2);
    EXPECT_GE(lin, 128);
    EXPECT_EQ(trips.back(), lin + lout) << "in " << lin << " out " << lout;
    ASSERT_EQ(d.stop(), ASE_OK);
    EXPECT_EQ(positionJumps(h.records(), 64), d.counters().resyncs);

    // The host re-creates its buffers at the new size and streams at it.
    ASSERT_EQ(d.disposeBuffers(), ASE_OK);
    Host h2(o);
    h2.driver = d.get();
    ASSERT_EQ(h2.createBuffers(d), ASE_OK) << d.errorMessage();
    EXPECT_EQ(h2.bufferSize(), 128);
    ASSERT_EQ(d.start(), ASE_OK) << d.errorMessage();
    ASSERT_TRUE(h2.waitSwitches(100));
    until = nowNs() + 3'000'000'000;
    while (h2.roundTrips().size() < 2 && nowNs() < until) sleepMs(10);
    ASSERT_EQ(d.stop(), ASE_OK);
    EXPECT_EQ(positionJumps(h2.records(), 128), d.counters().resyncs);
    ASSERT_FALSE(h2.roundTrips().empty());
    EXPECT_EQ(h2.roundTrips().back(), 128);
    EXPECT_EQ(h2.messages(kAsioBufferSizeChange), 0);
    ASSERT_EQ(d.latencies(lin, lout), ASE_OK);
    EXPECT_EQ(lin + lout, 128) << "no FIFO once the host runs at the graph's quantum";
    ASSERT_TRUE(setSetting("clock.force-quantum", "0"));
}

TEST_F(PipeWireDriver, AQuantumChangeIsAResetForAHostWithoutBufferSizeChange) {
    Driver d(addInstance("pw-bufsize-reset"));
    HostOptions o;
    o.bufferSizeChange = false;
    Host h(o);
    ASSERT_NO_FATAL_FAILURE(startStream(d, h, 64));
    ASSERT_TRUE(setSetting("clock.force-quantum", "256"));
    ASSERT_TRUE(h.waitMessage(kAsioResetRequest));
    EXPECT_EQ(h.messages(kAsioBufferSizeChange), 0);
    // A host that never re-creates its buffers keeps streaming at its size.
    const long long s1 = h.switches();
    sleepMs(500);
    EXPECT_GT(h.switches() - s1, 250) << "switches at 64 frames while the graph runs 256";
    ASSERT_EQ(d.stop(), ASE_OK);
    EXPECT_EQ(positionJumps(h.records(), 64), d.counters().resyncs);
    EXPECT_EQ(h.messages(kAsioResetRequest), 1) << "exactly one";
    ASSERT_TRUE(setSetting("clock.force-quantum", "0"));
}

// "follow": node.latency is a request; the graph runs at the smallest request of its
// nodes. Another client asking for less makes the quantum smaller under the stream.
TEST_F(PipeWireDriver, FollowModeRequestsTheSizeAndFollowsASmallerGraphQuantum) {
    Driver d(addInstance("pw-follow", "[pipewire]\nquantum_mode = \"follow\"\n"));
    Host h;
    h.driver = d.get();
    ASSERT_NO_FATAL_FAILURE(startStream(d, h, 256));
    EXPECT_NEAR(profiledQuantum("pw-follow", 0.4), 256, 1);
    EXPECT_EQ(h.messages(kAsioBufferSizeChange), 0);
    // A recording client that asks for 32 frames.
    const std::string wav = rigDir() + "/follow.wav";
    run("(timeout 4 pw-record --latency=32 --target rig-source '" + wav + "' >/dev/null 2>&1 &)");
    ASSERT_TRUE(h.waitMessage(kAsioBufferSizeChange, 5000));
    for (const auto& m : h.messageLog())
        if (m.selector == kAsioBufferSizeChange) {
            EXPECT_EQ(m.value, 32);
        }
    long mn = 0, mx = 0, pref = 0, gran = 0;
    ASSERT_EQ(d.bufferSize(mn, mx, pref, gran), ASE_OK);
    EXPECT_EQ(pref, 32);
    EXPECT_EQ(mn, 16);
    EXPECT_EQ(mx, 2048);
    ASSERT_EQ(d.stop(), ASE_OK);
    EXPECT_EQ(positionJumps(h.records(), 256), d.counters().resyncs);
}

// ---- the rate ------------------------------------------------------------------------------

TEST_F(PipeWireDriver, ARateTheGraphAllowsIsPinnedAndAGraphRateChangeReachesTheHost) {
    ASSERT_TRUE(setSetting("clock.allowed-rates", "[ 44100 48000 ]"));
    sleepMs(50);
    Driver d(addInstance("pw-rate"));
    ASSERT_EQ(d.init(), ASIOTrue) << d.errorMessage();
    EXPECT_EQ(d.v().canSampleRate(d.get(), 44100), ASE_OK) << d.errorMessage();
    EXPECT_EQ(d.v().canSampleRate(d.get(), 96000), ASE_NoClock);
    ASSERT_EQ(d.v().setSampleRate(d.get(), 44100), ASE_OK) << d.errorMessage();
    Host h;
    h.driver = d.get();
    ASSERT_EQ(h.createBuffers(d, 64), ASE_OK) << d.errorMessage();
    ASSERT_EQ(d.start(), ASE_OK) << d.errorMessage();
    ASSERT_TRUE(h.waitSwitches(50));
    // The node pins the graph at 44100 while it runs: the stamps advance at that rate.
    sleepMs(500);
    auto recs = h.records();
    const double perFrame = static_cast<double>(recs.back().systemTime - recs[10].systemTime) /
                            static_cast<double>(recs.back().position - recs[10].position);
    EXPECT_NEAR(perFrame, 1e9 / 44100, 1e9 / 44100 * 0.01);
    double rate = 0;
    ASSERT_EQ(d.v().getSampleRate(d.get(), &rate), ASE_OK);
    EXPECT_EQ(rate, 44100);
    EXPECT_TRUE(h.rateChanges().empty()) << "the stream started at the pinned rate";

    // The settings metadata forces another rate: sampleRateDidChange.
    ASSERT_TRUE(setSetting("clock.force-rate", "48000"));
    const std::int64_t until = nowNs() + 3'000'000'000;
    while (h.rateChanges().empty() && nowNs() < until) sleepMs(5);
    ASSERT_FALSE(h.rateChanges().empty()) << "no sampleRateDidChange";
    EXPECT_EQ(h.rateChanges().back(), 48000);
    ASSERT_EQ(d.v().getSampleRate(d.get(), &rate), ASE_OK);
    EXPECT_EQ(rate, 48000);
    ASSERT_EQ(d.stop(), ASE_OK);
    ASSERT_TRUE(setSetting("clock.force-rate", "0"));
}

// ---- latency through the graph ---------------------------------------------------------------

// getLatencies is the graph's Latency parameters per direction, at the quantum: the capture
// latency of what feeds our inputs, the playback latency of what our outputs feed. The
// helper node claims capture = 1 quantum + 100 frames and playback = 200 frames + 1 ms.
TEST_F(PipeWireDriver, LatenciesAreTheGraphsLatencyParametersPerDirection) {
    Process node({latencyNodePath(), "fb-latency-node"});
    ASSERT_TRUE(node.waitLine("ready")) << "pw_latency_node did not come up";
    sleepMs(50);
    const std::string config =
        "[pipewire]\nsource = \"fb-latency-node\"\nsink = \"fb-latency-node\"\ninputs = 1\noutputs "
        "= 1\n";
    for (long size : {64L, 256L}) {
        SCOPED_TRACE(size);
        Driver d(
            addInstance("pw-latency", config + "buffer_size = " + std::to_string(size) + "\n"));
        ASSERT_EQ(d.init(), ASIOTrue) << d.errorMessage();
        // Before createBuffers: the estimate, from the ports the node will be linked to.
        long in = 0, out = 0;
        ASSERT_EQ(d.latencies(in, out), ASE_OK);
        EXPECT_EQ(in, size + 100);
        EXPECT_EQ(out, 200 + 48);
        Host h;
        h.driver = d.get();
        ASSERT_EQ(h.createBuffers(d, size), ASE_OK) << d.errorMessage();
        EXPECT_EQ(linksOf("pw-latency:in_1"),
                  std::vector<std::string>{"fb-latency-node:capture_1"});
        ASSERT_EQ(d.latencies(in, out), ASE_OK);
        EXPECT_EQ(in, size + 100);
        EXPECT_EQ(out, 200 + 48);
        ASIOInternalBufferInfo internal{};
        ASSERT_EQ(d.future(kAsioGetInternalBufferSamples, &internal), ASE_SUCCESS);
        EXPECT_EQ(internal.inputSamples, 100);
        EXPECT_EQ(internal.outputSamples, 248 - size > 0 ? 248 - size : 0);
        // A change of the graph's latency while streaming: kAsioLatenciesChanged.
        ASSERT_EQ(d.start(), ASE_OK) << d.errorMessage();
        ASSERT_TRUE(h.waitSwitches(20));
        node.signal(SIGUSR1);  // capture 100 -> 150 frames
        ASSERT_TRUE(h.waitMessage(kAsioLatenciesChanged));
        ASSERT_EQ(d.latencies(in, out), ASE_OK);
        EXPECT_EQ(in, size + 150);
        EXPECT_EQ(out, 248);
        ASSERT_EQ(d.stop(), ASE_OK);
        node.signal(SIGUSR1);  // back to 100
        sleepMs(100);
        std::printf("pipewire latency at %ld: in %ld, out %ld\n", size, in, out);
        ASSERT_EQ(d.disposeBuffers(), ASE_OK);
    }
}

// out -> rig-sink -> its monitor -> in. The node feeds the sink, so the graph runs it before
// the sink in every cycle: what the monitor returns in cycle n reaches our input in cycle
// n + 1. The round trip is one quantum, a property of the loop that no port's Latency
// parameter carries (the null sink claims none). The driver knows the loop when it makes
// it (auto_connect with source = sink = rig-sink) and reports that quantum as capture
// latency: measured and reported agree exactly at every size. A loop a person links by hand
// is invisible to it: reported 0 + 0, and [latency] input_offset = the quantum calibrates it.
TEST_F(PipeWireDriver, LoopThroughTheNullSinkMonitorIsOneQuantumAndReportedExactly) {
    for (long size : {32L, 64L, 256L}) {
        for (int variant = 0; variant < 3; ++variant) {
            // 0: auto_connect makes the loop; 1: linked by hand; 2: by hand and calibrated
            SCOPED_TRACE(std::to_string(size) + " frames, variant " + std::to_string(variant));
            const std::string name = variant == 0   ? "pw-loop"
                                     : variant == 1 ? "pw-loop-hand"
                                                    : "pw-loop-cal";
            std::string config = variant == 0 ? kLoopConfig : "[pipewire]\nauto_connect = false\n";
            if (variant == 2) config += "[latency]\ninput_offset = " + std::to_string(size) + "\n";
            Driver d(addInstance(name, config));
            ASSERT_EQ(d.init(), ASIOTrue) << d.errorMessage();
            HostOptions o;
            o.loopOut = 1;
            o.loopIn = 1;
            o.impulseEvery = 10;
            Host h(o);
            h.driver = d.get();
            ASSERT_EQ(h.createBuffers(d, size), ASE_OK) << d.errorMessage();
            if (variant > 0) {
                int st = 0;
                run("pw-link " + name +
                        ":out_2 rig-sink:playback_FR && pw-link rig-sink:monitor_FR " + name +
                        ":in_2",
                    &st);
                ASSERT_EQ(st, 0) << "pw-link failed";
            }
            ASSERT_EQ(d.start(), ASE_OK) << d.errorMessage();
            // Data flows once the links have negotiated their buffers (a first impulse may
            // be lost; the probe sends the next one a quarter second later).
            const std::int64_t until = nowNs() + 5'000'000'000;
            while (h.roundTrips().size() < 6 && nowNs() < until) sleepMs(10);
            ASSERT_EQ(d.stop(), ASE_OK);
            long lin = -1, lout = -1;
            ASSERT_EQ(d.latencies(lin, lout), ASE_OK);
            const auto trips = h.roundTrips();
            ASSERT_GE(trips.size(), 4u);
            std::set<long> seen(trips.begin(), trips.end());
            EXPECT_EQ(seen, std::set<long>{size})
                << "every impulse, at every offset, returns after one quantum";
            EXPECT_EQ(lout, 0);
            EXPECT_EQ(lin, variant == 1 ? 0 : size);
            if (variant != 1) {
                EXPECT_EQ(trips.back(), lin + lout) << "measured vs reported";
            }
            std::printf("pipewire loop %ld (%s): measured %ld, reported in %ld + out %ld\n", size,
                        variant == 0   ? "auto-connected"
                        : variant == 1 ? "linked by hand"
                                       : "by hand, calibrated",
                        trips.back(), lin, lout);
        }
    }
}

// ---- the daemon goes away ------------------------------------------------------------------

TEST_F(PipeWireDriver, DaemonLossIsOneResetEveryCallSaysSoAndANewInstanceWorksOnceItIsBack) {
    const std::string name = addInstance("pw-loss");
    Driver d(name);
    Host h;
    h.driver = d.get();
    ASSERT_NO_FATAL_FAILURE(startStream(d, h, 64));
    stopDaemon();
    ASSERT_TRUE(h.waitMessage(kAsioResetRequest));
    const long long s1 = h.switches();
    sleepMs(100);
    EXPECT_EQ(h.switches(), s1) << "switches after the daemon went away";

    // Every call that needs the daemon fails and says what happened and what to do.
    long a = 0, b = 0, c = 0, g = 0;
    EXPECT_EQ(d.channels(a, b), ASE_NotPresent);
    const std::string msg = d.errorMessage();
    EXPECT_NE(msg.find("the PipeWire daemon (pipewire-0) is gone"), std::string::npos) << msg;
    EXPECT_NE(msg.find("start it again"), std::string::npos) << msg;
    EXPECT_EQ(d.latencies(a, b), ASE_NotPresent);
    EXPECT_EQ(d.bufferSize(a, b, c, g), ASE_NotPresent);
    double rate = 0;
    EXPECT_EQ(d.v().getSampleRate(d.get(), &rate), ASE_NotPresent);
    ASIOSamples pos = 0;
    ASIOTimeStamp ts = 0;
    EXPECT_EQ(d.v().getSamplePosition(d.get(), &pos, &ts), ASE_NotPresent);
    // The host's reset: stop, dispose, release all succeed.
    EXPECT_EQ(d.stop(), ASE_OK);
    EXPECT_NE(d.start(), ASE_OK);
    EXPECT_NE(d.errorMessage().find("is gone"), std::string::npos) << d.errorMessage();
    EXPECT_EQ(d.disposeBuffers(), ASE_OK);
    EXPECT_EQ(d.release(), 0);
    EXPECT_EQ(h.messages(kAsioResetRequest), 1) << "exactly one";
    {
        Driver again(name);
        EXPECT_EQ(again.init(), ASIOFalse);
        EXPECT_NE(again.errorMessage().find("no PipeWire daemon (start it"), std::string::npos)
            << again.errorMessage();
    }
    ASSERT_TRUE(startDaemon());
    Driver fresh(name);
    Host h2;
    h2.driver = fresh.get();
    ASSERT_NO_FATAL_FAILURE(startStream(fresh, h2, 64));
    EXPECT_EQ(fresh.stop(), ASE_OK);
    EXPECT_EQ(h2.messages(kAsioResetRequest), 0);
}

// The daemon killed and restarted under a running stream, 20 times: each time one reset,
// the host's reset sequence, a fresh instance streams again. No crash; no leak under ASan.
TEST_F(PipeWireDriver, TwentyDaemonRestartsMidStream) {
    const std::string name = addInstance("pw-restart");
    int streamed = 0;
    for (int round = 0; round < 20; ++round) {
        SCOPED_TRACE(round);
        Driver d(name);
        Host h;
        h.driver = d.get();
        ASSERT_NO_FATAL_FAILURE(startStream(d, h, 64));
        ++streamed;
        stopDaemon();
        ASSERT_TRUE(h.waitMessage(kAsioResetRequest));
        EXPECT_EQ(d.stop(), ASE_OK);
        EXPECT_EQ(d.disposeBuffers(), ASE_OK);
        EXPECT_EQ(d.release(), 0);
        EXPECT_EQ(h.messages(kAsioResetRequest), 1);
        ASSERT_TRUE(startDaemon());
    }
    EXPECT_EQ(streamed, 20);
    std::printf("pipewire restarts: %d rounds streamed, reset and re-opened\n", streamed);
}

}  // namespace
}  // namespace foldback::pwtest
