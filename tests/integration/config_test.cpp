// Settings changed while an instance is open (DESIGN.md §4): never hot-swapped into the
// stream; the host is asked for a reset, and the re-created instance reads the new file.
#include <gtest/gtest.h>

#include <string>

#include "host.hpp"

namespace foldback::itest {
namespace {

bool waitMessages(const Host& host, long selector, long long n, double timeoutMs) {
    const std::int64_t until = nowNs() + static_cast<std::int64_t>(timeoutMs * 1e6);
    while (host.messages(selector) < n) {
        if (nowNs() > until) return false;
        sleepMs(5);
    }
    return true;
}

TEST(ConfigChange, WhileRunningAsksForOneResetAndKeepsStreaming) {
    const std::string name = addInstance("it-config-run", "[loopback]\nbuffer_size = 128\n");
    Host host;
    Driver d(name);
    ASSERT_EQ(d.init(), ASIOTrue) << d.errorMessage();
    ASSERT_EQ(host.createBuffers(d, 64), ASE_OK);
    ASSERT_EQ(d.start(), ASE_OK);
    ASSERT_TRUE(host.waitSwitches(10));

    addInstance(name, "[loopback]\nbuffer_size = 512\ninput_delay = 9\n");
    EXPECT_TRUE(waitMessages(host, kAsioResetRequest, 1, 2000)) << "no reset request";
    const long long atReset = host.switches();
    sleepMs(100);
    // Not a hot swap: the stream goes on as created, latencies unchanged, one request only.
    EXPECT_GT(host.switches(), atReset) << "the stream stopped";
    long in = 0, out = 0;
    ASSERT_EQ(d.latencies(in, out), ASE_OK);
    EXPECT_EQ(in, 64);
    EXPECT_EQ(out, 64);
    ASSERT_EQ(d.stop(), ASE_OK);
    EXPECT_EQ(host.messages(kAsioResetRequest), 1);
    const Continuity c = continuity(host.records(), 64);
    EXPECT_EQ(c.badIndex, 0);
    EXPECT_EQ(c.jumpedFrames, d.counters().skippedFrames);

    // The host's reset: a new instance reads the new settings.
    ASSERT_EQ(d.disposeBuffers(), ASE_OK);
    d.release();
    Driver fresh(name);
    ASSERT_EQ(fresh.init(), ASIOTrue) << fresh.errorMessage();
    long mn = 0, mx = 0, pref = 0, gran = 0;
    ASSERT_EQ(fresh.v().getBufferSize(fresh.get(), &mn, &mx, &pref, &gran), ASE_OK);
    EXPECT_EQ(pref, 512);
    ASSERT_EQ(fresh.latencies(in, out), ASE_OK);
    EXPECT_EQ(in, 512 + 9);
}

// Regression: the watcher used to drop a change made while stopped (fixed in 9292a0a).
TEST(ConfigChange, WhilePreparedButStoppedIsNotLost) {
    // JUCE keeps its buffers between stop and start. A change made in between must still
    // reach the host: at the latest when the stream runs again.
    const std::string name = addInstance("it-config-stopped", "[loopback]\nbuffer_size = 128\n");
    Host host;
    Driver d(name);
    ASSERT_EQ(d.init(), ASIOTrue) << d.errorMessage();
    ASSERT_EQ(host.createBuffers(d, 64), ASE_OK);
    ASSERT_EQ(d.start(), ASE_OK);
    ASSERT_TRUE(host.waitSwitches(5));
    ASSERT_EQ(d.stop(), ASE_OK);
    addInstance(name, "[loopback]\nbuffer_size = 256\n");
    sleepMs(200);
    ASSERT_EQ(d.start(), ASE_OK);
    EXPECT_TRUE(waitMessages(host, kAsioResetRequest, 1, 1000))
        << "a settings change made while stopped never reached the host";
    ASSERT_EQ(d.stop(), ASE_OK);
}

TEST(ConfigChange, UnrelatedFilesDoNotAskForAReset) {
    const std::string name = addInstance("it-config-quiet");
    Host host;
    Driver d(name);
    ASSERT_EQ(d.init(), ASIOTrue) << d.errorMessage();
    ASSERT_EQ(host.createBuffers(d, 64), ASE_OK);
    ASSERT_EQ(d.start(), ASE_OK);
    ASSERT_TRUE(host.waitSwitches(5));
    // Another instance's settings change.
    addInstance("it-config-quiet-other", "[loopback]\nbuffer_size = 64\n");
    addInstance("it-config-quiet-other", "[loopback]\nbuffer_size = 96\n");
    sleepMs(300);
    ASSERT_EQ(d.stop(), ASE_OK);
    EXPECT_EQ(host.messages(kAsioResetRequest), 0);
}

}  // namespace
}  // namespace foldback::itest
