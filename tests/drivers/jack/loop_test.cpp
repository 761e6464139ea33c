// The loop test: a path whose delay is known on the rig. On jackd2 a connection from a
// client's own output to its own input returns after exactly one period (the input buffer
// is the previous cycle's output); jack_iodelay measures the same kind of path on its own
// client. The round trip a host measures through the driver must equal jack_iodelay's
// figure within 1 sample; uncalibrated, getLatencies must equal JACK's port latency ranges
// (read with jack_lsp, independently of the driver); with the measured offset stored in
// the instance's config, getLatencies must equal the measured round trip within 1 sample.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "support.hpp"

namespace foldback::jacktest {
namespace {

struct Ranges {
    long captureMax = 0;   // largest capture latency of the instance's input ports
    long playbackMax = 0;  // largest playback latency of its output ports
    int ports = 0;
};

// `jack_lsp -l CLIENT:`: each port, then its playback and capture ranges.
Ranges jackRanges(const std::string& client) {
    Ranges r;
    std::istringstream in(run("jack_lsp -l '" + client + ":'"));
    std::string line, port;
    while (std::getline(in, line)) {
        char kind[16] = {};
        long min = 0, max = 0;
        if (!line.empty() && line[0] != '\t' && line[0] != ' ') {
            port = line;
            ++r.ports;
        } else if (std::sscanf(line.c_str(), " port %15s latency = [ %ld %ld ]", kind, &min,
                               &max) == 3) {
            const bool isInput = port.find(":in_") != std::string::npos;
            if (std::string(kind) == "capture" && isInput)
                r.captureMax = std::max(r.captureMax, max);
            if (std::string(kind) == "playback" && !isInput)
                r.playbackMax = std::max(r.playbackMax, max);
        }
    }
    return r;
}

// Streams until `count` impulses came back from output 0 on input 0; their round trips.
std::vector<long> measure(Driver& d, long count) {
    HostOptions o;
    o.loopOut = 0;
    o.loopIn = 0;
    o.impulseEvery = 12;
    Host h(o);
    EXPECT_EQ(h.createBuffers(d), ASE_OK) << d.errorMessage();
    EXPECT_EQ(d.start(), ASE_OK) << d.errorMessage();
    const std::int64_t until = nowNs() + 5'000'000'000LL;
    while (static_cast<long>(h.roundTrips().size()) < count && nowNs() < until) sleepMs(10);
    EXPECT_EQ(d.stop(), ASE_OK);
    EXPECT_EQ(d.disposeBuffers(), ASE_OK);
    return h.roundTrips();
}

long median(std::vector<long> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? -1 : v[v.size() / 2];
}

TEST(JackLoop, RoundTripEqualsJackIodelayAndGetLatenciesIsJackThenCalibrated) {
    ASSERT_TRUE(startServer(64));
    const double iodelay = iodelayFrames(3.0);
    ASSERT_GT(iodelay, 0) << "jack_iodelay printed no figure";
    std::printf("jack_iodelay: %.3f frames\n", iodelay);

    // The default set-up (every channel auto-connected to the dummy's physical ports, whose
    // ranges are 64 capture and 128 playback frames), plus the loop own out_1 -> own in_1.
    const std::string loopConfig = "[jack]\nconnect = [[\"out_1\", \"in_1\"]]\n";
    const std::string name = addInstance("jk-loop", loopConfig);
    long measured = -1, reportedIn = -1, reportedOut = -1;
    {
        Driver d(name);
        ASSERT_EQ(d.init(), ASIOTrue) << d.errorMessage();
        long estIn = -1, estOut = -1;
        ASSERT_EQ(d.latencies(estIn, estOut), ASE_OK);  // before createBuffers: an estimate
        const auto trips = measure(d, 16);
        ASSERT_GE(trips.size(), 8u);
        measured = median(trips);
        for (long t : trips) EXPECT_EQ(t, measured) << "the round trip is not stable";
        std::printf("host round trip through the driver: %ld frames (%zu impulses)\n", measured,
                    trips.size());
        EXPECT_NEAR(static_cast<double>(measured), iodelay, 1.0);

        Host h;
        ASSERT_EQ(h.createBuffers(d), ASE_OK);
        ASSERT_EQ(d.latencies(reportedIn, reportedOut), ASE_OK);
        const Ranges jack = jackRanges("jk-loop");
        ASSERT_EQ(jack.ports, 16);
        std::printf(
            "uncalibrated getLatencies: in %ld out %ld; JACK ranges: capture %ld playback %ld\n",
            reportedIn, reportedOut, jack.captureMax, jack.playbackMax);
        EXPECT_EQ(reportedIn, jack.captureMax);
        EXPECT_EQ(reportedOut, jack.playbackMax);
        EXPECT_EQ(reportedIn, 64) << "the dummy's capture ports: one period";
        EXPECT_EQ(reportedOut, 128)
            << "the dummy's playback ports: two periods (asynchronous mode)";
        EXPECT_EQ(estIn, reportedIn) << "the estimate before createBuffers differs";
        EXPECT_EQ(estOut, reportedOut) << "the estimate before createBuffers differs";
        EXPECT_EQ(d.disposeBuffers(), ASE_OK);
    }

    // Calibration: the measured offset goes into the instance's config ([latency], as
    // `foldback latency --calibrate` writes it); each side stays >= 0.
    const long offset = measured - (reportedIn + reportedOut);
    const long outOffset = std::max(-reportedOut, offset);
    const long inOffset = offset - outOffset;
    addInstance(name, loopConfig + "[latency]\ninput_offset = " + std::to_string(inOffset) +
                          "\noutput_offset = " + std::to_string(outOffset) + "\n");
    Driver d(name);
    ASSERT_EQ(d.init(), ASIOTrue) << d.errorMessage();
    Host h;
    ASSERT_EQ(h.createBuffers(d), ASE_OK);
    long in = -1, out = -1;
    ASSERT_EQ(d.latencies(in, out), ASE_OK);
    EXPECT_EQ(d.disposeBuffers(), ASE_OK);
    std::printf("calibrated (offsets in %ld out %ld): getLatencies in %ld out %ld\n", inOffset,
                outOffset, in, out);
    EXPECT_NEAR(static_cast<double>(in + out), static_cast<double>(measured), 1.0);
    const auto again = measure(d, 8);
    ASSERT_GE(again.size(), 4u);
    EXPECT_NEAR(static_cast<double>(median(again)), static_cast<double>(in + out), 1.0);
}

}  // namespace
}  // namespace foldback::jacktest
