// Fault injection (future(kFoldbackInjectFault)) as the host notices it: late periods are
// caught up without a position jump, lost frames jump the position by whole buffers with a
// resync, a lost device sends one reset and goes quiet until it returns, a rate change is
// announced once.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "host.hpp"

namespace foldback::itest {
namespace {

constexpr double kRate = 48000;

void open(Driver& d, const std::string& name) {
    d = Driver(name);
    ASSERT_TRUE(d.ok());
    ASSERT_EQ(d.nameResult(), ASE_SUCCESS) << d.errorMessage();
    ASSERT_EQ(d.init(), ASIOTrue) << d.errorMessage();
}

void startStream(Driver& d, Host& host, const std::string& name, long B) {
    ASSERT_NO_FATAL_FAILURE(open(d, name));
    host.attach(d);
    ASSERT_EQ(host.createBuffers(d, B), ASE_OK) << d.errorMessage();
    ASSERT_EQ(d.start(), ASE_OK) << d.errorMessage();
    ASSERT_TRUE(host.waitSwitches(20)) << "no stream";
}

// The largest wall-clock gap between consecutive switches from record `from` on, and
// the record that ends it.
std::pair<std::int64_t, std::size_t> largestGap(const std::vector<SwitchRecord>& recs,
                                                std::size_t from) {
    std::int64_t gap = 0;
    std::size_t at = 0;
    for (std::size_t i = std::max<std::size_t>(from, 1); i < recs.size(); ++i)
        if (recs[i].wallNs - recs[i - 1].wallNs > gap) {
            gap = recs[i].wallNs - recs[i - 1].wallNs;
            at = i;
        }
    return {gap, at};
}

// ---- late periods ---------------------------------------------------------------------------

struct LateRun {
    FoldbackCounters before{}, after{};
    std::vector<SwitchRecord> recs;
    long long switchesBefore = 0;
    long long overloadMessages = 0, resyncMessages = 0, overloadQueries = 0;
};

LateRun injectLate(const std::string& name, HostOptions options, long lateMs) {
    LateRun r;
    Host host(options);
    Driver d;
    startStream(d, host, name, 64);
    sleepMs(100);
    r.before = d.counters();
    r.switchesBefore = host.switches();
    EXPECT_EQ(d.fault(kFoldbackFaultLatePeriod, lateMs), ASE_SUCCESS) << d.errorMessage();
    sleepMs(250);
    EXPECT_EQ(d.stop(), ASE_OK);
    r.after = d.counters();
    r.recs = host.records();
    r.overloadMessages = host.messages(kAsioOverload);
    r.resyncMessages = host.messages(kAsioResyncRequest);
    r.overloadQueries = host.selectorQueries(kAsioOverload);
    return r;
}

TEST(Faults, LatePeriodIsCaughtUpBackToBackWithoutAJump) {
    // 20 ms at 64 frames is 15 periods: within a catch-up limit of 64.
    const std::string name = addInstance("it-fault-late", "[kit]\nmax_late_periods = 64\n");
    const LateRun r = injectLate(name, HostOptions{}, 20);
    ASSERT_GT(r.recs.size(), 100u);

    // The delay took effect: one wall-clock gap of about 20 ms after the injection.
    const auto [gap, at] = largestGap(r.recs, static_cast<std::size_t>(r.switchesBefore));
    EXPECT_GE(gap, 19'000'000) << "no late wake-up observed";
    // ... and the periods it owed came back to back, counted.
    EXPECT_GE(r.after.latePeriods - r.before.latePeriods, 14);
    EXPECT_GT(r.after.overloads, r.before.overloads);
    // The host said it supports kAsioOverload: it got every one the driver counted.
    EXPECT_EQ(r.overloadMessages, r.after.overloads);
    // No jump, no resync: positions advance by exactly one buffer per switch throughout.
    const Continuity c = continuity(r.recs, 64);
    EXPECT_EQ(c.jumps, 0);
    EXPECT_EQ(c.badIndex, 0);
    EXPECT_EQ(c.nonIncreasingTime, 0);
    for (std::size_t i = 0; i < r.recs.size(); ++i)
        ASSERT_EQ(r.recs[i].position, static_cast<std::int64_t>(i) * 64) << "switch " << i;
    EXPECT_EQ(r.after.skippedFrames, 0);
    EXPECT_EQ(r.after.resyncs, 0);
    EXPECT_EQ(r.resyncMessages, 0);
    // The switches after the gap carry the times of their periods, not of the late wake.
    if (at > 0 && at < r.recs.size()) {
        const double periodNs = 64 * 1e9 / kRate;
        const auto dt = r.recs[at].systemTime - r.recs[at - 1].systemTime;
        EXPECT_LT(dt, 4 * periodNs) << "time stamps jumped with the late wake-up";
    }
}

TEST(Faults, OverloadGoesOnlyToHostsThatSupportIt) {
    const std::string name = addInstance("it-fault-late-noovl", "[kit]\nmax_late_periods = 64\n");
    HostOptions o;
    o.overload = false;
    const LateRun r = injectLate(name, o, 20);
    EXPECT_GE(r.overloadQueries, 1) << "the driver must ask kAsioSelectorSupported first";
    EXPECT_GT(r.after.overloads, r.before.overloads) << "still counted";
    EXPECT_GE(r.after.latePeriods - r.before.latePeriods, 14);
    EXPECT_EQ(r.overloadMessages, 0) << "sent to a host that said it does not support it";
}

TEST(Faults, LatePeriodBeyondTheCatchUpLimitSkipsAndResyncs) {
    // 40 ms at 64 frames is 30 periods, beyond the default limit of 8.
    const std::string name = addInstance("it-fault-late-skip");
    const LateRun r = injectLate(name, HostOptions{}, 40);
    ASSERT_GT(r.recs.size(), 50u);
    EXPECT_GE(r.after.skippedFrames - r.before.skippedFrames, 28 * 64);
    EXPECT_GE(r.after.resyncs, 1);
    EXPECT_EQ(r.resyncMessages, r.after.resyncs);
    EXPECT_EQ(r.overloadMessages, r.after.overloads);
    // Whatever skipped (the injection, or the VM on its own), the position jumped by exactly
    // the skipped frames, in whole buffers.
    const Continuity c = continuity(r.recs, 64);
    EXPECT_EQ(c.jumpedFrames, r.after.skippedFrames);
    EXPECT_EQ(c.notWholeBuffers, 0);
    EXPECT_EQ(c.badIndex, 0);
    EXPECT_EQ(c.nonIncreasingTime, 0);
}

// ---- lost frames ----------------------------------------------------------------------------

TEST(Faults, DropFramesJumpsThePositionByWholeBuffersWithAResync) {
    // No catch-up limit here: the only skip is the injected one.
    const std::string name = addInstance("it-fault-drop", kCatchUpAll);
    Host host;
    Driver d;
    ASSERT_NO_FATAL_FAILURE(startStream(d, host, name, 64));
    sleepMs(50);
    const long long s0 = host.switches();
    ASSERT_EQ(d.fault(kFoldbackFaultDropFrames, 100), ASE_SUCCESS) << d.errorMessage();
    sleepMs(150);
    ASSERT_EQ(d.stop(), ASE_OK);
    const FoldbackCounters c = d.counters();
    const auto recs = host.records();

    // 100 frames lost at 64 frames per buffer: the position jumps by two whole buffers.
    EXPECT_EQ(c.skippedFrames, 128);
    EXPECT_EQ(c.resyncs, 1);
    EXPECT_EQ(host.messages(kAsioResyncRequest), 1);
    EXPECT_GE(c.overloads, 1);
    EXPECT_EQ(host.messages(kAsioOverload), c.overloads);
    const Continuity k = continuity(recs, 64);
    EXPECT_EQ(k.jumps, 1);
    EXPECT_EQ(k.jumpedFrames, 128);
    EXPECT_EQ(k.notWholeBuffers, 0);
    EXPECT_EQ(k.badIndex, 0) << "the index alternates across the jump";
    EXPECT_EQ(k.nonIncreasingTime, 0);

    // The host hears kAsioOverload, then kAsioResyncRequest, before the jumped switch.
    const auto log = host.messageLog();
    auto resync = std::find_if(log.begin(), log.end(), [](const MessageRecord& m) {
        return m.selector == kAsioResyncRequest;
    });
    ASSERT_NE(resync, log.end());
    ASSERT_NE(resync, log.begin());
    EXPECT_EQ((resync - 1)->selector, kAsioOverload);
    const auto j = static_cast<std::size_t>(resync->switchesBefore);
    ASSERT_GE(j, static_cast<std::size_t>(s0));
    ASSERT_LT(j, recs.size());
    ASSERT_GT(j, 0u);
    EXPECT_EQ(recs[j].position - recs[j - 1].position, 64 + 128) << "the switch after the resync";
    // Time stays consistent with the position across the jump.
    const double dt = static_cast<double>(recs[j].systemTime - recs[j - 1].systemTime);
    EXPECT_NEAR(dt, (64 + 128) * 1e9 / kRate, 64 * 1e9 / kRate);
}

// ---- device loss ----------------------------------------------------------------------------

TEST(Faults, DeviceLossSendsOneResetStopsAndBlocksReopeningUntilItReturns) {
    const std::string name = addInstance("it-fault-loss");
    Host host;
    Driver d;
    ASSERT_NO_FATAL_FAILURE(startStream(d, host, name, 64));
    ASSERT_EQ(d.fault(kFoldbackFaultDeviceLoss), ASE_SUCCESS) << d.errorMessage();
    // Whatever happens below, the device comes back for the other tests of this process.
    struct Return {
        Driver& d;
        ~Return() { d.fault(kFoldbackFaultDeviceReturn); }
    } comeBack{d};

    sleepMs(100);
    const long long s1 = host.switches();
    sleepMs(100);
    EXPECT_EQ(host.switches(), s1) << "switches after the device was lost";
    EXPECT_EQ(host.messages(kAsioResetRequest), 1);
    const auto log = host.messageLog();
    for (const auto& m : log) {
        if (m.selector == kAsioResetRequest) {
            EXPECT_EQ(m.switchesBefore, s1) << "a switch came after the reset request";
        }
    }
    EXPECT_EQ(d.counters().resets, 1);

    // The host tears down as it should (outside the callback).
    EXPECT_EQ(d.stop(), ASE_OK);
    EXPECT_EQ(host.messages(kAsioResetRequest), 1) << "exactly one";
    // The lost instance does not come back to life.
    EXPECT_NE(d.start(), ASE_OK);
    EXPECT_FALSE(d.errorMessage().empty());
    sleepMs(20);
    EXPECT_EQ(host.switches(), s1);

    // A fresh instance cannot open the lost device, and says why.
    {
        Driver again(name);
        ASSERT_EQ(again.nameResult(), ASE_SUCCESS);
        EXPECT_EQ(again.init(), ASIOFalse);
        const std::string msg = again.errorMessage();
        EXPECT_FALSE(msg.empty());
        EXPECT_NE(msg.find("gone"), std::string::npos) << msg;
        EXPECT_NE(msg.find(name), std::string::npos) << msg;
    }

    // The device returns: a fresh instance opens and streams again.
    ASSERT_EQ(d.fault(kFoldbackFaultDeviceReturn), ASE_SUCCESS) << d.errorMessage();
    Host host2;
    Driver fresh;
    ASSERT_NO_FATAL_FAILURE(startStream(fresh, host2, name, 64));
    EXPECT_EQ(fresh.stop(), ASE_OK);
    EXPECT_EQ(host2.messages(kAsioResetRequest), 0);
}

// Regression: DeviceReturn needed an initialized instance, which a lost device cannot have
// (fixed in 8eea7e8).
TEST(Faults, DeviceReturnsAfterTheHostsFullResetFlow) {
    // The reset flow of spec §10.1: stop, disposeBuffers, Release, then a new instance.
    // While the device is gone that instance cannot init; when it returns, it can. The
    // only instance left to tell the driver so is the fresh, uninitialized one.
    const std::string name = addInstance("it-fault-loss-flow");
    {
        Host host;
        Driver d;
        ASSERT_NO_FATAL_FAILURE(startStream(d, host, name, 64));
        ASSERT_EQ(d.fault(kFoldbackFaultDeviceLoss), ASE_SUCCESS) << d.errorMessage();
        sleepMs(30);
        EXPECT_EQ(host.messages(kAsioResetRequest), 1);
        EXPECT_EQ(d.stop(), ASE_OK);
        EXPECT_EQ(d.disposeBuffers(), ASE_OK);
        EXPECT_EQ(d.release(), 0);
    }
    Driver fresh(name);
    ASSERT_EQ(fresh.nameResult(), ASE_SUCCESS);
    EXPECT_EQ(fresh.init(), ASIOFalse);
    EXPECT_NE(fresh.errorMessage().find("gone"), std::string::npos) << fresh.errorMessage();
    const ASIOError back = fresh.fault(kFoldbackFaultDeviceReturn);
    if (back != ASE_SUCCESS) {
        ADD_FAILURE() << "DeviceReturn through a fresh instance: " << back << ": "
                      << fresh.errorMessage();
        return;
    }
    EXPECT_EQ(fresh.init(), ASIOTrue) << fresh.errorMessage();
}

// ---- rate change ----------------------------------------------------------------------------

TEST(Faults, RateChangeIsAnnouncedOnceAndTheClockFollows) {
    const std::string name = addInstance("it-fault-rate");
    Host host;
    Driver d;
    ASSERT_NO_FATAL_FAILURE(startStream(d, host, name, 64));
    sleepMs(100);
    ASSERT_EQ(d.fault(kFoldbackFaultRateChange, 96000), ASE_SUCCESS) << d.errorMessage();
    sleepMs(300);
    EXPECT_EQ(d.sampleRate(), 96000) << "getSampleRate while running, after the change";
    ASSERT_EQ(d.stop(), ASE_OK);
    const auto recs = host.records();

    const auto rates = host.rateChanges();
    ASSERT_EQ(rates.size(), 1u);
    EXPECT_EQ(rates[0], 96000);

    std::vector<std::size_t> flagged;
    for (std::size_t i = 0; i < recs.size(); ++i)
        if (recs[i].flags & kSampleRateChanged) flagged.push_back(i);
    ASSERT_EQ(flagged.size(), 1u) << "kSampleRateChanged in exactly one time info";
    const std::size_t j = flagged[0];
    ASSERT_GT(j, 0u);
    for (std::size_t i = 0; i < recs.size(); ++i)
        ASSERT_EQ(recs[i].sampleRate, i < j ? 48000 : 96000) << "switch " << i;
    const Continuity c = continuity(recs, 64);
    EXPECT_EQ(c.badIndex, 0);
    EXPECT_EQ(c.nonIncreasingTime, 0);
    EXPECT_EQ(c.jumpedFrames, d.counters().skippedFrames);

    // The period follows the new rate: from the driver's time stamps...
    const auto& last = recs.back();
    ASSERT_GT(recs.size() - j, 100u);
    const double rate = static_cast<double>(last.position - recs[j].position) * 1e9 /
                        static_cast<double>(last.systemTime - recs[j].systemTime);
    EXPECT_NEAR(rate, 96000, 96000 * 0.01);
    // ... and from the wall clock (the stream keeps up at the new rate).
    const double wallRate = static_cast<double>(last.position - recs[j].position) * 1e9 /
                            static_cast<double>(last.wallNs - recs[j].wallNs);
    EXPECT_NEAR(wallRate, 96000, 96000 * 0.1);
}

// Regression: the re-based DLL stamped the first period after a change one new period
// late (fixed in 8eea7e8).
TEST(Faults, RateChangeKeepsTimeStampsContinuous) {
    // systemTime is the time of the block's first frame before the change; it must stay so
    // after it: the step across the change is one old period, and the stamps keep their
    // distance to the wall clock.
    const std::string name = addInstance("it-fault-rate-time", kCatchUpAll);
    Host host;
    Driver d;
    ASSERT_NO_FATAL_FAILURE(startStream(d, host, name, 256));
    sleepMs(200);
    ASSERT_EQ(d.fault(kFoldbackFaultRateChange, 96000), ASE_SUCCESS) << d.errorMessage();
    sleepMs(200);
    ASSERT_EQ(d.stop(), ASE_OK);
    const auto recs = host.records();
    std::size_t j = 0;
    for (std::size_t i = 0; i < recs.size(); ++i)
        if (recs[i].flags & kSampleRateChanged) j = i;
    ASSERT_GT(j, 10u);
    ASSERT_GT(recs.size() - j, 10u);
    const double oldPeriod = 256 * 1e9 / 48000, newPeriod = 256 * 1e9 / 96000;
    const double step = static_cast<double>(recs[j].systemTime - recs[j - 1].systemTime);
    EXPECT_NEAR(step, oldPeriod, 0.25 * newPeriod) << "systemTime step across the change";
    const double after = static_cast<double>(recs[j + 1].systemTime - recs[j].systemTime);
    EXPECT_NEAR(after, newPeriod, 0.25 * newPeriod);
    // Median distance of the callback's own clock reading to systemTime, before and after.
    auto median = [&](std::size_t a, std::size_t b) {
        std::vector<std::int64_t> v;
        for (std::size_t i = a; i < b; ++i) v.push_back(recs[i].wallNs - recs[i].systemTime);
        std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
        return static_cast<double>(v[v.size() / 2]);
    };
    const double before = median(1, j), afterMedian = median(j, recs.size());
    EXPECT_NEAR(afterMedian, before, 0.25 * newPeriod)
        << "callbacks run " << before / 1e3 << " us after their systemTime before the change, "
        << afterMedian / 1e3 << " us after it";
}

// Regression: the instance kept the old rate for getSampleRate and the next start (fixed
// in 8eea7e8).
TEST(Faults, RateChangeIsRememberedAfterStop) {
    // The device now runs at the new rate: a host that stops (RtAudio does on a rate
    // change) and asks again, or starts again, must see the new rate.
    const std::string name = addInstance("it-fault-rate-stop");
    Host host;
    Driver d;
    ASSERT_NO_FATAL_FAILURE(startStream(d, host, name, 64));
    ASSERT_EQ(d.fault(kFoldbackFaultRateChange, 96000), ASE_SUCCESS) << d.errorMessage();
    sleepMs(50);
    ASSERT_EQ(host.rateChanges().size(), 1u);
    ASSERT_EQ(d.stop(), ASE_OK);
    EXPECT_EQ(d.sampleRate(), 96000) << "getSampleRate after stop";
    host.clear();
    ASSERT_EQ(d.start(), ASE_OK);
    ASSERT_TRUE(host.waitSwitches(5));
    ASSERT_EQ(d.stop(), ASE_OK);
    EXPECT_EQ(host.record(1).sampleRate, 96000) << "time info after restart";
    const double periodNs = 64 * 1e9 / 96000;
    EXPECT_NEAR(static_cast<double>(host.record(4).systemTime - host.record(1).systemTime),
                3 * periodNs, periodNs)
        << "the restarted clock runs at the new rate";

    // A change while prepared but stopped: the host hears it at once, and the next start
    // runs at that rate.
    host.clear();
    ASSERT_EQ(d.fault(kFoldbackFaultRateChange, 44100), ASE_SUCCESS) << d.errorMessage();
    ASSERT_EQ(host.rateChanges().size(), 1u);
    EXPECT_EQ(host.rateChanges()[0], 44100);
    EXPECT_EQ(d.sampleRate(), 44100);
    ASSERT_EQ(d.start(), ASE_OK);
    ASSERT_TRUE(host.waitSwitches(5));
    ASSERT_EQ(d.stop(), ASE_OK);
    EXPECT_EQ(host.record(1).sampleRate, 44100);
    EXPECT_EQ(host.rateChanges().size(), 1u) << "announced once, not again at start";
}

TEST(Faults, RefusedFaults) {
    const std::string name = addInstance("it-fault-refused");
    Host host;
    Driver d;
    ASSERT_NO_FATAL_FAILURE(open(d, name));
    // Timing faults need a running stream; an unknown kind is refused; the rate must be one
    // the device supports. Each with a message.
    EXPECT_NE(d.fault(kFoldbackFaultLatePeriod, 5), ASE_SUCCESS);
    EXPECT_FALSE(d.errorMessage().empty());
    EXPECT_NE(d.fault(kFoldbackFaultDropFrames, 64), ASE_SUCCESS);
    EXPECT_NE(d.fault(99, 0), ASE_SUCCESS);
    host.attach(d);
    ASSERT_EQ(host.createBuffers(d, 64), ASE_OK);
    ASSERT_EQ(d.start(), ASE_OK);
    ASSERT_TRUE(host.waitSwitches(5));
    EXPECT_EQ(d.fault(kFoldbackFaultRateChange, 12345), ASE_NoClock);
    EXPECT_NE(d.errorMessage().find("12345"), std::string::npos) << d.errorMessage();
    EXPECT_EQ(d.future(kFoldbackInjectFault, nullptr), ASE_InvalidParameter);
    sleepMs(20);
    ASSERT_EQ(d.stop(), ASE_OK);
    EXPECT_TRUE(host.rateChanges().empty());
    EXPECT_EQ(host.messages(kAsioResetRequest), 0);
}

}  // namespace
}  // namespace foldback::itest
