// The JACK driver on PipeWire's JACK implementation ([jack] library = pipewire-jack's
// libjack.so.0) against a private PipeWire (pipewire-up.sh: null sink and source, quantum
// 64, WirePlumber). PipeWire 0.3.65 differs from jackd2 where it matters here: a client's
// own out -> own in loop carries silence (the loop goes through the null sink's monitor
// instead, one quantum), and when the daemon dies only jack_on_shutdown is called.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>

#include "support.hpp"

namespace foldback::jacktest {
namespace {

const char* kPwJack = "/usr/lib/x86_64-linux-gnu/pipewire-0.3/jack/libjack.so.0";

std::string pwDir() {
    return "/tmp/foldback-jacktest-pw-" + std::to_string(::getpid());
}

bool pwUp() {
    int status = 0;
    const std::string out =
        run("PW_RIG_DIR='" + pwDir() + "' bash '" + rigsDir() + "/pipewire-up.sh' 2>/dev/null",
            &status);
    if (status != 0) return false;
    // "export PIPEWIRE_RUNTIME_DIR=... XDG_RUNTIME_DIR=... XDG_CONFIG_HOME=..."
    std::istringstream in(out);
    for (std::string word; in >> word;) {
        const auto eq = word.find('=');
        if (eq != std::string::npos)
            ::setenv(word.substr(0, eq).c_str(), word.substr(eq + 1).c_str(), 1);
    }
    return true;
}

void pwDown() {
    run("PW_RIG_DIR='" + pwDir() + "' bash '" + rigsDir() + "/pipewire-down.sh' >/dev/null 2>&1");
}

class PipewireJack : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!std::filesystem::exists(kPwJack) || run("command -v pipewire").empty())
            GTEST_SKIP() << "pipewire and pipewire-jack are not installed";
        (void)sandbox();
        ASSERT_TRUE(pwUp()) << "pipewire-up.sh failed";
        up_ = true;
    }
    void TearDown() override {
        if (up_) pwDown();
    }
    bool up_ = false;
};

const std::string kConfig = std::string("[jack]\nlibrary = \"") + kPwJack +
                            "\"\nconnect = [[\"Rig null sink:monitor_FL\", \"in_1\"]]\n";

TEST_F(PipewireJack, StreamsAndTheLoopThroughTheNullSinkIsOneQuantum) {
    Driver d(addInstance("jk-pw", kConfig));
    ASSERT_EQ(d.init(), ASIOTrue) << d.errorMessage();
    long mn = 0, mx = 0, pref = 0, gran = 0;
    ASSERT_EQ(d.bufferSize(mn, mx, pref, gran), ASE_OK);
    EXPECT_EQ(pref, 64);
    HostOptions o;
    o.loopOut = 0;  // auto-connected to the null sink's playback_FL
    o.loopIn = 0;
    o.impulseEvery = 12;
    Host h(o);
    ASSERT_EQ(h.createBuffers(d), ASE_OK) << d.errorMessage();
    ASSERT_EQ(d.start(), ASE_OK) << d.errorMessage();
    const std::int64_t until = nowNs() + 4'000'000'000LL;
    while (h.roundTrips().size() < 8 && nowNs() < until) sleepMs(10);
    ASSERT_EQ(d.stop(), ASE_OK);
    const auto trips = h.roundTrips();
    ASSERT_GE(trips.size(), 4u);
    for (long t : trips) EXPECT_EQ(t, 64) << "out -> null sink -> monitor -> in: one quantum";
    long in = -1, out = -1;
    ASSERT_EQ(d.latencies(in, out), ASE_OK);
    std::printf("pipewire-jack: round trip %ld frames, JACK's ranges in %ld out %ld\n", trips[0],
                in, out);
    const auto recs = h.records();
    long long badStamps = 0;
    for (std::size_t i = 1; i < recs.size(); ++i)
        badStamps += recs[i].systemTime <= recs[i - 1].systemTime;
    EXPECT_EQ(badStamps, 0);
}

TEST_F(PipewireJack, DaemonLossIsOneResetThroughThePlainShutdownCallbackAndANewInstanceWorksAfter) {
    const std::string name = addInstance("jk-pw-loss", kConfig);
    Driver d(name);
    Host h;
    ASSERT_EQ(d.init(), ASIOTrue) << d.errorMessage();
    ASSERT_EQ(h.createBuffers(d), ASE_OK) << d.errorMessage();
    ASSERT_EQ(d.start(), ASE_OK) << d.errorMessage();
    ASSERT_TRUE(h.waitSwitches(20));
    pwDown();
    up_ = false;
    const std::int64_t until = nowNs() + 3'000'000'000LL;
    while (h.messages(kAsioResetRequest) == 0 && nowNs() < until) sleepMs(5);
    EXPECT_EQ(h.messages(kAsioResetRequest), 1);
    long a = 0, b = 0;
    EXPECT_EQ(d.channels(a, b), ASE_NotPresent);
    EXPECT_NE(d.errorMessage().find("is gone"), std::string::npos) << d.errorMessage();
    EXPECT_EQ(d.stop(), ASE_OK);
    EXPECT_EQ(d.disposeBuffers(), ASE_OK);
    EXPECT_EQ(d.release(), 0);

    ASSERT_TRUE(pwUp());
    up_ = true;
    // The host's re-open: a new instance, as soon as the daemon answers.
    const std::int64_t openUntil = nowNs() + 5'000'000'000LL;
    std::unique_ptr<Driver> fresh;
    for (;;) {
        fresh = std::make_unique<Driver>(name);
        if (fresh->init() == ASIOTrue) break;
        ASSERT_LT(nowNs(), openUntil) << fresh->errorMessage();
        sleepMs(100);
    }
    Host h2;
    ASSERT_EQ(h2.createBuffers(*fresh), ASE_OK) << fresh->errorMessage();
    ASSERT_EQ(fresh->start(), ASE_OK) << fresh->errorMessage();
    EXPECT_TRUE(h2.waitSwitches(20));
    EXPECT_EQ(fresh->stop(), ASE_OK);
}

}  // namespace
}  // namespace foldback::jacktest
