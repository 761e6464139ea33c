// The tools' audio callbacks under the RT-safety interposer (tests/rtcheck): ctest runs
// this binary with LD_PRELOAD set and FOLDBACK_RTCHECK=count, so every `foldback` it
// starts inherits them: at exit the command prints how many allocations, frees, locks or
// waits happened inside a callback scope (and exits 86 when there were any). The line
// itself proves the scopes were entered, so the check cannot pass vacuously.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "support.hpp"

using namespace foldback::tooltest;

namespace {

void requireInterposer() {
    const char* pre = std::getenv("LD_PRELOAD");
    if (!pre || std::string(pre).find("foldback_rtcheck") == std::string::npos)
        GTEST_SKIP() << "run through ctest -L rtcheck (LD_PRELOAD=libfoldback_rtcheck.so)";
}

void expectClean(const CliResult& r, int status = 0) {
    EXPECT_EQ(r.status, status) << describe(r);
    EXPECT_NE(r.err.find("foldback-rtcheck: 0 violations on the audio thread"), std::string::npos)
        << r.err;
}

std::string instance() {
    static const std::string name =
        addInstance("rt", FOLDBACK_LOOPBACK_SO,
                    "[loopback]\ninputs = 4\noutputs = 4\n[kit]\nmax_late_periods = 1024\n");
    return name;
}

}  // namespace

TEST(RtCheck, RecordWhilePlayingWithGapsAndResampling) {
    requireInterposer();
    Audio a;
    a.channels = 2;
    a.rate = 44100;
    a.data.assign(2 * 44100, 0.25f);
    writeAudio(file("rt.wav"), a);
    // A tiny ring and a stalled disk: the overflow path runs too.
    const CliResult r = cli({"record",     instance(),
                             "-c",         "1-4",
                             "-o",         file("rt-take.wav"),
                             "--play",     file("rt.wav"),
                             "--to",       "1-2",
                             "--resample", "-b",
                             "32",         "--ring-seconds",
                             "0.05",       "--test-stall-ms",
                             "300",        "--test-stall-at",
                             "0.2",        "-q"});
    expectClean(r, 5);  // frames were lost, on purpose
}

TEST(RtCheck, Play) {
    requireInterposer();
    Audio a;
    a.channels = 1;
    a.rate = 48000;
    a.data.assign(24000, 0.1f);
    writeAudio(file("rt-mono.wav"), a);
    expectClean(cli({"play", instance(), file("rt-mono.wav"), "--to", "1-4", "-b", "32", "-q"}));
}

TEST(RtCheck, Monitor) {
    requireInterposer();
    expectClean(cli({"monitor", instance(), "--in", "1-2", "--out", "3-4", "-b", "32", "--seconds",
                     "1", "-q"}));
}

TEST(RtCheck, Latency) {
    requireInterposer();
    expectClean(cli({"latency", instance(), "-b", "32", "-n", "1"}));
}
