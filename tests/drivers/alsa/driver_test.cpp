// The ALSA driver loaded the way a host loads it, on userspace ALSA PCMs that keep real
// time (no kernel sound device exists here): the JACK ioplug on a private jackd and
// PipeWire's ALSA PCM on a private PipeWire. Both refuse snd_pcm_link, so every stream
// here starts back to back with the measured offset; the linked start is only reachable
// on kernel hw: devices (docs/drivers/alsa.md says so).
//
// Timing on this shared 2-core VM is loose: switch counts are checked against ranges and
// xruns are never asserted to be zero.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <numeric>
#include <sstream>

#include "conformance.hpp"
#include "report_format.hpp"
#include "support.hpp"

namespace at = foldback::alsatest;
namespace fc = foldback::conformance;

namespace {

// The JACK loop: our playback client's ports feed our capture client's (asound-tests.conf).
// Depending on how the two clients' starts fall on the server's cycles, JACK runs the
// capture client before the playback client it hears, which adds one server cycle to the
// round trip that no ALSA call shows (the plugin's pointers and delays do not change):
// measured = reported, or reported + one JACK period. Never less.
//
// The round trip itself is not fixed at N periods (+ the start offset) either: when a cycle
// runs late, jackd (asynchronous mode) gives up on a client it has triggered but not yet run
// ("JackEngine::XRun: client = fbt_in was not finished, state = Triggered" in its log), so
// the capture client misses that cycle while the playback client played it. That is no
// ALSA xrun (neither ring runs over or dry while N > 2 leaves room), but from then on the
// capture ring is one JACK period behind the playback ring: the round trip is one period
// shorter. The driver sees it in the delay sum and reports it (kAsioLatenciesChanged), so
// the tests compare each trip with what was reported around its time and check the
// geometry before the start, never a fixed round trip at the end of a stream.
constexpr long kJackCycle = 64;
constexpr long kPipeWireSlack = 4;  // frames: the PipeWire plugin's interpolated delays
std::string jackLoop(const std::string& extra = "") {
    return "[alsa]\ncapture = \"fbt_jack_in\"\nplayback = \"fbt_jack_out\"\nbuffer_size = 64\n" +
           extra;
}

struct LoopResult {
    long before[2] = {-1, -1};  // input, output latency after createBuffers, before the start
    long reported = -1;         // in + out at the end
    long maxReported = -1;      // the largest in + out read while streaming
    std::vector<long> trips;
    std::vector<bool> asReported;  // trip k equals what getLatencies said around then
    long long switches = 0;
    double seconds = 0;
    FoldbackCounters counters{};
    long long latencyMessages = 0;
};

// Streams for `seconds` with an impulse on output 0 looked for on input 0, reading
// getLatencies every 10 ms: the driver may correct them after the start
// (kAsioLatenciesChanged), and each round trip is checked against what was reported
// around the time its impulse left (`slack`: frames of tolerance; `above`: the trip may
// exceed the report by up to `slack`, never fall short).
LoopResult runLoop(const std::string& instance, double seconds, long size = 0,
                   at::HostOptions options = {}, long slack = 0, bool above = false) {
    LoopResult r;
    at::Driver d(instance);
    EXPECT_TRUE(d.init()) << d.errorMessage();
    at::Host host(options);
    EXPECT_EQ(host.createBuffers(d, size), ASE_OK) << d.errorMessage();
    r.before[0] = d.inputLatency();
    r.before[1] = d.outputLatency();
    const std::int64_t t0 = at::nowNs();
    EXPECT_EQ(d.v().start(d.get()), ASE_OK) << d.errorMessage();
    std::vector<std::pair<long long, long>> timeline;  // (switches, in + out)
    while (at::nowNs() - t0 < static_cast<std::int64_t>(seconds * 1e9)) {
        timeline.emplace_back(host.switches(), d.inputLatency() + d.outputLatency());
        at::sleepMs(10);
    }
    r.reported = d.inputLatency() + d.outputLatency();
    for (const auto& [sw, rep] : timeline) r.maxReported = std::max(r.maxReported, rep);
    EXPECT_EQ(d.v().stop(d.get()), ASE_OK);
    r.seconds = static_cast<double>(at::nowNs() - t0) / 1e9;
    r.switches = host.switches();
    r.trips = host.roundTrips();
    r.counters = d.counters();
    r.latencyMessages = host.messages(kAsioLatenciesChanged);
    const auto left = host.roundTripSwitches();
    const long long near =
        std::max(4L, 9600 / std::max(1L, host.bufferSize()));  // 0.2 s of switches
    for (std::size_t k = 0; k < r.trips.size(); ++k) {
        bool ok = false;
        for (const auto& [sw, rep] : timeline)
            if (sw + near >= left[k] && sw <= left[k] + near &&
                (above ? r.trips[k] >= rep && r.trips[k] <= rep + slack
                       : std::labs(r.trips[k] - rep) <= slack))
                ok = true;
        r.asReported.push_back(ok);
    }
    EXPECT_EQ(d.v().disposeBuffers(d.get()), ASE_OK);
    std::ostringstream t;
    for (long x : r.trips) t << x << ' ';
    std::printf(
        "%s: buffer %ld, %lld switches in %.2f s, reported round trip %ld before the start, %ld at "
        "most, "
        "%ld at the end, measured [%s], overloads %lld, resyncs %lld, skipped frames %lld, latency "
        "changes "
        "%lld\n",
        instance.c_str(), host.bufferSize(), r.switches, r.seconds, r.before[0] + r.before[1],
        r.maxReported, r.reported, t.str().c_str(), r.counters.overloads, r.counters.resyncs,
        r.counters.skippedFrames, r.latencyMessages);
    return r;
}

// Most measured round trips equal the reported one (an xrun in flight can spoil one).
void expectRoundTrip(const LoopResult& r) {
    ASSERT_GE(r.trips.size(), 3u) << "the impulse did not come back";
    const long ok = static_cast<long>(std::count(r.asReported.begin(), r.asReported.end(), true));
    EXPECT_GE(ok * 10, static_cast<long>(r.trips.size()) * 7)
        << ok << " of " << r.trips.size()
        << " round trips equal the latency reported when they were measured";
}

class AlsaJack : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!at::jackAvailable())
            GTEST_SKIP() << "no jackd, rig scripts or ALSA jack plugin (libasound2-plugins)";
        const bool up = at::startJack(64);
        ASSERT_TRUE(up) << "private jackd did not come up";
    }
};

}  // namespace

// ---- without any engine ------------------------------------------------------------------

TEST(AlsaDriver, ListsTheDevicesOfThisMachine) {
    at::addInstance("alsa-list", "[alsa]\ndevice = \"null\"\n");
    at::Driver d("alsa-list");  // no init needed
    FoldbackDevice devices[8] = {};
    FoldbackDeviceList list{devices, 8, -1};
    ASSERT_EQ(d.v().future(d.get(), kFoldbackListDevices, &list), ASE_SUCCESS);
    std::error_code ec;
    if (!std::filesystem::exists("/dev/snd", ec)) {
        EXPECT_EQ(list.count, 0);  // no sound card here
    }
    for (long i = 0; i < std::min(list.count, 8L); ++i)
        EXPECT_EQ(std::string(devices[i].id).rfind("hw:CARD=", 0), 0u) << devices[i].id;
}

TEST(AlsaDriver, MissingDeviceSaysWhatToDo) {
    at::addInstance("alsa-missing", "[alsa]\ndevice = \"hw:9,0\"\n");
    at::Driver d("alsa-missing");
    EXPECT_FALSE(d.init());
    const std::string m = d.errorMessage();
    EXPECT_NE(m.find("foldback list"), std::string::npos) << m;
    EXPECT_NE(m.find("hw:9,0"), std::string::npos) << m;
}

TEST(AlsaDriver, TopLevelDeviceIsWhatRegisterWrites) {
    // `foldback register NAME foldback-alsa.so --device ID` (what `foldback list` prints)
    // writes device = "ID" at the top level; [alsa] device wins over it.
    at::addInstance("alsa-top", "device = \"hw:9,0\"\n");
    at::Driver d("alsa-top");
    EXPECT_FALSE(d.init());
    EXPECT_NE(d.errorMessage().find("hw:9,0"), std::string::npos) << d.errorMessage();
    at::addInstance("alsa-top-wins", "device = \"hw:9,0\"\n[alsa]\ndevice = \"null\"\n");
    at::Driver w("alsa-top-wins");
    EXPECT_TRUE(w.init()) << w.errorMessage();
}

TEST(AlsaDriver, BadSettingNamesTheKey) {
    at::addInstance("alsa-bad", "[alsa]\ndevice = \"null\"\naccess = \"fast\"\n");
    at::Driver d("alsa-bad");
    EXPECT_FALSE(d.init());
    EXPECT_NE(d.errorMessage().find("[alsa] access"), std::string::npos) << d.errorMessage();
}

TEST(AlsaDriver, AnyPcmNameWorksAndCapabilitiesAreHonest) {
    at::addInstance("alsa-null", "[alsa]\ndevice = \"null\"\nperiods = 3\nbuffer_size = 128\n");
    at::Driver d("alsa-null");
    ASSERT_TRUE(d.init()) << d.errorMessage();
    long in = 0, out = 0;
    ASSERT_EQ(d.v().getChannels(d.get(), &in, &out), ASE_OK);
    EXPECT_EQ(in, 2);
    EXPECT_EQ(out, 2);
    long mn = 0, mx = 0, pref = 0, gran = 0;
    ASSERT_EQ(d.v().getBufferSize(d.get(), &mn, &mx, &pref, &gran), ASE_OK);
    EXPECT_EQ(mn, 16);
    EXPECT_EQ(mx, 8192);
    EXPECT_EQ(pref, 128);
    EXPECT_EQ(gran, 1);
    EXPECT_EQ(d.v().canSampleRate(d.get(), 44100), ASE_OK);
    EXPECT_EQ(d.v().canSampleRate(d.get(), 12345), ASE_NoClock);
    // input = one period; output = (periods - 1) periods (no FIFO on `null`).
    EXPECT_EQ(d.inputLatency(), 128);
    EXPECT_EQ(d.outputLatency(), 256);
    EXPECT_EQ(d.v().setSampleRate(d.get(), 96000), ASE_OK);
    ASIOChannelInfo ci{};
    ci.channel = 0;
    ci.isInput = ASIOTrue;
    ASSERT_EQ(d.v().getChannelInfo(d.get(), &ci), ASE_OK);
    EXPECT_EQ(ci.type, ASIOSTFloat32LSB);
}

// ---- the JACK ioplug ----------------------------------------------------------------------

TEST_F(AlsaJack, Certifies) {
    const std::string config = jackLoop("[certify]\nloop = [[0, 0], [1, 1]]\n");
    at::addInstance("alsa-jack-certify", config);
    fc::Options o;
    o.instanceName = "alsa-jack-certify";
    o.instantiate = [] { return at::instantiateRaw(); };  // the suite sets the name itself
    o.configToml = config;
    o.streamSeconds = 2.0;
    o.rateTolerance = 0.05;  // the dummy backend's clock runs 0.3-1 % slow, late cycles are lost
    o.latencyTolerance = kJackCycle;  // see kJackCycle
    std::ostringstream log;
    const fc::Report r = fc::run(o, log);
    std::ostringstream text;
    fc::printText(r, text);
    std::cout << text.str();
    EXPECT_TRUE(r.passed()) << log.str();
    std::printf("certify rigjack loop: measured round trip %lld, reported %lld\n",
                r.measuredRoundTrip, r.reportedRoundTrip);
    EXPECT_GE(r.measuredRoundTrip, r.reportedRoundTrip);
    EXPECT_LE(r.measuredRoundTrip, r.reportedRoundTrip + kJackCycle);
    EXPECT_EQ(r.lateCallbacks, 0);
}

TEST_F(AlsaJack, LoopMmapNonInterleaved) {
    at::addInstance("alsa-jack-mmap", jackLoop("access = \"mmap\"\n"));
    const LoopResult r = runLoop("alsa-jack-mmap", 2.0, 0, {}, kJackCycle, true);
    EXPECT_GE(r.switches, static_cast<long long>(0.6 * r.seconds * 48000 / 64));
    expectRoundTrip(r);
}

TEST_F(AlsaJack, LoopMmapInterleaved) {
    at::addInstance("alsa-jack-mmapi", jackLoop("access = \"mmap\"\nlayout = \"interleaved\"\n"));
    const LoopResult r = runLoop("alsa-jack-mmapi", 2.0, 0, {}, kJackCycle, true);
    expectRoundTrip(r);
}

TEST_F(AlsaJack, LoopReadWrite) {
    at::addInstance("alsa-jack-rw", jackLoop("access = \"rw\"\n"));
    const LoopResult r = runLoop("alsa-jack-rw", 2.0, 0, {}, kJackCycle, true);
    EXPECT_GE(r.switches, static_cast<long long>(0.6 * r.seconds * 48000 / 64));
    expectRoundTrip(r);
}

TEST_F(AlsaJack, LoopReadWriteInterleavedThreePeriods) {
    at::addInstance("alsa-jack-rw3",
                    jackLoop("access = \"rw\"\nlayout = \"interleaved\"\nperiods = 3\n"));
    const LoopResult r = runLoop("alsa-jack-rw3", 2.0, 128, {}, kJackCycle, true);
    // From the geometry before the start: one period in, N - 1 = 2 periods out.
    EXPECT_EQ(r.before[0], 128);
    EXPECT_EQ(r.before[1], 2 * 128);
    // After it, the start offset adds to that; a capture cycle that jackd skips under load
    // takes one JACK period off again (see kJackCycle), so only the largest report is
    // bounded below. Each trip equals what was reported around its time.
    EXPECT_GE(r.maxReported, 3 * 128);
    expectRoundTrip(r);
}

TEST_F(AlsaJack, UnlinkedStartOffsetIsMeasuredAndReported) {
    // Playback starts 2 ms after capture (1.5 JACK cycles of 64 frames). The plugin refuses
    // snd_pcm_link, so every start here is unlinked; this one has an offset, which the
    // driver reads from the pointers (the two snd_pcm_delay()s) and reports.
    at::addInstance("alsa-jack-gap", jackLoop("periods = 4\nstart_gap_us = 2000\n"));
    const LoopResult r = runLoop("alsa-jack-gap", 2.0, 0, {}, kJackCycle, true);
    EXPECT_EQ(r.before[0] + r.before[1], 4 * 64);  // 64 in + 3 x 64 out, before the start
    // The offset the delay sum shows is 0 or one JACK cycle (the plugin's hw pointer moves
    // only once its start, jack_activate and jack_connect, has returned, whatever the gap),
    // and a skipped capture cycle later may take a cycle off (see kJackCycle): the largest
    // report is at least the geometry, and every trip equals what was reported then.
    EXPECT_GE(r.maxReported, 4 * 64);
    expectRoundTrip(r);
}

TEST_F(AlsaJack, XrunIsRecoveredWithOverloadAndResync) {
    at::addInstance("alsa-jack-xrun", jackLoop());
    at::HostOptions o;
    o.stallAt = 200;
    o.stallMs = 40;  // 15 periods of 64 frames: far beyond the 2-period buffer
    const LoopResult r = runLoop("alsa-jack-xrun", 2.0, 0, o, kJackCycle, true);
    EXPECT_GE(r.counters.overloads, 1);
    EXPECT_GE(r.counters.resyncs, 1);
    EXPECT_GE(r.counters.skippedFrames, 64);
    EXPECT_GT(r.switches, 400);  // it went on after the stall
    expectRoundTrip(r);          // and the round trip is right again afterwards
}

TEST_F(AlsaJack, ServerDeathIsDeviceLossAndTheDeviceComesBack) {
    at::addInstance("alsa-jack-lost", jackLoop("watchdog_ms = 500\n"));
    {
        at::Driver d("alsa-jack-lost");
        ASSERT_TRUE(d.init()) << d.errorMessage();
        at::Host host;
        ASSERT_EQ(host.createBuffers(d), ASE_OK) << d.errorMessage();
        ASSERT_EQ(d.v().start(d.get()), ASE_OK) << d.errorMessage();
        ASSERT_TRUE(host.waitSwitches(50, 3000));
        at::stopJack();  // the JACK plugin says nothing: the watchdog must notice
        const std::int64_t t0 = at::nowNs();
        while (host.messages(kAsioResetRequest) == 0 && at::nowNs() - t0 < 3'000'000'000LL)
            at::sleepMs(10);
        EXPECT_EQ(host.messages(kAsioResetRequest), 1);
        std::printf("reset request %.0f ms after the server died\n", (at::nowNs() - t0) / 1e6);
        EXPECT_EQ(d.v().stop(d.get()), ASE_OK);
        EXPECT_NE(d.v().start(d.get()), ASE_OK);  // gone: start says so
        EXPECT_NE(d.errorMessage().find("gone"), std::string::npos) << d.errorMessage();
        EXPECT_EQ(d.v().disposeBuffers(d.get()), ASE_OK);
        // Not back yet: createBuffers says why.
        at::Host early;
        EXPECT_NE(early.createBuffers(d), ASE_OK);
        EXPECT_NE(d.errorMessage().find("stalled"), std::string::npos) << d.errorMessage();
        // The same instance re-creates its buffers once the server is back.
        ASSERT_TRUE(at::startJack(64));
        at::Host again;
        ASSERT_EQ(again.createBuffers(d), ASE_OK) << d.errorMessage();
        ASSERT_EQ(d.v().start(d.get()), ASE_OK) << d.errorMessage();
        EXPECT_TRUE(again.waitSwitches(50, 3000));
        EXPECT_EQ(d.v().stop(d.get()), ASE_OK);
        EXPECT_EQ(d.v().disposeBuffers(d.get()), ASE_OK);
    }
    // And a new instance opens it as usual.
    at::Driver fresh("alsa-jack-lost");
    EXPECT_TRUE(fresh.init()) << fresh.errorMessage();
}

// ---- PipeWire's ALSA PCM ------------------------------------------------------------------

namespace {
bool pipewireUp() {
    if (!at::pipewirePluginAvailable()) return false;
    return at::startPipeWire();
}
}  // namespace

TEST(AlsaPipeWire, LoopThroughTheNullSinkMonitor) {
    if (!at::pipewirePluginAvailable())
        GTEST_SKIP() << "no PipeWire, rig scripts or its ALSA plugin (pipewire-alsa)";
    ASSERT_TRUE(pipewireUp());
    // The capture stream targets the sink: this property makes WirePlumber link its monitor.
    setenv("PIPEWIRE_ALSA", "{ stream.capture.sink = true }", 1);
    at::addInstance(
        "alsa-pw",
        "[alsa]\ncapture = \"fbt_pw_mon\"\nplayback = \"fbt_pw_out\"\nbuffer_size = 64\n");
    // The plugin's delays are interpolated in time: a trip may differ from the report by
    // a frame or two.
    const LoopResult r = runLoop("alsa-pw", 3.0, 0, {}, kPipeWireSlack);
    EXPECT_GE(r.switches, static_cast<long long>(0.5 * r.seconds * 48000 / 64));
    ASSERT_GE(r.trips.size(), 3u);
    // Before the start: the geometry, 64 in + 64 out.
    EXPECT_EQ(r.before[0] + r.before[1], 2 * 64);
    // After it, the round trip through the sink and its monitor is 128 + 0, 64 or 128
    // (seen: 128, 192, 256), as PipeWire orders our two streams and the sink in its graph
    // and as an xrun restarts them. The plugin shows it in snd_pcm_delay, the driver
    // measures it after the start, and each trip equals what was reported at its time.
    expectRoundTrip(r);
    at::stopPipeWire();
}

TEST(AlsaPipeWire, DaemonDeathIsDeviceLoss) {
    if (!at::pipewirePluginAvailable())
        GTEST_SKIP() << "no PipeWire, rig scripts or its ALSA plugin (pipewire-alsa)";
    ASSERT_TRUE(pipewireUp());
    at::addInstance("alsa-pw-lost",
                    "[alsa]\ndevice = \"rigpw_raw\"\nbuffer_size = 64\naccess = \"rw\"\n");
    at::Driver d("alsa-pw-lost");
    ASSERT_TRUE(d.init()) << d.errorMessage();
    at::Host host;
    ASSERT_EQ(host.createBuffers(d), ASE_OK) << d.errorMessage();
    ASSERT_EQ(d.v().start(d.get()), ASE_OK) << d.errorMessage();
    ASSERT_TRUE(host.waitSwitches(50, 3000));
    at::stopPipeWire();
    const std::int64_t t0 = at::nowNs();
    while (host.messages(kAsioResetRequest) == 0 && at::nowNs() - t0 < 3'000'000'000LL)
        at::sleepMs(10);
    EXPECT_EQ(host.messages(kAsioResetRequest), 1);
    std::printf("reset request %.0f ms after the daemon died\n", (at::nowNs() - t0) / 1e6);
    EXPECT_EQ(d.v().stop(d.get()), ASE_OK);
}
