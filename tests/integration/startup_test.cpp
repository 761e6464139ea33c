// The first switch when the audio thread is slow to get going (routine without real-time
// scheduling on a loaded machine): it is still index 0 at position 0, with no resync.
//
// To make the late start deterministic, this binary interposes clock_nanosleep (the
// loopback's timer thread calls it through the PLT; ENABLE_EXPORTS makes this definition
// visible to the dlopened driver) and delays the first absolute sleep of a thread other
// than the one that armed the delay: the timer thread's sleep to the deadline of period 0.
#include <dlfcn.h>
#include <pthread.h>
#include <time.h>

#include <gtest/gtest.h>

#include <atomic>
#include <string>

#include "host.hpp"

namespace {

std::atomic<long long> gDelayNs{0};
std::atomic<int> gDelayed{0};
pthread_t gArmer{};

using ClockNanosleepFn = int (*)(clockid_t, int, const struct timespec*, struct timespec*);

ClockNanosleepFn realClockNanosleep() {
    static const auto fn = reinterpret_cast<ClockNanosleepFn>(dlsym(RTLD_NEXT, "clock_nanosleep"));
    return fn;
}

void armStartDelay(long long ns) {
    gArmer = pthread_self();
    gDelayed.store(0);
    gDelayNs.store(ns);
}

}  // namespace

extern "C" __attribute__((visibility("default"))) int clock_nanosleep(clockid_t clock, int flags,
                                                                      const struct timespec* req,
                                                                      struct timespec* rem) {
    const int rc = realClockNanosleep()(clock, flags, req, rem);
    if (rc == 0 && (flags & TIMER_ABSTIME) && gDelayNs.load() > 0 &&
        !pthread_equal(pthread_self(), gArmer)) {
        const long long ns = gDelayNs.exchange(0);
        if (ns > 0) {
            struct timespec extra {
                static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)
            };
            realClockNanosleep()(CLOCK_MONOTONIC, 0, &extra, nullptr);
            gDelayed.fetch_add(1);
        }
    }
    return rc;
}

namespace foldback::itest {
namespace {

struct StartRun {
    std::vector<SwitchRecord> recs;
    std::vector<MessageRecord> log;
    FoldbackCounters counters{};
    int delayed = 0;
    std::int64_t startNs = 0;  // just before start()
};

StartRun startLate(const std::string& name, long long delayMs) {
    StartRun r;
    Host host;
    Driver d(name);
    EXPECT_EQ(d.init(), ASIOTrue) << d.errorMessage();
    EXPECT_EQ(host.createBuffers(d, 64), ASE_OK) << d.errorMessage();
    armStartDelay(delayMs * 1'000'000);
    r.startNs = nowNs();
    EXPECT_EQ(d.start(), ASE_OK) << d.errorMessage();
    EXPECT_TRUE(host.waitSwitches(40));
    EXPECT_EQ(d.stop(), ASE_OK);
    gDelayNs.store(0);
    r.recs = host.records();
    r.log = host.messageLog();
    r.counters = d.counters();
    r.delayed = gDelayed.load();
    return r;
}

TEST(Startup, ALateFirstWakeWithUnlimitedCatchUpStartsAtPositionZero) {
    // Control: with catch-up unlimited nothing is ever skipped, so the first switch is
    // position 0 however late the thread gets going. Also proves the delay lands before the
    // first switch.
    const StartRun r = startLate(addInstance("it-start-catchup", kCatchUpAll), 20);
    ASSERT_EQ(r.delayed, 1) << "the interposed clock_nanosleep did not delay the timer thread";
    ASSERT_GT(r.recs.size(), 20u);
    EXPECT_GE(r.recs[0].wallNs - r.startNs, 19'000'000) << "the first switch was not delayed";
    EXPECT_EQ(r.recs[0].index, 0);
    EXPECT_EQ(r.recs[0].position, 0);
    EXPECT_EQ(continuity(r.recs, 64).jumps, 0);
    EXPECT_EQ(r.counters.resyncs, 0);
}

// Regression: a late first wake-up was treated as late periods and skipped before the
// first switch (fixed in 8eea7e8).
TEST(Startup, ALateFirstWakeStillStartsAtPositionZero) {
    const StartRun r = startLate(addInstance("it-start-default"), 20);
    ASSERT_EQ(r.delayed, 1) << "the interposed clock_nanosleep did not delay the timer thread";
    ASSERT_GT(r.recs.size(), 20u);
    EXPECT_EQ(r.recs[0].index, 0);
    EXPECT_EQ(r.recs[0].position, 0) << "first switch";
    for (const auto& m : r.log) {
        if (m.switchesBefore == 0) {
            EXPECT_NE(m.selector, kAsioResyncRequest) << "a resync before the first switch";
        }
    }
}

}  // namespace
}  // namespace foldback::itest
