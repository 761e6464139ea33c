// Server restarts mid-stream, 20 times: the host gets exactly one kAsioResetRequest, does
// what a reset asks (stop, disposeBuffers, release), re-opens once the server is back and
// streams again. No crash; no thread or descriptor left behind per cycle; no leak under
// ASan (LeakSanitizer checks at exit). Every fourth server dies by SIGKILL (socket closed
// without a goodbye), the others by SIGTERM.
#include <dirent.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>

#include "support.hpp"

namespace foldback::jacktest {
namespace {

int countEntries(const char* dir) {
    int n = 0;
    if (DIR* d = opendir(dir)) {
        while (readdir(d)) ++n;
        closedir(d);
    }
    return n;
}

void killServer(bool hard) {
    if (!hard) {
        stopServer();
        return;
    }
    const std::string state = std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") +
                              "/foldback-rigs/jack/jackd-" + serverName() + ".pid";
    // jackd refuses to start while the registry names a PID that exists, and a killed
    // jackd that is not our child stays a zombie until PID 1 reaps it: wait for that.
    run("p=$(cat '" + state + "'); kill -KILL $p 2>/dev/null; for i in $(seq 1 200); do "
        "[ -e /proc/$p ] || break; sleep 0.025; done");
    stopServer();  // the PID is gone: jack-down only forgets it
    // What a SIGKILLed jackd leaves behind: only this server's socket and semaphores.
    run("rm -f /dev/shm/jack_" + serverName() + "_$(id -u)_0 /dev/shm/jack_sem.$(id -u)_" + serverName() + "_*");
}

struct Stream {
    std::unique_ptr<Driver> driver;
    std::unique_ptr<Host> host;
};

// Opens the instance and streams; retries init for a while (a real host would, too).
bool open(Stream& s, const std::string& name) {
    const std::int64_t until = nowNs() + 5'000'000'000LL;
    for (;;) {
        s.driver = std::make_unique<Driver>(name);
        if (s.driver->init() == ASIOTrue) break;
        if (nowNs() > until) {
            ADD_FAILURE() << "init after the restart: " << s.driver->errorMessage();
            return false;
        }
        s.driver.reset();
        sleepMs(50);
    }
    s.host = std::make_unique<Host>();
    if (s.host->createBuffers(*s.driver) != ASE_OK) {
        ADD_FAILURE() << "createBuffers: " << s.driver->errorMessage();
        return false;
    }
    if (s.driver->start() != ASE_OK) {
        ADD_FAILURE() << "start: " << s.driver->errorMessage();
        return false;
    }
    if (!s.host->waitSwitches(20, 3000)) {
        ADD_FAILURE() << "no switches after re-opening";
        return false;
    }
    return true;
}

TEST(JackRestart, TwentyServerRestartsMidStreamEachAResetAndAReopen) {
    ASSERT_TRUE(startServer(64));
    const std::string name = addInstance("jk-restart");
    Stream s;
    ASSERT_TRUE(open(s, name));
    // Threads and descriptors once libjack has settled (its first client made them).
    s.driver->stop();
    s.driver->disposeBuffers();
    s.driver->release();
    s.host.reset();
    ASSERT_TRUE(open(s, name));
    const int threads0 = countEntries("/proc/self/task");
    const int fds0 = countEntries("/proc/self/fd");

    constexpr int kCycles = 20;
    int resets = 0, reopened = 0;
    for (int cycle = 0; cycle < kCycles; ++cycle) {
        SCOPED_TRACE("cycle " + std::to_string(cycle));
        killServer(cycle % 4 == 3);
        const std::int64_t until = nowNs() + 3'000'000'000LL;
        while (s.host->messages(kAsioResetRequest) == 0 && nowNs() < until) sleepMs(5);
        ASSERT_EQ(s.host->messages(kAsioResetRequest), 1) << "the host was not asked to reset";
        ++resets;
        const long long before = s.host->switches();
        sleepMs(20);
        EXPECT_EQ(s.host->switches(), before) << "switches after the server died";
        // The reset, as spec §10.1 has it.
        EXPECT_EQ(s.driver->stop(), ASE_OK);
        EXPECT_EQ(s.driver->disposeBuffers(), ASE_OK);
        EXPECT_EQ(s.driver->release(), 0);
        s.driver.reset();
        s.host.reset();
        ASSERT_TRUE(startServer(64));
        ASSERT_TRUE(open(s, name));
        ++reopened;
        EXPECT_EQ(s.host->messages(kAsioResetRequest), 0);
    }
    std::printf("restarts: %d resets received, %d re-opened and streaming\n", resets, reopened);
    EXPECT_EQ(resets, kCycles);
    EXPECT_EQ(reopened, kCycles);
    // Nothing accumulates per cycle (a little slack for libjack's own lazily made things).
    EXPECT_LE(countEntries("/proc/self/task"), threads0 + 1);
    EXPECT_LE(countEntries("/proc/self/fd"), fds0 + 2);
    EXPECT_EQ(s.driver->stop(), ASE_OK);
}

}  // namespace
}  // namespace foldback::jacktest
