// The latency, record, play and monitor commands as a user runs them: the `foldback`
// executable against instances of the loopback and file drivers in a private registry.
// What is asserted is what a user would notice: the numbers printed, the files written,
// the exit status and the words that say what to do.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "support.hpp"

using namespace foldback::tooltest;
namespace fs = std::filesystem;

#ifndef FOLDBACK_LOOPBACK_SO
#error "FOLDBACK_LOOPBACK_SO must name the loopback driver"
#endif
#ifndef FOLDBACK_FILE_SO
#error "FOLDBACK_FILE_SO must name the file driver"
#endif

// ---- latency ---------------------------------------------------------------------------------

class LatencyAt : public ::testing::TestWithParam<long> {};

TEST_P(LatencyAt, MeasuredEqualsReportedWithinATenthOfAFrame) {
    const long b = GetParam();
    const auto name = loopback("lat" + std::to_string(b));
    const CliResult r = cli({"latency", name, "-b", std::to_string(b), "-n", "3", "--json"});
    ASSERT_EQ(r.status, 0) << describe(r);
    const Json j = json(r);
    EXPECT_EQ(j["reported"]["total"].integer(), 2 * b);
    ASSERT_EQ(j["repeats"].size(), 3u);
    for (const auto& rep : j["repeats"].array) EXPECT_NEAR(rep.num(), 2.0 * b, 0.1);
    EXPECT_NEAR(j["difference"].num(), 0.0, 0.1);
    EXPECT_TRUE(j["ok"].boolean);
}

INSTANTIATE_TEST_SUITE_P(Sizes, LatencyAt, ::testing::Values(16L, 32L, 256L),
                         [](const auto& p) { return std::to_string(p.param) + "frames"; });

TEST(Latency, ConverterDelaysAreMeasuredToo) {
    const auto name = loopback("latdelay", 8, "input_delay = 7\noutput_delay = 13\n");
    const CliResult r =
        cli({"latency", name, "-b", "64", "-n", "3", "--in", "3", "--out", "3", "--json"});
    ASSERT_EQ(r.status, 0) << describe(r);
    const Json j = json(r);
    EXPECT_EQ(j["reported"]["input"].integer(), 64 + 7);
    EXPECT_EQ(j["reported"]["output"].integer(), 64 + 13);
    for (const auto& rep : j["repeats"].array) EXPECT_NEAR(rep.num(), 148.0, 0.1);
    EXPECT_EQ(j["input_channel"].integer(), 3);
}

TEST(Latency, SixteenBitLoopStillWithinATenth) {
    const auto name = loopback("lat16bit", 2, "sample_type = \"Int16LSB\"\n");
    const CliResult r = cli({"latency", name, "-b", "128", "-n", "2", "--json"});
    ASSERT_EQ(r.status, 0) << describe(r);
    const Json j = json(r);
    for (const auto& rep : j["repeats"].array) EXPECT_NEAR(rep.num(), 256.0, 0.1);
}

TEST(Latency, TextReportSaysMeasuredReportedAndDifference) {
    const auto name = loopback("lattext");
    const CliResult r = cli({"latency", name, "-b", "32", "-n", "2"});
    ASSERT_EQ(r.status, 0) << describe(r);
    EXPECT_NE(r.out.find("measured   64.000 frames = 1.333 ms"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("reported   64 frames = 1.333 ms (input 32 + output 32)"),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("difference +0.000 frames"), std::string::npos) << r.out;
}

TEST(Latency, CalibrateStoresTheOffsetAndInfoShowsIt) {
    // Stale offsets: the instance reports 9 frames more than its loop really takes.
    const auto name = loopback("latcal", 8, "\n[latency]\ninput_offset = 5\noutput_offset = 4\n");
    CliResult r = cli({"latency", name, "-b", "32", "-n", "2", "--json"});
    ASSERT_EQ(r.status, 1) << "a 9-frame misreport must fail the check\n" << describe(r);
    EXPECT_NEAR(json(r)["difference"].num(), -9.0, 0.1);
    EXPECT_NE(r.err.find("--calibrate"), std::string::npos) << r.err;

    r = cli({"latency", name, "-b", "32", "-n", "2", "--calibrate", "--json"});
    ASSERT_EQ(r.status, 0) << describe(r);
    Json j = json(r);
    EXPECT_EQ(j["calibration"]["previous_input_offset"].integer(), 5);
    EXPECT_EQ(j["calibration"]["input_offset"].integer(), 0);
    EXPECT_EQ(j["calibration"]["output_offset"].integer(), 0);
    EXPECT_EQ(j["calibration"]["reported_after"]["total"].integer(), 64);
    const std::string config = j["calibration"]["config"].str();
    EXPECT_NE(slurp(config).find("input_offset = 0"), std::string::npos) << slurp(config);

    r = cli({"info", name, "--json"});
    ASSERT_EQ(r.status, 0) << describe(r);
    j = json(r);
    EXPECT_EQ(j["latency"]["input_offset"].integer(), 0);
    EXPECT_EQ(j["latency"]["output_offset"].integer(), 0);
    EXPECT_EQ(j["latency"]["input"].integer(), 256);  // at the preferred size, no offset left

    // Calibrating again changes nothing (the stored offsets are accounted for).
    r = cli({"latency", name, "-b", "32", "-n", "2", "--calibrate", "--json"});
    ASSERT_EQ(r.status, 0) << describe(r);
    EXPECT_EQ(json(r)["calibration"]["input_offset"].integer(), 0);
    EXPECT_EQ(json(r)["calibration"]["output_offset"].integer(), 0);

    // A split on one side only, then info prints it.
    addInstance("latcal2", FOLDBACK_LOOPBACK_SO,
                "[latency]\ninput_offset = -3\n[kit]\nmax_late_periods = 1024\n");
    r = cli({"latency", "latcal2", "-b", "32", "-n", "2", "--calibrate", "--split", "output"});
    ASSERT_EQ(r.status, 0) << describe(r);
    EXPECT_NE(r.out.find("calibrated: [latency] input_offset = 0, output_offset = 0 (were -3 / 0)"),
              std::string::npos)
        << r.out;
    r = cli({"info", "latcal2"});
    EXPECT_NE(r.out.find("latency     input 256 + output 256 frames"), std::string::npos) << r.out;
}

TEST(Latency, PlotsAreWrittenAsSvgAndPng) {
    const auto name = loopback("latplot");
    const std::string svg = file("loop.svg"), png = file("loop.png");
    CliResult r = cli({"latency", name, "-b", "32", "-n", "3", "--plot", svg});
    ASSERT_EQ(r.status, 0) << describe(r);
    const std::string s = slurp(svg);
    EXPECT_NE(s.find("<svg"), std::string::npos);
    EXPECT_GT(s.size(), 10000u);
    r = cli({"latency", name, "-b", "32", "-n", "3", "--plot", png});
    ASSERT_EQ(r.status, 0) << describe(r);
    const std::string p = slurp(png);
    ASSERT_GT(p.size(), 8u);
    EXPECT_EQ(p.substr(1, 3), "PNG");
    r = cli({"latency", name, "-b", "32", "-n", "1", "--plot", file("loop.bmp")});
    EXPECT_EQ(r.status, 4) << describe(r);
    EXPECT_NE(r.err.find(".svg or .png"), std::string::npos) << r.err;
}

TEST(Latency, NoLoopFailsAndSaysWhatToCheck) {
    const auto name = loopback("latnoloop", 2, "routing = [-1, -1]\n");
    const CliResult r = cli({"latency", name, "-b", "64", "-n", "1"});
    EXPECT_EQ(r.status, 1) << describe(r);
    EXPECT_NE(r.err.find("no signal came back"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("routing"), std::string::npos) << r.err;
}

// ---- record --------------------------------------------------------------------------------

TEST(Record, DiskStallWithinTheRingLosesNothing) {
    const auto name = loopback("recstall", 2);
    const std::string src = file("counter2.wav"), take = file("stall-ok.wav");
    writeCounterFile(src, 2, 5 * 48000, 48000, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
    // The disk stops for 0.8 s at 1 s; the ring holds 2 s.
    const CliResult r =
        cli({"record", name, "-c", "1-2", "-o", take, "--play", src, "-b", "64", "--ring-seconds",
             "2", "--test-stall-ms", "800", "--test-stall-at", "1", "--json"});
    ASSERT_EQ(r.status, 0) << describe(r);
    const Json j = json(r);
    EXPECT_EQ(j["lost_frames"].integer(), 0);
    // The ring really held the stall (at least 0.6 s of it; the disk thread may start late).
    EXPECT_GE(j["record"]["ring_max_fill"].integer(), static_cast<long long>(0.6 * 48000)) << r.out;
    const std::int64_t rt = j["latency"]["input"].integer() + j["latency"]["output"].integer();
    EXPECT_EQ(compareDelayed(readAudio(take), readAudio(src), rt), 0);
}

TEST(Record, OverflowIsReportedExactlyAndTheFileKeepsItsTimeline) {
    const auto name = loopback("recover", 2);
    const std::string src = file("counter2b.wav"), take = file("stall-lost.wav");
    writeCounterFile(src, 2, 4 * 48000, 48000, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
    // The disk stops for 1.5 s; the ring holds 0.25 s: about 1.25 s must be lost.
    const CliResult r =
        cli({"record", name, "-c", "1-2", "-o", take, "--play", src, "-b", "64", "--ring-seconds",
             "0.25", "--test-stall-ms", "1500", "--test-stall-at", "1", "--json"});
    ASSERT_EQ(r.status, 5) << describe(r);
    const Json j = json(r);
    const std::int64_t rt = j["latency"]["input"].integer() + j["latency"]["output"].integer();
    const std::int64_t lost = j["lost_frames"].integer();
    EXPECT_GT(lost, static_cast<std::int64_t>(0.9 * 48000));
    EXPECT_LT(lost, static_cast<std::int64_t>(1.5 * 48000));
    EXPECT_EQ(j["lost"]["ring_overflow"].integer(), lost);
    std::vector<std::pair<std::int64_t, std::int64_t>> gaps;
    std::int64_t sum = 0;
    for (const auto& g : j["gaps"].array) {
        EXPECT_EQ(g["cause"].str(), "ring overflow");
        gaps.emplace_back(g["position"].integer(), g["frames"].integer());
        sum += g["frames"].integer();
        // stderr names each gap with its exact range.
        const std::string line = "ring overflow: " + std::to_string(g["frames"].integer()) +
                                 " frames lost at " + std::to_string(g["position"].integer()) +
                                 "..";
        EXPECT_NE(r.err.find(line), std::string::npos) << line << "\n" << r.err;
    }
    EXPECT_EQ(sum, lost);
    EXPECT_NE(r.err.find("raise --ring-seconds"), std::string::npos) << r.err;
    // The file: full length, the counter everywhere except silence exactly in the gaps.
    const Audio rec = readAudio(take);
    EXPECT_EQ(rec.frames, j["frames"].integer());
    EXPECT_EQ(rec.frames, 4 * 48000 + rt);
    EXPECT_EQ(compareDelayed(rec, readAudio(src), rt, gaps), 0);
    // The sidecar holds the same list.
    const Json side = Json::parse(slurp(take + ".json"));
    ASSERT_EQ(side["gaps"].size(), gaps.size());
    for (std::size_t i = 0; i < gaps.size(); ++i) {
        EXPECT_EQ(side["gaps"][i]["position"].integer(), gaps[i].first);
        EXPECT_EQ(side["gaps"][i]["frames"].integer(), gaps[i].second);
    }
}

TEST(Record, CtrlCFinalizesTheFile) {
    const auto name = loopback("recint", 2);
    const std::string take = file("interrupted.wav");
    const CliResult r =
        cli({"record", name, "-c", "1-2", "-o", take, "-b", "128"}, 30, 1.5, SIGINT);
    ASSERT_EQ(r.status, 0) << describe(r);
    const Audio rec = readAudio(take);
    EXPECT_EQ(rec.channels, 2);
    EXPECT_GT(rec.frames, 48000 / 2);
    EXPECT_LT(rec.frames, 48000 * 5);
    const Json side = Json::parse(slurp(take + ".json"));
    EXPECT_EQ(side["stopped_by"].str(), "signal");
    EXPECT_EQ(side["record"]["frames"].integer(), rec.frames);
}

TEST(Record, FromTheFileDriverInRealTime) {
    // The file driver feeds the inputs: what is recorded is the input file, delayed by the
    // input latency the driver reports.
    const std::string src = file("filein.wav");
    writeCounterFile(src, 4, 48000, 48000, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
    addInstance("recfile", FOLDBACK_FILE_SO, "[file]\ninput = \"" + src + "\"\noutputs = 0\n");
    const std::string take = file("fromfile.wav");
    const CliResult r = cli(
        {"record", "recfile", "-c", "1-4", "-o", take, "-b", "64", "--seconds", "1.5", "--json"});
    // 5: samples were lost and reported. A 2-core VM can stall the driver's thread for tens
    // of milliseconds (seen: 29 ms, 1408 frames, under the parallel test run); the driver's
    // clock runs on (its input passes unheard) and the take must say where, keep its
    // timeline and lose nothing else.
    ASSERT_TRUE(r.status == 0 || r.status == 5) << describe(r);
    const Json j = json(r);
    EXPECT_EQ(j["latency"]["input"].integer(), 64);
    std::vector<std::pair<std::int64_t, std::int64_t>> gaps;
    for (std::size_t i = 0; i < j["gaps"].size(); ++i)
        gaps.emplace_back(j["gaps"][i]["position"].integer(), j["gaps"][i]["frames"].integer());
    if (r.status == 5) {
        EXPECT_FALSE(gaps.empty()) << describe(r);
        EXPECT_EQ(j["lost"]["ring_overflow"].integer(), 0) << describe(r);
        EXPECT_EQ(j["lost"]["device_drop"].integer(), j["lost_frames"].integer()) << describe(r);
        EXPECT_LT(j["lost_frames"].integer(), 48000 / 2) << describe(r);
    } else {
        EXPECT_TRUE(gaps.empty()) << describe(r);
    }
    const Audio rec = readAudio(take);
    EXPECT_EQ(rec.frames, 72000);
    EXPECT_EQ(compareDelayed(rec, readAudio(src), 64, gaps), 0);
    EXPECT_GT(r.seconds, 1.3);  // paced in real time
}

TEST(Record, UsageErrorsSayWhatToDo) {
    const auto name = loopback("recusage", 2);
    CliResult r = cli({"record", name, "-c", "1-3", "-o", file("x.wav")});
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("input 3 does not exist; there are 2 (1-2)"), std::string::npos) << r.err;
    r = cli({"record", name, "-o", file("x.mp3")});
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find(".wav, .w64, .flac"), std::string::npos) << r.err;
    r = cli({"record", name, "-o", file("x.flac"), "--format", "float"});
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("FLAC holds 16- or 24-bit"), std::string::npos) << r.err;
    r = cli({"record", name, "-o", "/nonexistent-dir/x.wav", "--seconds", "1"});
    EXPECT_EQ(r.status, 4);
    EXPECT_NE(r.err.find("folder exists"), std::string::npos) << r.err;
    r = cli({"record", "no-such-instance", "-o", file("x.wav")});
    EXPECT_EQ(r.status, 3);
    EXPECT_NE(r.err.find("foldback list"), std::string::npos) << r.err;
}

// ---- play ---------------------------------------------------------------------------------

TEST(Play, PlayLoopRecordReproducesTheFileBitExact) {
    // Random float32 (every bit pattern class a float file can hold, not only counters).
    const auto name = loopback("playloop", 2);
    Audio noise;
    noise.channels = 2;
    noise.rate = 48000;
    std::mt19937 rng(11);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    noise.data.resize(2 * 3 * 48000);
    for (float& v : noise.data) v = u(rng);
    const std::string src = file("noise.wav"), take = file("noise-back.wav");
    writeAudio(src, noise);
    const CliResult r = cli({"record", name, "-c", "1-2", "-o", take, "--play", src, "--to", "1-2",
                             "-b", "48", "--json"});
    ASSERT_EQ(r.status, 0) << describe(r);
    const Json j = json(r);
    const std::int64_t rt = j["latency"]["input"].integer() + j["latency"]["output"].integer();
    EXPECT_EQ(rt, 96);
    noise.frames = 3 * 48000;
    const Audio rec = readAudio(take);
    EXPECT_EQ(rec.frames, 3 * 48000 + rt);
    EXPECT_EQ(compareDelayed(rec, noise, rt), 0);
}

TEST(Play, PlaysToTheEndAndReports) {
    const auto name = loopback("playend", 4);
    const std::string src = file("short.wav");
    writeCounterFile(src, 2, 24000, 48000, SF_FORMAT_WAV | SF_FORMAT_PCM_24);
    const CliResult r = cli({"play", name, src, "--to", "3-4", "-b", "256", "--json"});
    ASSERT_EQ(r.status, 0) << describe(r);
    const Json j = json(r);
    EXPECT_EQ(j["play"]["frames"].integer(), 24000);
    EXPECT_EQ(j["lost_frames"].integer(), 0);
    EXPECT_EQ(j["play"]["channels"][0].integer(), 3);
    EXPECT_GE(r.seconds, 0.45);  // real time
}

TEST(Play, RateMismatchIsAnErrorUnlessResample) {
    const auto name = loopback("playrate", 2);
    Audio tone;
    tone.channels = 1;
    tone.rate = 44100;
    for (int i = 0; i < 44100; ++i)
        tone.data.push_back(static_cast<float>(0.5 * std::sin(2 * M_PI * 1000.0 * i / 44100.0)));
    const std::string src = file("tone44.wav");
    writeAudio(src, tone);
    CliResult r = cli({"play", name, src, "--to", "1"});
    EXPECT_EQ(r.status, 2) << describe(r);
    EXPECT_NE(r.err.find("44100 Hz but playrate runs at 48000 Hz; add --resample"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("--rate 44100"), std::string::npos)
        << r.err;  // the loopback can run at 44.1k
    // Resampled through the loop: one second of 1 kHz comes back as one second at 48 kHz.
    const std::string take = file("tone48.wav");
    r = cli({"record", name, "-c", "1", "-o", take, "--play", src, "--to", "1", "--resample", "-b",
             "128", "--json"});
    ASSERT_EQ(r.status, 0) << describe(r);
    const Json j = json(r);
    EXPECT_TRUE(j["play"]["resampled"].boolean);
    EXPECT_NEAR(static_cast<double>(j["play"]["frames"].integer()), 48000.0, 2.0);
    const Audio rec = readAudio(take);
    // Count zero crossings in the middle: 1 kHz = 2000 per second.
    int crossings = 0;
    for (std::int64_t t = 12000; t < 36000; ++t)
        if ((rec.at(t - 1, 0) < 0) != (rec.at(t, 0) < 0)) ++crossings;
    EXPECT_NEAR(crossings, 1000, 2);
    // Or the device follows the file.
    r = cli({"play", name, src, "--to", "1", "--rate", "44100", "--json"});
    ASSERT_EQ(r.status, 0) << describe(r);
    EXPECT_EQ(json(r)["rate"].num(), 44100.0);
}

TEST(Play, ChannelCountMismatchSaysWhatToDo) {
    const auto name = loopback("playch", 8);
    const std::string src = file("three.wav");
    writeCounterFile(src, 3, 4800, 48000, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
    const CliResult r = cli({"play", name, src, "--to", "1-2"});
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("has 3 channels but --to names 2 outputs"), std::string::npos) << r.err;
    const CliResult missing = cli({"play", name, file("nope.wav")});
    EXPECT_EQ(missing.status, 4);
    EXPECT_NE(missing.err.find("no such file"), std::string::npos) << missing.err;
}

// ---- monitor ------------------------------------------------------------------------------

TEST(Monitor, ImpulseComesOutAfterExactlyThePrintedLatency) {
    // File driver, as fast as possible: an impulse at input frame 1000 must be in the output
    // file at 1000 + the latency monitor printed, and nowhere else.
    Audio in;
    in.channels = 1;
    in.rate = 48000;
    in.data.assign(9600, 0.0f);
    in.data[1000] = 0.75f;
    const std::string src = file("impulse.wav"), out = file("monitored.wav");
    writeAudio(src, in);
    addInstance("monfile", FOLDBACK_FILE_SO,
                "[file]\ninput = \"" + src + "\"\noutput = \"" + out +
                    "\"\noutputs = 2\npacing = \"fast\"\nlength = 9600\ninput_delay = "
                    "3\noutput_delay = 5\n");
    CliResult r = cli({"monitor", "monfile", "--in", "1", "--out", "1-2", "-b", "64", "--seconds",
                       "0.2", "--json"});
    ASSERT_EQ(r.status, 0) << describe(r);
    const Json j = json(r);
    const std::int64_t total = j["latency"]["total"].integer();
    EXPECT_EQ(total, 64 + 3 + 64 + 5);
    const Audio o = readAudio(out);
    ASSERT_EQ(o.channels, 2);
    ASSERT_EQ(o.frames, 9600);
    for (std::int64_t t = 0; t < o.frames; ++t)
        for (int c = 0; c < 2; ++c)
            EXPECT_EQ(o.at(t, c), t == 1000 + total ? 0.75f : 0.0f)
                << "frame " << t << " channel " << c;
    // The text form prints the same number.
    r = cli({"monitor", "monfile", "--in", "1", "--out", "1", "-b", "64", "--seconds", "0.1"});
    ASSERT_EQ(r.status, 0) << describe(r);
    EXPECT_NE(r.out.find("end-to-end latency 136 frames = 2.833 ms (input 67 + output 69)"),
              std::string::npos)
        << r.out;
}

TEST(Monitor, GainAndMismatchedLists) {
    Audio in;
    in.channels = 1;
    in.rate = 48000;
    in.data.assign(4800, 0.0f);
    in.data[100] = 0.5f;
    const std::string src = file("impulse2.wav"), out = file("gain.wav");
    writeAudio(src, in);
    addInstance("mongain", FOLDBACK_FILE_SO,
                "[file]\ninput = \"" + src + "\"\noutput = \"" + out +
                    "\"\noutputs = 1\npacing = \"fast\"\n");
    CliResult r = cli({"monitor", "mongain", "--in", "1", "--out", "1", "-b", "32", "--gain",
                       "-6.020599913", "--seconds", "0.05", "--json"});
    ASSERT_EQ(r.status, 0) << describe(r);
    const Audio o = readAudio(out);
    EXPECT_NEAR(o.at(100 + 64, 0), 0.25f, 1e-6);
    r = cli({"monitor", "mongain", "--in", "1", "--out", "1-2"});
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("output 2 does not exist"), std::string::npos) << r.err;
    const auto name = loopback("monlists", 4);
    r = cli({"monitor", name, "--in", "1-2", "--out", "1-3"});
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("name as many of each"), std::string::npos) << r.err;
}

TEST(Monitor, RunsOnTheLoopbackAndReportsTheLatency) {
    const auto name = loopback("monloop", 2);
    const CliResult r = cli({"monitor", name, "-b", "32", "--seconds", "0.5", "--json"});
    ASSERT_EQ(r.status, 0) << describe(r);
    const Json j = json(r);
    EXPECT_EQ(j["latency"]["total"].integer(), 64);
    EXPECT_NEAR(j["latency"]["ms"].num(), 1.333, 0.001);
    EXPECT_GE(j["seconds"].num(), 0.5);
}

// ---- every command -----------------------------------------------------------------------

TEST(Help, EveryCommandHasExamplesAndExitCodes) {
    for (const char* cmd : {"latency", "record", "play", "monitor"}) {
        const CliResult r = cli({cmd, "--help"});
        EXPECT_EQ(r.status, 0) << cmd;
        EXPECT_NE(r.out.find("Examples:"), std::string::npos) << cmd << "\n" << r.out;
        EXPECT_NE(r.out.find("Exit status: 0 success"), std::string::npos) << cmd;
        EXPECT_EQ(r.out.find("test-stall"), std::string::npos) << "test-only options stay hidden";
    }
    const CliResult r = cli({"--help"});
    for (const char* cmd :
         {"list", "info", "register", "certify", "latency", "record", "play", "monitor"})
        EXPECT_NE(r.out.find(cmd), std::string::npos) << cmd;
    EXPECT_EQ(cli({"latency", "--bogus"}).status, 2);
}
