// RT-safety of the whole period path, checked by the interposer (tests/rtcheck): the kit
// opens a checked scope around each period, the host's callbacks included, so an
// allocation or lock anywhere in it kills the process.
//
//   StackOnlyHostPassesUnderTheInterposer   runs with LD_PRELOAD (set by ctest): two seconds
//        of streaming, with timing faults and a rate change, and a host that calls what
//        hosts call from inside the switch. Any violation aborts the process.
//   AllocatingHostIsCaught   the parent: runs this binary as a child host whose callback
//        allocates, under the interposer, and checks that it dies naming the allocation;
//        and the same child without the interposer, and a clean child, as controls.
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "host.hpp"

extern char** environ;

namespace foldback::itest {
namespace {

// ---- the host callbacks -----------------------------------------------------------------

struct Work {
    FoldbackDriver* driver = nullptr;
    bool allocate = false;
    long long allocateAfter = 10;
    std::atomic<long long> calls{0};
    std::atomic<long long> clipped{0};
};

// Through volatile pointers: the compiler may not drop the planted malloc/free pair.
void* (*volatile gAllocate)(std::size_t) = &std::malloc;
void (*volatile gRelease)(void*) = &std::free;

// Only stack work and calls a host makes from inside the switch (spec §13):
// getSamplePosition, getSampleRate, outputReady.
void stackHook(Host& host, const SwitchRecord& rec, void* context) {
    auto* w = static_cast<Work*>(context);
    const long B = host.bufferSize();
    float mix[1024];
    const long n = B < 1024 ? B : 1024;
    for (long f = 0; f < n; ++f) mix[f] = 0;
    for (long c = 0; c < 8; ++c)
        if (const auto* in = static_cast<const float*>(host.half(true, c, rec.index)))
            for (long f = 0; f < n; ++f) mix[f] += 0.5f * in[f];
    long long clipped = 0;
    for (long c = 0; c < 8; ++c)
        if (auto* out = static_cast<float*>(host.half(false, c, rec.index)))
            for (long f = 0; f < n; ++f) {
                const float s = mix[f] + 0.01f * static_cast<float>((rec.position + f) % 64);
                clipped += s > 1.0f;
                out[f] = s > 1.0f ? 1.0f : s;
            }
    if (w->driver) {
        ASIOSamples pos;
        ASIOTimeStamp t;
        ASIOSampleRate rate;
        (void)w->driver->lpVtbl->getSamplePosition(w->driver, &pos, &t);
        (void)w->driver->lpVtbl->getSampleRate(w->driver, &rate);
        (void)w->driver->lpVtbl->outputReady(w->driver);
    }
    w->clipped.fetch_add(clipped, std::memory_order_relaxed);
    const long long k = w->calls.fetch_add(1, std::memory_order_relaxed);
    if (w->allocate && k == w->allocateAfter) gRelease(gAllocate(64));
}

// ---- the child host ---------------------------------------------------------------------

int runChild(bool allocate) {
    const std::string name = addInstance("it-rt-child");
    Work work;
    work.allocate = allocate;
    Host host;
    Driver d(name);
    if (!d.ok() || d.nameResult() != ASE_SUCCESS || d.init() != ASIOTrue) {
        std::fprintf(stderr, "child: cannot open: %s\n", d.ok() ? d.errorMessage().c_str() : "");
        return 3;
    }
    work.driver = d.get();
    host.setHook(&stackHook, &work);
    if (host.createBuffers(d, 64) != ASE_OK || d.start() != ASE_OK) {
        std::fprintf(stderr, "child: cannot stream: %s\n", d.errorMessage().c_str());
        return 3;
    }
    if (!host.waitSwitches(5)) return 4;
    std::printf("child: streaming\n");
    std::fflush(stdout);
    host.waitSwitches(600, 2000);
    d.stop();
    std::printf("child: %lld switches, no violation caught\n", host.switches());
    return 0;
}

// ---- the in-process test ----------------------------------------------------------------

using ViolationsFn = long (*)();

TEST(RtSafety, StackOnlyHostPassesUnderTheInterposer) {
    const auto violations =
        reinterpret_cast<ViolationsFn>(dlsym(RTLD_DEFAULT, "foldback_rtcheck_violations"));
    ASSERT_NE(violations, nullptr)
        << "the RT-safety interposer is not preloaded: run through ctest (LD_PRELOAD)";
    const std::string name = addInstance("it-rt-clean");
    Work work;
    Host host;
    Driver d(name);
    ASSERT_EQ(d.nameResult(), ASE_SUCCESS);
    ASSERT_EQ(d.init(), ASIOTrue) << d.errorMessage();
    work.driver = d.get();
    host.attach(d);
    host.setHook(&stackHook, &work);
    ASSERT_EQ(host.createBuffers(d, 64), ASE_OK) << d.errorMessage();
    const std::int64_t t0 = nowNs();
    ASSERT_EQ(d.start(), ASE_OK) << d.errorMessage();
    // Every path of the period loop: plain periods, a late wake-up caught up, lost frames
    // (skip + resync), a rate change (sampleRateDidChange inside the period).
    sleepMs(500);
    EXPECT_EQ(d.fault(kFoldbackFaultLatePeriod, 8), ASE_SUCCESS);
    sleepMs(500);
    EXPECT_EQ(d.fault(kFoldbackFaultDropFrames, 200), ASE_SUCCESS);
    sleepMs(500);
    EXPECT_EQ(d.fault(kFoldbackFaultRateChange, 96000), ASE_SUCCESS);
    sleepMs(500);
    ASSERT_EQ(d.stop(), ASE_OK);
    const double seconds = static_cast<double>(nowNs() - t0) / 1e9;

    EXPECT_EQ(violations(), 0);
    // It really streamed, through all those paths, with the checked host callback.
    EXPECT_GE(host.switches(), static_cast<long long>(0.9 * seconds * 48000 / 64));
    EXPECT_EQ(work.calls.load(), host.switches());
    const FoldbackCounters c = d.counters();
    EXPECT_GE(c.latePeriods, 1);
    EXPECT_GE(c.skippedFrames, 256);
    EXPECT_EQ(host.rateChanges().size(), 1u);
}

// ---- the parent test --------------------------------------------------------------------

struct ChildResult {
    int status = -1;
    std::string out, err;
    bool timedOut = false;
};

std::string slurp(const std::string& path) {
    std::ifstream f(path);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

ChildResult runSelf(const std::string& mode, const char* preload) {
    ChildResult r;
    const std::string dir = sandbox();
    const std::string outPath = dir + "/child-" + mode + (preload ? "-rt" : "") + ".out";
    const std::string errPath = dir + "/child-" + mode + (preload ? "-rt" : "") + ".err";
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e)
        if (std::strncmp(*e, "LD_PRELOAD=", 11) != 0 &&
            std::strncmp(*e, "FOLDBACK_RTCHECK=", 17) != 0 &&
            std::strncmp(*e, "FOLDBACK_ITEST_SANDBOX=", 23) != 0)
            env.emplace_back(*e);
    if (preload) env.push_back(std::string("LD_PRELOAD=") + preload);
    env.push_back("FOLDBACK_ITEST_SANDBOX=" + dir);
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::string self = "/proc/self/exe", arg = "--child-host=" + mode;
    char* argv[] = {self.data(), arg.data(), nullptr};

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, outPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, errPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, "/proc/self/exe", &fa, nullptr, argv, envp.data());
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        r.err = std::string("posix_spawn: ") + std::strerror(rc);
        return r;
    }
    const std::int64_t until = nowNs() + 20'000'000'000LL;
    for (;;) {
        const pid_t w = waitpid(pid, &r.status, WNOHANG);
        if (w == pid) break;
        if (nowNs() > until) {
            r.timedOut = true;
            kill(pid, SIGKILL);
            waitpid(pid, &r.status, 0);
            break;
        }
        sleepMs(5);
    }
    r.out = slurp(outPath);
    r.err = slurp(errPath);
    return r;
}

std::string describe(const ChildResult& r) {
    std::ostringstream s;
    if (WIFEXITED(r.status)) s << "exit " << WEXITSTATUS(r.status);
    if (WIFSIGNALED(r.status)) s << "signal " << WTERMSIG(r.status);
    s << (r.timedOut ? " (timed out)" : "") << "\n--- stdout\n" << r.out << "--- stderr\n" << r.err;
    return s.str();
}

TEST(RtSafety, AllocatingHostIsCaught) {
    // The interposer's path comes from ctest (CMakeLists.txt); this test itself runs without.
    const char* lib = std::getenv("FOLDBACK_ITEST_RTCHECK_SO");
    if (!lib || !*lib) GTEST_SKIP() << "FOLDBACK_ITEST_RTCHECK_SO is not set: run through ctest";
    // Under the interposer the allocation inside the switch kills the child, named.
    const ChildResult caught = runSelf("alloc", lib);
    EXPECT_TRUE(WIFSIGNALED(caught.status) && WTERMSIG(caught.status) == SIGABRT)
        << describe(caught);
    EXPECT_NE(caught.out.find("child: streaming"), std::string::npos) << describe(caught);
    EXPECT_EQ(caught.out.find("no violation caught"), std::string::npos) << describe(caught);
    EXPECT_NE(caught.err.find("foldback-rtcheck: malloc(64) on the audio thread"),
              std::string::npos)
        << describe(caught);

    // Controls: without the interposer the same child runs to the end; with it, the child
    // that does not allocate runs to the end too.
    const ChildResult free = runSelf("alloc", nullptr);
    EXPECT_TRUE(WIFEXITED(free.status) && WEXITSTATUS(free.status) == 0) << describe(free);
    EXPECT_NE(free.out.find("no violation caught"), std::string::npos) << describe(free);
    const ChildResult clean = runSelf("clean", lib);
    EXPECT_TRUE(WIFEXITED(clean.status) && WEXITSTATUS(clean.status) == 0) << describe(clean);
    EXPECT_NE(clean.out.find("no violation caught"), std::string::npos) << describe(clean);
}

}  // namespace
}  // namespace foldback::itest

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--child-host=alloc") return foldback::itest::runChild(true);
        if (a == "--child-host=clean") return foldback::itest::runChild(false);
    }
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
