// Streaming as a host sees it: the switch sequence, positions, time stamps, long-run rate,
// and which of the two callback flavours the negotiation picks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "host.hpp"

namespace foldback::itest {
namespace {

constexpr double kRate = 48000;

// Sets up name at bufferSize for host, streams for ms, stops. Fails the test on any error.
void stream(const std::string& name, Host& host, long bufferSize, double ms, Driver& d,
            std::int64_t* startNs = nullptr, std::int64_t* stopNs = nullptr) {
    d = Driver(name);
    ASSERT_TRUE(d.ok());
    ASSERT_EQ(d.nameResult(), ASE_SUCCESS) << d.errorMessage();
    ASSERT_EQ(d.init(), ASIOTrue) << d.errorMessage();
    host.attach(d);
    ASSERT_EQ(host.createBuffers(d, bufferSize), ASE_OK) << d.errorMessage();
    const std::int64_t t0 = nowNs();
    ASSERT_EQ(d.start(), ASE_OK) << d.errorMessage();
    sleepMs(ms);
    ASSERT_EQ(d.stop(), ASE_OK) << d.errorMessage();
    if (startNs) *startNs = t0;
    if (stopNs) *stopNs = nowNs();
}

class StreamingBasics : public ::testing::TestWithParam<long> {};

TEST_P(StreamingBasics, PositionsTimesAndRateOverTwoSeconds) {
    const long B = GetParam();
    // Catch-up without limit: on this shared VM a wake-up can be late by many short periods,
    // and this test is about continuity (the skip policy has its own tests).
    const std::string name = addInstance("it-basics-" + std::to_string(B), kCatchUpAll);
    Host host;
    Driver d;
    std::int64_t t0 = 0, t1 = 0;
    ASSERT_NO_FATAL_FAILURE(stream(name, host, B, 2000, d, &t0, &t1));
    EXPECT_EQ(host.timeInfoQueries(), 1) << "kAsioSupportsTimeInfo is asked once, in createBuffers";

    const auto recs = host.records();
    ASSERT_EQ(static_cast<long long>(recs.size()), host.switches()) << "record capacity too small";
    ASSERT_GT(recs.size(), 10u);
    const FoldbackCounters c = d.counters();
    EXPECT_EQ(c.switches, host.switches());

    // The first switch: index 0 at position 0, with a valid, complete time info.
    EXPECT_EQ(recs[0].index, 0);
    EXPECT_EQ(recs[0].position, 0);
    const unsigned long must = kSystemTimeValid | kSamplePositionValid | kSampleRateValid;
    for (std::size_t i = 0; i < recs.size(); ++i) {
        const auto& r = recs[i];
        ASSERT_EQ(r.flavour, Flavour::TimeInfo) << "switch " << i;
        ASSERT_EQ(r.flags & must, must) << "switch " << i << " flags " << r.flags;
        ASSERT_EQ(r.flags & kSampleRateChanged, 0u) << "switch " << i;
        ASSERT_EQ(r.sampleRate, kRate) << "switch " << i;
        ASSERT_EQ(r.speed, 1.0) << "switch " << i;
        // Position advances by exactly one buffer per switch, index alternates.
        ASSERT_EQ(r.position, static_cast<std::int64_t>(i) * B) << "switch " << i;
        ASSERT_EQ(r.index, static_cast<long>(i % 2)) << "switch " << i;
        // systemTime is CLOCK_MONOTONIC ns: close to the clock the callback itself reads.
        ASSERT_LT(std::llabs(r.systemTime - r.wallNs), 1'000'000'000LL) << "switch " << i;
        // getSamplePosition from inside the switch agrees with the time info (that it
        // answers at all in every switch is GetSamplePositionInsideEverySwitch's subject).
        if (r.spResult == ASE_OK) {
            ASSERT_EQ(r.spPosition, r.position) << "switch " << i;
            ASSERT_EQ(r.spTime, r.systemTime) << "switch " << i;
        }
        if (i > 0) {
            ASSERT_GT(r.systemTime, recs[i - 1].systemTime) << "switch " << i;
        }
    }
    EXPECT_EQ(c.skippedFrames, 0);
    EXPECT_EQ(c.resyncs, 0);
    EXPECT_EQ(host.messages(kAsioResyncRequest), 0);
    // Every overload the driver counted reached this host (it said it supports them).
    EXPECT_EQ(host.messages(kAsioOverload), c.overloads);

    // At least 90 % of the nominal switch count over the wall-clock run, never more than
    // the clock allows.
    const double periodNs = B * 1e9 / kRate;
    const double nominal = static_cast<double>(t1 - t0) / periodNs;
    const auto n = static_cast<double>(recs.size());
    EXPECT_GE(n, 0.9 * nominal) << "switches " << n << " of nominal " << nominal;
    EXPECT_LE(n, nominal + 2) << "switches " << n << " of nominal " << nominal;

    // Long-run rate from the driver's own (position, time) pairs: within 0.1 %.
    const auto& first = recs.front();
    const auto& last = recs.back();
    const double measured = static_cast<double>(last.position - first.position) * 1e9 /
                            static_cast<double>(last.systemTime - first.systemTime);
    EXPECT_NEAR(measured, kRate, kRate * 0.001) << "rate from systemTime/samplePosition";
    // ...and the stream keeps up with the wall clock: the last switch runs no earlier than
    // its period's nominal time after the stream's origin (position 0's systemTime), and
    // not much later (late periods were caught up).
    const double lagNs = static_cast<double>(last.wallNs - first.systemTime) -
                         static_cast<double>(last.position) * 1e9 / kRate;
    EXPECT_GT(lagNs, -periodNs) << "delivered " << -lagNs / 1e6 << " ms ahead of the clock";
    EXPECT_LT(lagNs, 50e6) << "delivered " << lagNs / 1e6 << " ms behind the clock";
}

INSTANTIATE_TEST_SUITE_P(Sizes, StreamingBasics, ::testing::Values(32L, 64L, 256L),
                         [](const ::testing::TestParamInfo<long>& p) {
                             return "B" + std::to_string(p.param);
                         });

// ---- callback flavours ----------------------------------------------------------------------

struct FlavourRun {
    std::vector<SwitchRecord> recs;
    long long timeInfoQueries = 0;
    long long messagesTotal = 0;
};

FlavourRun runFlavour(const std::string& name, HostOptions options) {
    FlavourRun out;
    Host host(options);
    Driver d;
    stream(name, host, 64, 150, d);
    out.recs = host.records();
    out.timeInfoQueries = host.timeInfoQueries();
    out.messagesTotal = static_cast<long long>(host.messageLog().size());
    return out;
}

void expectOnly(const FlavourRun& run, Flavour flavour) {
    ASSERT_GT(run.recs.size(), 5u);
    long long wrong = 0;
    for (const auto& r : run.recs) wrong += r.flavour != flavour;
    EXPECT_EQ(wrong, 0) << "switches of the other flavour, of " << run.recs.size();
    // Either flavour: switch k has index k % 2 and (time info, or getSamplePosition inside
    // the switch where it answers) position k * B.
    long long answered = 0;
    for (std::size_t k = 0; k < run.recs.size(); ++k) {
        const auto& r = run.recs[k];
        ASSERT_EQ(r.index, static_cast<long>(k % 2)) << "switch " << k;
        if (r.flavour == Flavour::TimeInfo || r.spResult == ASE_OK) {
            ASSERT_EQ(r.position, static_cast<std::int64_t>(k) * 64) << "switch " << k;
            ++answered;
        }
    }
    EXPECT_GE(answered, static_cast<long long>(run.recs.size()) - 2);
}

TEST(CallbackFlavours, HostAnsweringTimeInfoOneGetsOnlyBufferSwitchTimeInfo) {
    const std::string name = addInstance("it-flavour-ti", kCatchUpAll);
    const FlavourRun run = runFlavour(name, HostOptions{});
    ASSERT_NO_FATAL_FAILURE(expectOnly(run, Flavour::TimeInfo));
    EXPECT_EQ(run.timeInfoQueries, 1);
}

TEST(CallbackFlavours, HostAnsweringTimeInfoZeroGetsOnlyBufferSwitch) {
    const std::string name = addInstance("it-flavour-plain", kCatchUpAll);
    HostOptions o;
    o.timeInfo = false;
    const FlavourRun run = runFlavour(name, o);
    ASSERT_NO_FATAL_FAILURE(expectOnly(run, Flavour::Plain));
    EXPECT_EQ(run.timeInfoQueries, 1) << "the driver must ask, and accept the 0";
}

TEST(CallbackFlavours, HostWithoutAsioMessageGetsOnlyBufferSwitch) {
    const std::string name = addInstance("it-flavour-nomsg", kCatchUpAll);
    HostOptions o;
    o.asioMessage = false;
    const FlavourRun run = runFlavour(name, o);
    ASSERT_NO_FATAL_FAILURE(expectOnly(run, Flavour::Plain));
    EXPECT_EQ(run.messagesTotal, 0);
}

TEST(CallbackFlavours, HostAnsweringOneWithoutTimeInfoCallbackGetsOnlyBufferSwitch) {
    // Said yes to time info but left bufferSwitchTimeInfo NULL: the driver must not call it.
    const std::string name = addInstance("it-flavour-nullti", kCatchUpAll);
    HostOptions o;
    o.timeInfoCallback = false;
    const FlavourRun run = runFlavour(name, o);
    ASSERT_NO_FATAL_FAILURE(expectOnly(run, Flavour::Plain));
}

// A plain-mode host (JUCE, RtAudio) time-stamps every block with getSamplePosition from
// inside bufferSwitch; it must answer in every switch, the first one included.
TEST(HostCalls, GetSamplePositionInsideEverySwitchFromTheFirst) {
    for (bool timeInfo : {false, true}) {
        SCOPED_TRACE(timeInfo ? "time-info host" : "plain host");
        const std::string name = addInstance(timeInfo ? "it-sp-ti" : "it-sp-plain", kCatchUpAll);
        for (int run = 0; run < 5; ++run) {
            HostOptions o;
            o.timeInfo = timeInfo;
            Host host(o);
            Driver d;
            ASSERT_NO_FATAL_FAILURE(stream(name, host, 64, 60, d));
            const auto recs = host.records();
            ASSERT_GT(recs.size(), 5u);
            // The last switch may overlap stop(): that case has its own test below.
            for (std::size_t k = 0; k + 1 < recs.size(); ++k) {
                ASSERT_EQ(recs[k].spResult, ASE_OK) << "run " << run << ", switch " << k << " of "
                                                    << recs.size() << ": " << d.errorMessage();
                ASSERT_EQ(recs[k].spPosition, static_cast<std::int64_t>(k) * 64);
            }
        }
    }
}

// A control thread (a UI, a sync engine) polls getSamplePosition while the stream runs:
// every answer is a whole (position, time) pair of some block, and never goes backwards.
TEST(HostCalls, GetSamplePositionFromAnotherThreadIsNeverTorn) {
    const std::string name = addInstance("it-sp-poll", kCatchUpAll);
    Host host;
    Driver d(name);
    ASSERT_EQ(d.init(), ASIOTrue) << d.errorMessage();
    ASSERT_EQ(host.createBuffers(d, 32), ASE_OK);
    ASSERT_EQ(d.start(), ASE_OK);
    ASSERT_TRUE(host.waitSwitches(2));
    // Busy polling for 300 ms; every distinct answer is kept.
    std::vector<std::pair<std::int64_t, std::int64_t>> seen;
    seen.reserve(1 << 16);
    long long calls = 0;
    const std::int64_t until = nowNs() + 300'000'000;
    while (nowNs() < until) {
        ASIOSamples pos = 0;
        ASIOTimeStamp t = 0;
        ASSERT_EQ(d.v().getSamplePosition(d.get(), &pos, &t), ASE_OK);
        ++calls;
        if (seen.empty() || seen.back() != std::make_pair<std::int64_t, std::int64_t>(pos, t))
            if (seen.size() < seen.capacity()) seen.emplace_back(pos, t);
    }
    ASSERT_EQ(d.stop(), ASE_OK);
    const auto recs = host.records();
    ASSERT_GT(recs.size(), 100u);
    std::int64_t last = -1;
    long long torn = 0;
    for (const auto& [pos, t] : seen) {
        ASSERT_GE(pos, last) << "the position went backwards";
        last = pos;
        ASSERT_EQ(pos % 32, 0);
        const auto k = static_cast<std::size_t>(pos / 32);
        ASSERT_LT(k, recs.size());
        torn += recs[k].systemTime != t;
    }
    EXPECT_GT(seen.size(), 100u);
    EXPECT_EQ(torn, 0) << "answers whose time belongs to another block, of " << seen.size()
                       << " distinct in " << calls << " calls";
}

struct LateCall {
    FoldbackDriver* driver = nullptr;
    std::atomic<int> calls{0}, failures{0};
};

// Takes 3 ms, then time-stamps the block the way a slow host would at the end.
void lateCallHook(Host&, const SwitchRecord&, void* context) {
    auto* c = static_cast<LateCall*>(context);
    sleepMs(3);
    ASIOSamples pos = 0;
    ASIOTimeStamp t = 0;
    if (c->driver->lpVtbl->getSamplePosition(c->driver, &pos, &t) != ASE_OK)
        c->failures.fetch_add(1);
    c->calls.fetch_add(1);
}

// A switch that is still running when the host calls stop() is a switch like any other:
// getSamplePosition answers inside it.
//
// Regression: ~Running cleared the running stream before joining the audio thread (fixed
// in 8eea7e8).
TEST(HostCalls, GetSamplePositionInsideASwitchThatOverlapsStop) {
    const std::string name = addInstance("it-sp-stop", kCatchUpAll);
    for (int run = 0; run < 5; ++run) {
        HostOptions o;
        o.timeInfo = false;
        Host host(o);
        Driver d(name);
        ASSERT_EQ(d.init(), ASIOTrue) << d.errorMessage();
        LateCall late;
        late.driver = d.get();
        host.setHook(&lateCallHook, &late);
        ASSERT_EQ(host.createBuffers(d, 64), ASE_OK);
        ASSERT_EQ(d.start(), ASE_OK);
        ASSERT_TRUE(host.waitSwitches(3));
        sleepMs(1);  // most likely inside the 3 ms of a switch
        ASSERT_EQ(d.stop(), ASE_OK);
        EXPECT_EQ(late.failures.load(), 0)
            << "run " << run << ": getSamplePosition failed inside " << late.failures.load()
            << " of " << late.calls.load() << " switches: " << d.errorMessage();
    }
}

}  // namespace
}  // namespace foldback::itest
