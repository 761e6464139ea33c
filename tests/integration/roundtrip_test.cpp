// Round trip through the loopback: what is played on output k comes back on the input that
// hears k exactly (input latency + output latency) frames later, bit for bit, in every
// sample type; converter delays, routing and latency calibration behave as configured.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "host.hpp"
#include "probe.hpp"

namespace foldback::itest {
namespace {

struct LoopCase {
    std::string type = "Float32LSB";
    long bufferSize = 64;
    long inputDelay = 0, outputDelay = 0;
    long inputs = 8, outputs = 8;
    std::vector<long> routing;        // empty: input i hears output i
    std::vector<long> activeOutputs;  // empty: every output
    std::string extraConfig;          // appended to the config (e.g. a [kit] table)
    int runs = 1;                     // start/stop cycles on the same buffers
    bool outputReady = false;         // the host calls outputReady after writing
    ASIOError outputReadyAnswer = ASE_OK;
};

ASIOSampleType typeCode(const std::string& name) {
    static const std::map<std::string, ASIOSampleType> types{
        {"Int16LSB", ASIOSTInt16LSB},     {"Int24LSB", ASIOSTInt24LSB},
        {"Int32LSB", ASIOSTInt32LSB},     {"Float32LSB", ASIOSTFloat32LSB},
        {"Float64LSB", ASIOSTFloat64LSB},
    };
    return types.at(name);
}

std::string configFor(const LoopCase& c) {
    std::ostringstream s;
    s << "[loopback]\ninputs = " << c.inputs << "\noutputs = " << c.outputs << "\nsample_type = \""
      << c.type << "\"\ninput_delay = " << c.inputDelay << "\noutput_delay = " << c.outputDelay
      << "\n";
    if (!c.routing.empty()) {
        s << "routing = [";
        for (std::size_t i = 0; i < c.routing.size(); ++i) s << (i ? ", " : "") << c.routing[i];
        s << "]\n";
    }
    s << c.extraConfig;
    return s.str();
}

std::string describe(const LoopCase& c) {
    std::ostringstream s;
    s << c.type << " B=" << c.bufferSize << " input_delay=" << c.inputDelay
      << " output_delay=" << c.outputDelay << " " << c.inputs << "x" << c.outputs;
    return s.str();
}

void runLoop(const std::string& name, const LoopCase& c) {
    SCOPED_TRACE(describe(c));
    addInstance(name, configFor(c));
    Host host;
    Driver d(name);
    ASSERT_TRUE(d.ok());
    ASSERT_EQ(d.nameResult(), ASE_SUCCESS) << d.errorMessage();
    ASSERT_EQ(d.init(), ASIOTrue) << d.errorMessage();

    // Every channel reports the configured type.
    for (int input = 0; input < 2; ++input)
        for (long ch = 0; ch < (input ? c.inputs : c.outputs); ++ch) {
            ASIOChannelInfo info{};
            info.channel = ch;
            info.isInput = input;
            ASSERT_EQ(d.v().getChannelInfo(d.get(), &info), ASE_OK) << d.errorMessage();
            ASSERT_EQ(info.type, typeCode(c.type)) << (input ? "input " : "output ") << ch;
        }

    std::vector<long> ins, outs = c.activeOutputs;
    for (long i = 0; i < c.inputs; ++i) ins.push_back(i);
    if (outs.empty())
        for (long o = 0; o < c.outputs; ++o) outs.push_back(o);
    ASSERT_EQ(host.createBuffers(d, c.bufferSize, ins, outs, false), ASE_OK) << d.errorMessage();
    ASSERT_EQ(host.sampleType(), typeCode(c.type));

    long inLat = -1, outLat = -1;
    ASSERT_EQ(d.latencies(inLat, outLat), ASE_OK) << d.errorMessage();
    // The loopback's documented model: one buffer plus the converter delay, each way.
    EXPECT_EQ(inLat, c.bufferSize + c.inputDelay);
    EXPECT_EQ(outLat, c.bufferSize + c.outputDelay);
    ASIOInternalBufferInfo internal{-1, -1};
    EXPECT_EQ(d.future(kAsioGetInternalBufferSamples, &internal), ASE_SUCCESS);
    EXPECT_EQ(internal.inputSamples, c.inputDelay);
    EXPECT_EQ(internal.outputSamples, c.outputDelay);
    const std::int64_t D = inLat + outLat;

    for (int run = 0; run < c.runs; ++run) {
        SCOPED_TRACE("run " + std::to_string(run));
        host.clear();
        LoopProbe probe(host, c.inputs, c.outputs, D + 6000);
        if (c.outputReady) probe.callOutputReady(d.get());
        ASSERT_EQ(d.start(), ASE_OK) << d.errorMessage();
        const bool complete = probe.waitComplete(5000);
        ASSERT_EQ(d.stop(), ASE_OK) << d.errorMessage();
        ASSERT_TRUE(complete) << "the stream did not reach position " << probe.frames();
        if (c.outputReady) {
            const long long calls = host.switches();
            EXPECT_EQ(probe.outputReadyFailures(), c.outputReadyAnswer == ASE_OK ? 0 : calls);
        }
        for (long i = 0; i < c.inputs; ++i) {
            long source = c.routing.empty() ? (i < c.outputs ? i : -1)
                                            : c.routing[static_cast<std::size_t>(i)];
            // An output the host did not activate plays silence.
            if (source >= 0 && std::find(outs.begin(), outs.end(), source) == outs.end())
                source = -1;
            SCOPED_TRACE("input " + std::to_string(i) + " hears output " + std::to_string(source));
            // Positions skipped after a late wake-up (routine without real-time
            // scheduling) are not checked; most must have been.
            EXPECT_GE(probe.delivered(i), probe.frames() / 2) << "too few positions delivered";
            if (source >= 0) {
                EXPECT_EQ(probe.measuredDelay(i), D) << "measured round trip vs getLatencies";
            } else {
                EXPECT_EQ(probe.firstSound(i), -1) << "input " << i << " should be silent";
            }
            const std::string problem = probe.verify(i, source, D);
            EXPECT_TRUE(problem.empty()) << problem;
        }
        host.setHook(nullptr, nullptr);
    }
}

TEST(RoundTrip, Float32AtBufferSizes16_32_256) {
    for (long B : {16L, 32L, 256L}) {
        LoopCase c;
        c.bufferSize = B;
        ASSERT_NO_FATAL_FAILURE(runLoop("it-rt-f32-" + std::to_string(B), c));
    }
}

TEST(RoundTrip, IntegerAndDoubleSampleTypes) {
    const std::vector<std::pair<std::string, long>> cases{
        {"Int16LSB", 32}, {"Int24LSB", 16}, {"Int32LSB", 256}, {"Float64LSB", 64}};
    for (const auto& [type, B] : cases) {
        LoopCase c;
        c.type = type;
        c.bufferSize = B;
        ASSERT_NO_FATAL_FAILURE(runLoop("it-rt-" + type, c));
    }
}

TEST(RoundTrip, ConverterDelaysAddToTheRoundTrip) {
    struct Delays {
        std::string type;
        long B, in, out;
    };
    const std::vector<Delays> cases{{"Float32LSB", 64, 37, 91},
                                    {"Int16LSB", 16, 5, 300},
                                    {"Int32LSB", 256, 1000, 0},
                                    {"Float32LSB", 32, 0, 1}};
    int n = 0;
    for (const auto& k : cases) {
        LoopCase c;
        c.type = k.type;
        c.bufferSize = k.B;
        c.inputDelay = k.in;
        c.outputDelay = k.out;
        ASSERT_NO_FATAL_FAILURE(runLoop("it-rt-delay-" + std::to_string(n++), c));
    }
}

TEST(RoundTrip, RoutingMovesThePathAndMinusOneIsSilent) {
    // Input 0 hears output 3, input 1 nothing, input 2 output 2 (which the host leaves
    // inactive: silence), input 3 output 0. Output 1 is played but heard by nobody.
    LoopCase c;
    c.inputs = 4;
    c.outputs = 4;
    c.routing = {3, -1, 2, 0};
    c.activeOutputs = {0, 1, 3};
    c.bufferSize = 32;
    ASSERT_NO_FATAL_FAILURE(runLoop("it-rt-route-f32", c));
    c.type = "Int16LSB";
    c.bufferSize = 64;
    c.inputDelay = 3;
    ASSERT_NO_FATAL_FAILURE(runLoop("it-rt-route-i16", c));
}

TEST(RoundTrip, RestartOnTheSameBuffersStartsSilentAndExact) {
    // Nothing of the previous run may come back in the next one; the delay stays exact.
    LoopCase c;
    c.bufferSize = 32;
    c.inputDelay = 7;
    c.runs = 3;
    ASSERT_NO_FATAL_FAILURE(runLoop("it-rt-restart", c));
}

TEST(RoundTrip, OutputReadyHostsKeepTheRoundTrip) {
    // outputReady after writing takes the output early; the path and delay are unchanged.
    LoopCase c;
    c.bufferSize = 64;
    c.outputReady = true;
    ASSERT_NO_FATAL_FAILURE(runLoop("it-rt-outready", c));
    // With [kit] output_ready = false the driver answers ASE_NotPresent, and a host that
    // calls it anyway (RtAudio) still gets the same round trip.
    c.extraConfig = "[kit]\noutput_ready = false\n";
    c.outputReadyAnswer = ASE_NotPresent;
    c.type = "Int32LSB";
    ASSERT_NO_FATAL_FAILURE(runLoop("it-rt-outready-off", c));
}

TEST(RoundTrip, MoreInputsThanOutputsHearSilenceByDefault) {
    LoopCase c;
    c.inputs = 4;
    c.outputs = 2;
    c.bufferSize = 48;
    ASSERT_NO_FATAL_FAILURE(runLoop("it-rt-4x2", c));
}

// ---- calibration ---------------------------------------------------------------------------

TEST(Calibration, LatencyOffsetsAreAddedToGetLatencies) {
    const std::string name = addInstance("it-calibrated",
                                         "[loopback]\nbuffer_size = 128\ninput_delay = 5\n"
                                         "output_delay = 11\n[latency]\ninput_offset = 7\n"
                                         "output_offset = -3\n");
    Host host;
    Driver d(name);
    ASSERT_EQ(d.nameResult(), ASE_SUCCESS) << d.errorMessage();
    ASSERT_EQ(d.init(), ASIOTrue) << d.errorMessage();
    long in = -1, out = -1;
    // Before createBuffers: the estimate at the preferred size.
    ASSERT_EQ(d.latencies(in, out), ASE_OK) << d.errorMessage();
    EXPECT_EQ(in, 128 + 5 + 7);
    EXPECT_EQ(out, 128 + 11 - 3);
    // Prepared: exact, at the created size.
    ASSERT_EQ(host.createBuffers(d, 64), ASE_OK) << d.errorMessage();
    ASSERT_EQ(d.latencies(in, out), ASE_OK) << d.errorMessage();
    EXPECT_EQ(in, 64 + 5 + 7);
    EXPECT_EQ(out, 64 + 11 - 3);
    // Running: unchanged.
    ASSERT_EQ(d.start(), ASE_OK) << d.errorMessage();
    ASSERT_TRUE(host.waitSwitches(2));
    ASSERT_EQ(d.latencies(in, out), ASE_OK) << d.errorMessage();
    EXPECT_EQ(in, 64 + 5 + 7);
    EXPECT_EQ(out, 64 + 11 - 3);
    EXPECT_EQ(d.stop(), ASE_OK);

    // The same instance without calibration reports the plain model: the offsets are
    // what made the difference.
    addInstance("it-uncalibrated",
                "[loopback]\nbuffer_size = 128\ninput_delay = 5\n"
                "output_delay = 11\n");
    Driver plain("it-uncalibrated");
    ASSERT_EQ(plain.init(), ASIOTrue) << plain.errorMessage();
    ASSERT_EQ(plain.latencies(in, out), ASE_OK);
    EXPECT_EQ(in, 128 + 5);
    EXPECT_EQ(out, 128 + 11);
}

TEST(Calibration, ANegativeOffsetNeverMakesALatencyNegative) {
    const std::string name =
        addInstance("it-calibrated-neg", "[latency]\ninput_offset = -100000\noutput_offset = 2\n");
    Driver d(name);
    ASSERT_EQ(d.init(), ASIOTrue) << d.errorMessage();
    long in = -1, out = -1;
    ASSERT_EQ(d.latencies(in, out), ASE_OK);
    EXPECT_EQ(in, 0);
    EXPECT_EQ(out, 256 + 2);
}

TEST(Calibration, AMalformedOffsetFailsInitWithAReadableMessage) {
    const std::string name = addInstance("it-calibrated-bad", "[latency]\ninput_offset = \"x\"\n");
    Driver d(name);
    ASSERT_EQ(d.nameResult(), ASE_SUCCESS);
    EXPECT_EQ(d.init(), ASIOFalse);
    const std::string msg = d.errorMessage();
    EXPECT_NE(msg.find("input_offset"), std::string::npos) << msg;
}

}  // namespace
}  // namespace foldback::itest
