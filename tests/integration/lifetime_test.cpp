// Lifetimes, threads and status as a host relies on them: nothing calls back after stop,
// release or disposeBuffers; many cycles leave nothing behind; instances are independent;
// the audio thread comes from the host's creator; real-time status is reported truthfully.
#include <dirent.h>
#include <pthread.h>
#include <sched.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "host.hpp"
#include "probe.hpp"

namespace foldback::itest {
namespace {

void open(Driver& d, const std::string& name) {
    d = Driver(name);
    ASSERT_TRUE(d.ok());
    ASSERT_EQ(d.nameResult(), ASE_SUCCESS) << d.errorMessage();
    ASSERT_EQ(d.init(), ASIOTrue) << d.errorMessage();
}

// A host whose switch takes `ms` of wall time: a control call is likely to arrive while a
// callback runs.
void slowHook(Host&, const SwitchRecord&, void* ms) {
    sleepMs(*static_cast<double*>(ms));
}

int threadCount() {
    int n = 0;
    if (DIR* dir = opendir("/proc/self/task")) {
        while (dirent* e = readdir(dir)) n += e->d_name[0] != '.';
        closedir(dir);
    }
    return n;
}

// ---- stop / release / disposeBuffers ------------------------------------------------------

TEST(Lifetime, NoCallbackAfterStopReturns) {
    const std::string name = addInstance("it-life-stop");
    for (double slow : {0.0, 2.0}) {
        for (long B : {64L, 256L}) {
            SCOPED_TRACE("B=" + std::to_string(B) + " slow host " + std::to_string(slow) + " ms");
            Host host;
            Driver d;
            ASSERT_NO_FATAL_FAILURE(open(d, name));
            if (slow > 0) host.setHook(&slowHook, &slow);
            ASSERT_EQ(host.createBuffers(d, B), ASE_OK) << d.errorMessage();
            ASSERT_EQ(d.start(), ASE_OK);
            ASSERT_TRUE(host.waitSwitches(10));
            ASSERT_EQ(d.stop(), ASE_OK);
            EXPECT_FALSE(host.inCallback()) << "a callback still runs after stop() returned";
            const long long n = host.switches();
            const auto msgs = host.messageLog().size();
            sleepMs(std::max(5 * B * 1000.0 / 48000, 20.0) + 10);  // more than 5 periods
            EXPECT_EQ(host.switches(), n) << "switches after stop()";
            EXPECT_EQ(host.messageLog().size(), msgs) << "messages after stop()";
            EXPECT_EQ(d.stop(), ASE_OK) << "stop is idempotent";
            // Not running: the position is not advancing.
            ASIOSamples pos = 0;
            ASIOTimeStamp ts = 0;
            EXPECT_EQ(d.v().getSamplePosition(d.get(), &pos, &ts), ASE_SPNotAdvancing);
        }
    }
}

TEST(Lifetime, ReleaseWhileRunningReturnsPromptlyAndSilencesCallbacks) {
    const std::string name = addInstance("it-life-release");
    for (double slow : {0.0, 3.0}) {
        SCOPED_TRACE("slow host " + std::to_string(slow) + " ms");
        Host host;
        const int threadsBefore = threadCount();  // before the instance exists
        Driver d;
        ASSERT_NO_FATAL_FAILURE(open(d, name));
        if (slow > 0) host.setHook(&slowHook, &slow);
        ASSERT_EQ(host.createBuffers(d, 64), ASE_OK) << d.errorMessage();
        ASSERT_EQ(d.start(), ASE_OK);
        ASSERT_TRUE(host.waitSwitches(20));
        const std::int64_t t0 = nowNs();
        EXPECT_EQ(d.release(), 0) << "our reference was the last";
        const double ms = static_cast<double>(nowNs() - t0) / 1e6;
        EXPECT_LT(ms, 200) << "release() took " << ms << " ms";
        EXPECT_FALSE(host.inCallback()) << "a callback still runs after release() returned";
        const long long n = host.switches();
        sleepMs(30);
        EXPECT_EQ(host.switches(), n) << "switches after release()";
        EXPECT_EQ(threadCount(), threadsBefore) << "a driver thread outlived release()";
    }
}

TEST(Lifetime, DisposeBuffersWhileRunningStopsFirst) {
    const std::string name = addInstance("it-life-dispose", kCatchUpAll);
    Host host;
    Driver d;
    ASSERT_NO_FATAL_FAILURE(open(d, name));
    host.attach(d);
    double slow = 1.0;
    host.setHook(&slowHook, &slow);
    ASSERT_EQ(host.createBuffers(d, 64), ASE_OK);
    ASSERT_EQ(d.start(), ASE_OK);
    ASSERT_TRUE(host.waitSwitches(10));
    ASSERT_EQ(d.disposeBuffers(), ASE_OK) << d.errorMessage();
    EXPECT_FALSE(host.inCallback());
    const long long n = host.switches();
    sleepMs(30);
    EXPECT_EQ(host.switches(), n) << "switches after disposeBuffers()";
    // Back in the initialized state: no buffers to start, none to dispose.
    EXPECT_EQ(d.start(), ASE_InvalidMode);
    EXPECT_EQ(d.disposeBuffers(), ASE_InvalidMode);
    // And a new stream starts from the beginning.
    host.setHook(nullptr, nullptr);
    host.clear();
    ASSERT_EQ(host.createBuffers(d, 128), ASE_OK) << d.errorMessage();
    ASSERT_EQ(d.start(), ASE_OK);
    ASSERT_TRUE(host.waitSwitches(3));
    ASSERT_EQ(d.stop(), ASE_OK);
    EXPECT_EQ(host.record(0).index, 0);
    EXPECT_EQ(host.record(0).position, 0);
    EXPECT_EQ(host.record(1).position, 128);
}

TEST(Lifetime, FiftyCreateStartStopDisposeCycles) {
    const std::string name = addInstance("it-life-cycles", kCatchUpAll);
    Host host;
    const int threadsBefore = threadCount();  // before the instance exists
    Driver d;
    ASSERT_NO_FATAL_FAILURE(open(d, name));
    const int threadsOpen = threadCount();  // the instance's own (e.g. a config watcher)
    const long sizes[] = {32, 64, 96, 128, 256};
    for (int k = 0; k < 50; ++k) {
        SCOPED_TRACE("cycle " + std::to_string(k));
        const long B = sizes[k % 5];
        host.clear();
        ASSERT_EQ(host.createBuffers(d, B), ASE_OK) << d.errorMessage();
        ASSERT_EQ(d.counters().switches, 0) << "counters start at createBuffers";
        ASSERT_EQ(d.start(), ASE_OK) << d.errorMessage();
        ASSERT_TRUE(host.waitSwitches(3));
        ASSERT_EQ(d.stop(), ASE_OK);
        const auto recs = host.records();
        ASSERT_EQ(recs[0].index, 0);
        ASSERT_EQ(recs[0].position, 0);
        const Continuity c = continuity(recs, B);
        ASSERT_EQ(c.badIndex, 0);
        ASSERT_EQ(c.jumpedFrames, d.counters().skippedFrames);
        ASSERT_EQ(d.counters().switches, host.switches());
        ASSERT_EQ(d.disposeBuffers(), ASE_OK) << d.errorMessage();
    }
    EXPECT_EQ(threadCount(), threadsOpen) << "threads left behind by 50 cycles";
    EXPECT_EQ(d.release(), 0);
    EXPECT_EQ(threadCount(), threadsBefore) << "a driver thread outlived release()";
}

TEST(Lifetime, TwoInstancesStreamAtOnceIndependently) {
    // Different names, rates, sizes and delays; both stream for about a second in this
    // process, each exact on its own.
    const std::string a = addInstance("it-multi-a", "[loopback]\nrate = 48000\n");
    const std::string b = addInstance("it-multi-b",
                                      "[loopback]\nrate = 44100\ninputs = 2\noutputs = 2\n"
                                      "input_delay = 17\n");
    Host hostA, hostB;
    Driver da, db;
    ASSERT_NO_FATAL_FAILURE(open(da, a));
    ASSERT_NO_FATAL_FAILURE(open(db, b));
    ASSERT_EQ(hostA.createBuffers(da, 64), ASE_OK) << da.errorMessage();
    ASSERT_EQ(hostB.createBuffers(db, 256), ASE_OK) << db.errorMessage();
    long ia = 0, oa = 0, ib = 0, ob = 0;
    ASSERT_EQ(da.latencies(ia, oa), ASE_OK);
    ASSERT_EQ(db.latencies(ib, ob), ASE_OK);
    LoopProbe probeA(hostA, 8, 8, 48000);
    LoopProbe probeB(hostB, 2, 2, 44100);
    ASSERT_EQ(da.start(), ASE_OK);
    ASSERT_EQ(db.start(), ASE_OK);
    const bool doneA = probeA.waitComplete(4000);
    const bool doneB = probeB.waitComplete(4000);
    ASSERT_EQ(da.stop(), ASE_OK);
    ASSERT_EQ(db.stop(), ASE_OK);
    ASSERT_TRUE(doneA && doneB);

    for (long i = 0; i < 8; ++i) {
        const std::string p = probeA.verify(i, i, ia + oa);
        EXPECT_TRUE(p.empty()) << "instance a: " << p;
    }
    for (long i = 0; i < 2; ++i) {
        const std::string p = probeB.verify(i, i, ib + ob);
        EXPECT_TRUE(p.empty()) << "instance b: " << p;
    }
    EXPECT_EQ(ib + ob, 2 * 256 + 17);
    const auto ra = hostA.records(), rb = hostB.records();
    ASSERT_GT(ra.size(), 10u);
    ASSERT_GT(rb.size(), 10u);
    EXPECT_FALSE(pthread_equal(ra[1].thread, rb[1].thread)) << "one audio thread per instance";
    for (const auto& r : ra) ASSERT_EQ(r.sampleRate, 48000);
    for (const auto& r : rb) ASSERT_EQ(r.sampleRate, 44100);
    for (const auto& [recs, B, rate] :
         {std::tuple{&ra, 64L, 48000.0}, std::tuple{&rb, 256L, 44100.0}}) {
        const Continuity c = continuity(*recs, B);
        EXPECT_EQ(c.badIndex, 0);
        EXPECT_EQ(c.notWholeBuffers, 0);
        const auto& f = recs->front();
        const auto& l = recs->back();
        const double measured = static_cast<double>(l.position - f.position) * 1e9 /
                                static_cast<double>(l.systemTime - f.systemTime);
        // One second only, two streams on two shared cores: 1 %.
        EXPECT_NEAR(measured, rate, rate * 0.01);
    }
}

// ---- thread creator -----------------------------------------------------------------------

struct CreatorState {
    std::atomic<int> calls{0};
    std::atomic<int> wrongContext{0};
    pthread_t threads[16]{};
    int fail = 0;  // errno to return instead of creating
};

int countingCreate(void* context, pthread_t* thread, void* (*fn)(void*), void* arg) {
    auto* s = static_cast<CreatorState*>(context);
    if (!s) return EINVAL;
    const int k = s->calls.fetch_add(1);
    if (s->fail) return s->fail;
    const int rc = pthread_create(thread, nullptr, fn, arg);
    if (rc == 0 && k < 16) s->threads[k] = *thread;
    return rc;
}

TEST(ThreadCreator, AudioThreadComesFromTheHostsCreatorAndRunsTheCallbacks) {
    const std::string name = addInstance("it-creator");
    CreatorState state;
    const FoldbackThreadCreator creator{&countingCreate, &state};
    Host host;
    Driver d;
    ASSERT_NO_FATAL_FAILURE(open(d, name));
    ASSERT_EQ(d.future(kFoldbackSetThreadCreator, const_cast<FoldbackThreadCreator*>(&creator)),
              ASE_SUCCESS)
        << d.errorMessage();
    ASSERT_EQ(host.createBuffers(d, 64), ASE_OK);
    // Too late now: the stream's threads are planned.
    EXPECT_EQ(d.future(kFoldbackSetThreadCreator, const_cast<FoldbackThreadCreator*>(&creator)),
              ASE_InvalidMode);
    EXPECT_EQ(d.future(kFoldbackSetThreadCreator, nullptr), ASE_InvalidMode);

    for (int run = 0; run < 2; ++run) {
        SCOPED_TRACE("run " + std::to_string(run));
        host.clear();
        ASSERT_EQ(d.start(), ASE_OK) << d.errorMessage();
        ASSERT_TRUE(host.waitSwitches(10));
        ASSERT_EQ(d.stop(), ASE_OK);
        ASSERT_EQ(state.calls.load(), run + 1) << "one audio thread per start, through the creator";
        const auto recs = host.records();
        for (std::size_t i = 0; i < recs.size(); ++i)
            ASSERT_TRUE(pthread_equal(recs[i].thread, state.threads[run]))
                << "switch " << i << " ran on a thread the creator did not make";
    }
}

TEST(ThreadCreator, NullRestoresTheDefault) {
    const std::string name = addInstance("it-creator-null");
    CreatorState state;
    const FoldbackThreadCreator creator{&countingCreate, &state};
    Host host;
    Driver d;
    ASSERT_NO_FATAL_FAILURE(open(d, name));
    ASSERT_EQ(d.future(kFoldbackSetThreadCreator, const_cast<FoldbackThreadCreator*>(&creator)),
              ASE_SUCCESS);
    ASSERT_EQ(d.future(kFoldbackSetThreadCreator, nullptr), ASE_SUCCESS);
    ASSERT_EQ(host.createBuffers(d, 64), ASE_OK);
    ASSERT_EQ(d.start(), ASE_OK);
    ASSERT_TRUE(host.waitSwitches(5));
    ASSERT_EQ(d.stop(), ASE_OK);
    EXPECT_EQ(state.calls.load(), 0);
}

TEST(ThreadCreator, ACreatorThatFailsMakesStartFailReadably) {
    const std::string name = addInstance("it-creator-fail");
    CreatorState state;
    state.fail = EAGAIN;
    const FoldbackThreadCreator creator{&countingCreate, &state};
    Host host;
    Driver d;
    ASSERT_NO_FATAL_FAILURE(open(d, name));
    ASSERT_EQ(d.future(kFoldbackSetThreadCreator, const_cast<FoldbackThreadCreator*>(&creator)),
              ASE_SUCCESS);
    ASSERT_EQ(host.createBuffers(d, 64), ASE_OK);
    EXPECT_NE(d.start(), ASE_OK);
    const std::string msg = d.errorMessage();
    EXPECT_NE(msg.find("thread"), std::string::npos) << msg;
    EXPECT_NE(msg.find(std::strerror(EAGAIN)), std::string::npos) << msg;
    sleepMs(20);
    EXPECT_EQ(host.switches(), 0);
    EXPECT_EQ(d.stop(), ASE_OK);
    EXPECT_EQ(d.disposeBuffers(), ASE_OK);
}

// ---- status -------------------------------------------------------------------------------

// Can this process give a thread SCHED_FIFO at `priority`? (root with CAP_SYS_NICE, or an
// rtprio limit.) Tried on a scratch thread.
bool fifoAllowed(int priority) {
    bool ok = false;
    std::thread t([&] {
        sched_param p{};
        p.sched_priority = priority;
        ok = pthread_setschedparam(pthread_self(), SCHED_FIFO, &p) == 0;
    });
    t.join();
    return ok;
}

struct SchedSeen {
    std::atomic<int> policy{-1};
    std::atomic<int> priority{-1};
};

void schedHook(Host&, const SwitchRecord&, void* ctx) {
    auto* s = static_cast<SchedSeen*>(ctx);
    if (s->policy.load(std::memory_order_relaxed) != -1) return;
    int policy = 0;
    sched_param p{};
    pthread_getschedparam(pthread_self(), &policy, &p);
    s->priority.store(p.sched_priority);
    s->policy.store(policy);
}

struct StatusRun {
    FoldbackStatus status{};
    ASIOError result = 0;
    int policy = -1, priority = -1;
};

StatusRun runStatus(const std::string& name) {
    StatusRun out;
    SchedSeen seen;
    Host host;
    Driver d;
    open(d, name);
    host.setHook(&schedHook, &seen);
    EXPECT_EQ(host.createBuffers(d, 64), ASE_OK);
    EXPECT_EQ(d.start(), ASE_OK);
    EXPECT_TRUE(host.waitSwitches(3));
    std::memset(&out.status, 0x5a, sizeof out.status);
    out.result = d.status(out.status);
    EXPECT_EQ(d.stop(), ASE_OK);
    out.policy = seen.policy.load();
    out.priority = seen.priority.load();
    return out;
}

TEST(Status, RealTimeIsReportedTruthfully) {
    const std::string name = addInstance("it-status");
    const StatusRun r = runStatus(name);
    ASSERT_EQ(r.result, ASE_SUCCESS);
    ASSERT_NE(std::memchr(r.status.warning, 0, sizeof r.status.warning), nullptr);
    const std::string warning = r.status.warning;
    if (fifoAllowed(70)) {
        // Root (or rtprio allowed): the audio thread runs SCHED_FIFO at the default 70.
        EXPECT_EQ(r.status.realtime, 1) << "warning: " << warning;
        EXPECT_EQ(r.status.rtPriority, 70);
        EXPECT_TRUE(warning.empty()) << warning;
        EXPECT_EQ(r.policy, SCHED_FIFO) << "the callbacks' thread";
        EXPECT_EQ(r.priority, 70);
    } else {
        EXPECT_EQ(r.status.realtime, 0);
        EXPECT_FALSE(warning.empty()) << "no real-time scheduling must come with a warning";
        EXPECT_NE(warning.find("SCHED_FIFO"), std::string::npos) << warning;
        EXPECT_NE(r.policy, SCHED_FIFO);
    }
}

TEST(Status, ConfiguredPriorityIsUsed) {
    if (!fifoAllowed(42)) GTEST_SKIP() << "SCHED_FIFO is not allowed here";
    const std::string name = addInstance("it-status-prio", "[kit]\nrt_priority = 42\n");
    const StatusRun r = runStatus(name);
    ASSERT_EQ(r.result, ASE_SUCCESS);
    EXPECT_EQ(r.status.realtime, 1);
    EXPECT_EQ(r.status.rtPriority, 42);
    EXPECT_EQ(r.policy, SCHED_FIFO);
    EXPECT_EQ(r.priority, 42);
}

TEST(Status, RealTimeOffInConfigIsAWarning) {
    const std::string name = addInstance("it-status-off", "[kit]\nrealtime = false\n");
    const StatusRun r = runStatus(name);
    ASSERT_EQ(r.result, ASE_SUCCESS);
    EXPECT_EQ(r.status.realtime, 0);
    EXPECT_EQ(r.status.rtPriority, 0);
    EXPECT_FALSE(std::string(r.status.warning).empty());
    EXPECT_NE(r.policy, SCHED_FIFO);
}

}  // namespace
}  // namespace foldback::itest
