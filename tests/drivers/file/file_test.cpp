// The file driver through the host API (foldback::Driver/Stream), as any host sees it:
// its latency is exactly what it reports, it is deterministic, "fast" is fast and
// "realtime" is paced, inputs and outputs map to files as configured, and a broken
// configuration says what to fix.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "foldback/host.hpp"
#include "support.hpp"

using namespace foldback;
using namespace foldback::tooltest;

namespace {

// Copies input k to output map[k] (others silent) and counts frames.
class Router final : public FloatHandler {
  public:
    explicit Router(std::vector<int> map = {}) : map_(std::move(map)) {}
    void processFloat(const Block& b) override {
        for (float* o : b.out)
            std::memset(o, 0, static_cast<std::size_t>(b.frames) * sizeof(float));
        for (std::size_t i = 0; i < b.in.size(); ++i) {
            const int to = map_.empty() ? static_cast<int>(i) : map_[i];
            if (to >= 0 && static_cast<std::size_t>(to) < b.out.size())
                std::memcpy(b.out[static_cast<std::size_t>(to)], b.in[i],
                            static_cast<std::size_t>(b.frames) * sizeof(float));
        }
        frames.fetch_add(b.frames, std::memory_order_relaxed);
    }
    std::atomic<long long> frames{0};

  private:
    std::vector<int> map_;
};

// Streams until the host has seen `frames` frames (or timeout); returns seconds taken.
double runFor(Driver& d, const Request& req, Router& h, long long frames, double timeout = 20) {
    Stream s = d.open(req, h);
    const auto t0 = std::chrono::steady_clock::now();
    s.start();
    while (h.frames.load() < frames &&
           std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < timeout)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    s.stop();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string bytesOf(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

Audio impulses(int channels, std::int64_t frames,
               std::vector<std::tuple<std::int64_t, int, float>> at) {
    Audio a;
    a.channels = channels;
    a.rate = 48000;
    a.frames = frames;
    a.data.assign(static_cast<std::size_t>(frames * channels), 0.0f);
    for (auto [f, c, v] : at) a.data[static_cast<std::size_t>(f * channels + c)] = v;
    return a;
}

std::vector<long> range(long n) {
    std::vector<long> v;
    for (long i = 0; i < n; ++i) v.push_back(i);
    return v;
}

}  // namespace

struct Shape {
    long buffer, inDelay, outDelay;
};

class FileLatency : public ::testing::TestWithParam<Shape> {};

TEST_P(FileLatency, AnInputFrameReturnsAfterExactlyTheReportedLatency) {
    const Shape p = GetParam();
    const std::string tag = std::to_string(p.buffer) + "_" + std::to_string(p.inDelay) + "_" +
                            std::to_string(p.outDelay);
    const std::string in = file("imp" + tag + ".wav"), out = file("out" + tag + ".wav");
    writeAudio(in, impulses(2, 20000,
                            {{0, 0, 0.5f}, {100, 1, -0.25f}, {1000, 0, 1.0f}, {19999, 1, 0.125f}}));
    addInstance("lat" + tag, FOLDBACK_FILE_SO,
                "[file]\ninput = \"" + in + "\"\noutput = \"" + out +
                    "\"\npacing = \"fast\"\nlength = 24000\n" +
                    "input_delay = " + std::to_string(p.inDelay) +
                    "\noutput_delay = " + std::to_string(p.outDelay) + "\n");
    Driver d = Driver::load("lat" + tag);
    Router h;
    Request req{.inputs = {0, 1}, .outputs = {0, 1}, .bufferSize = p.buffer};
    {
        Stream s = d.open(req, h);
        const Latencies lat = s.latencies();
        EXPECT_EQ(lat.input, p.buffer + p.inDelay);
        EXPECT_EQ(lat.output, p.buffer + p.outDelay);
    }
    runFor(d, req, h, 30000);
    const long total = 2 * p.buffer + p.inDelay + p.outDelay;
    const Audio o = readAudio(out);
    ASSERT_EQ(o.frames, 24000);  // exactly `length`
    const Audio src = readAudio(in);
    long long bad = 0;
    for (std::int64_t t = 0; t < o.frames; ++t)
        for (int c = 0; c < 2; ++c) {
            const std::int64_t s = t - total;
            const float want = s >= 0 && s < src.frames ? src.at(s, c) : 0.0f;
            if (bits(o.at(t, c)) != bits(want) && bad++ == 0)
                ADD_FAILURE() << "frame " << t << " ch " << c << ": " << o.at(t, c)
                              << " != " << want;
        }
    EXPECT_EQ(bad, 0);
}

INSTANTIATE_TEST_SUITE_P(Shapes, FileLatency,
                         ::testing::Values(Shape{64, 0, 0}, Shape{32, 3, 5}, Shape{256, 0, 17},
                                           Shape{16, 100, 0}),
                         [](const auto& i) {
                             return std::to_string(i.param.buffer) + "_" +
                                    std::to_string(i.param.inDelay) + "_" +
                                    std::to_string(i.param.outDelay);
                         });

TEST(FileDriver, SameInputsSameHostSameOutputBytes) {
    const std::string in = file("det-in.wav");
    Audio a;
    a.channels = 3;
    a.rate = 44100;
    for (int i = 0; i < 3 * 30000; ++i)
        a.data.push_back(static_cast<float>(std::sin(i * 0.001) * 0.5));
    writeAudio(in, a);
    std::string outputs[2];
    for (int run = 0; run < 2; ++run) {
        outputs[run] = file("det-out" + std::to_string(run) + ".w64");
        const std::string name = "det" + std::to_string(run);
        addInstance(
            name, FOLDBACK_FILE_SO,
            "[file]\ninput = \"" + in + "\"\noutput = \"" + outputs[run] +
                "\"\noutputs = 3\npacing = \"fast\"\nlength = 40000\noutput_format = \"s24\"\n");
        Driver d = Driver::load(name);
        EXPECT_EQ(d.sampleRate(), 44100.0);
        Router h({2, 0, 1});
        runFor(d, {.inputs = range(3), .outputs = range(3), .bufferSize = 100}, h, 50000);
    }
    const std::string a0 = bytesOf(outputs[0]), a1 = bytesOf(outputs[1]);
    EXPECT_GT(a0.size(), 40000u * 3 * 3);
    EXPECT_TRUE(a0 == a1) << "two runs of the same inputs differ";
}

TEST(FileDriver, FastIsFasterThanRealTimeAndRealtimeIsPaced) {
    const std::string in = file("pace.wav");
    writeAudio(in, impulses(1, 24000, {{5, 0, 1.0f}}));
    addInstance("fast", FOLDBACK_FILE_SO,
                "[file]\ninput = \"" + in + "\"\noutputs = 1\npacing = \"fast\"\n");
    addInstance("paced", FOLDBACK_FILE_SO, "[file]\ninput = \"" + in + "\"\noutputs = 1\n");
    Driver f = Driver::load("fast");
    Router hf;
    const double fast =
        runFor(f, {.inputs = {0}, .outputs = {0}, .bufferSize = 64}, hf, 48000);  // 1 s of audio
    EXPECT_LT(fast, 0.5) << "fast mode took " << fast << " s for 1 s of audio";
    Driver p = Driver::load("paced");
    Router hp;
    const double paced =
        runFor(p, {.inputs = {0}, .outputs = {0}, .bufferSize = 64}, hp, 24000);  // 0.5 s
    EXPECT_GT(paced, 0.45);
    EXPECT_LT(paced, 2.0);
}

TEST(FileDriver, SeveralInputFilesAndOneFilePerOutput) {
    const std::string st = file("st.wav"), mono = file("mono.wav");
    writeAudio(st, impulses(2, 4000, {{10, 0, 0.5f}, {20, 1, 0.25f}}));
    writeAudio(mono, impulses(1, 4000, {{30, 0, 0.75f}}));
    const std::string o1 = file("o1.wav"), o3 = file("o3.flac");
    // inputs: st.wav (2) + one silent + mono.wav (1) = 4; outputs: o1, discarded, o3
    addInstance("multi", FOLDBACK_FILE_SO,
                "[file]\ninput_files = [\"" + st + "\", \"\", \"" + mono +
                    "\"]\noutput_files = [\"" + o1 + "\", \"\", \"" + o3 +
                    "\"]\npacing = \"fast\"\nlength = 4800\noutput_format = \"s24\"\n");
    Driver d = Driver::load("multi");
    ASSERT_EQ(d.inputCount(), 4);
    ASSERT_EQ(d.outputCount(), 3);
    EXPECT_EQ(d.channels(true)[0].name, "File In 1");
    Router h({0, 1, -1, 2});  // in1 -> out1, in2 -> out2 (discarded), in4 -> out3
    runFor(d, {.inputs = range(4), .outputs = range(3), .bufferSize = 64}, h, 6000);
    const Audio a = readAudio(o1), c = readAudio(o3);
    ASSERT_EQ(a.channels, 1);
    ASSERT_EQ(a.frames, 4800);
    ASSERT_EQ(c.frames, 4800);
    EXPECT_EQ(a.at(10 + 128, 0), 0.5f);
    EXPECT_EQ(c.at(30 + 128, 0), 0.75f);  // 0.75 is exact in 24 bits
    EXPECT_EQ(c.format & SF_FORMAT_TYPEMASK, SF_FORMAT_FLAC);
    double rest = 0;
    for (std::int64_t t = 0; t < a.frames; ++t)
        rest += std::fabs(a.at(t, 0)) + std::fabs(c.at(t, 0));
    EXPECT_FLOAT_EQ(static_cast<float>(rest), 1.25f);
}

TEST(FileDriver, AtEndLoopRepeatsTheInputAndSilenceStops) {
    const std::string in = file("short.wav");
    writeAudio(in, impulses(1, 1000, {{0, 0, 1.0f}}));
    for (const char* mode : {"loop", "silence"}) {
        const std::string out = file(std::string("end-") + mode + ".wav");
        addInstance(std::string("end") + mode, FOLDBACK_FILE_SO,
                    "[file]\ninput = \"" + in + "\"\noutput = \"" + out +
                        "\"\noutputs = 1\npacing = \"fast\"\nlength = 5000\nat_end = \"" + mode +
                        "\"\n");
        Driver d = Driver::load(std::string("end") + mode);
        Router h;
        runFor(d, {.inputs = {0}, .outputs = {0}, .bufferSize = 50}, h, 6000);
        const Audio o = readAudio(out);
        int ones = 0;
        for (std::int64_t t = 0; t < o.frames; ++t)
            if (o.at(t, 0) == 1.0f) {
                ++ones;
                EXPECT_EQ((t - 100) % 1000, 0) << mode << " frame " << t;
            }
        EXPECT_EQ(ones, std::string(mode) == "loop" ? 5 : 1) << mode;  // 100, 1100, ..., 4100
    }
}

TEST(FileDriver, SixteenBitSampleTypeStillCarriesTheSignal) {
    const std::string in = file("i16.wav"), out = file("o16.wav");
    writeAudio(in, impulses(1, 2000, {{7, 0, 0.5f}, {8, 0, -0.25f}}));
    addInstance(
        "i16", FOLDBACK_FILE_SO,
        "[file]\ninput = \"" + in + "\"\noutput = \"" + out +
            "\"\noutputs = 1\npacing = \"fast\"\nlength = 2000\nsample_type = \"Int16LSB\"\n");
    Driver d = Driver::load("i16");
    EXPECT_EQ(d.channels(true)[0].type, ASIOSTInt16LSB);
    Router h;
    runFor(d, {.inputs = {0}, .outputs = {0}, .bufferSize = 32}, h, 3000);
    const Audio o = readAudio(out);
    EXPECT_EQ(o.at(7 + 64, 0), 0.5f);
    EXPECT_EQ(o.at(8 + 64, 0), -0.25f);
}

TEST(FileDriver, BrokenConfigurationsSayWhatToFix) {
    auto loadError = [](const std::string& name, const std::string& config) -> std::string {
        addInstance(name, FOLDBACK_FILE_SO, config);
        try {
            Driver d = Driver::load(name);
        } catch (const std::exception& e) {
            return e.what();
        }
        return "";
    };
    std::string e = loadError("missing", "[file]\ninput = \"/nonexistent/take.wav\"\n");
    EXPECT_NE(e.find("/nonexistent/take.wav"), std::string::npos) << e;
    EXPECT_NE(e.find("fix the path"), std::string::npos) << e;

    const std::string a = file("r44.wav"), b = file("r48.wav");
    Audio x = impulses(1, 100, {});
    x.rate = 44100;
    writeAudio(a, x);
    writeAudio(b, impulses(1, 100, {}));
    e = loadError("mixed", "[file]\ninput_files = [\"" + a + "\", \"" + b + "\"]\n");
    EXPECT_NE(e.find("must share one rate"), std::string::npos) << e;
    e = loadError("rate", "[file]\ninput = \"" + b + "\"\nrate = 96000\n");
    EXPECT_NE(e.find("does not resample"), std::string::npos) << e;
    e = loadError("pacing", "[file]\npacing = \"slow\"\n");
    EXPECT_NE(e.find("use \"realtime\" or \"fast\""), std::string::npos) << e;
    e = loadError("ext", "[file]\noutput = \"x.mp3\"\n");
    EXPECT_NE(e.find(".wav, .w64"), std::string::npos) << e;
    // FLAC holds integers only: float is refused with the fix; unset, it is 24-bit.
    e = loadError("flacfloat", "[file]\noutput = \"x.flac\"\noutput_format = \"float\"\n");
    EXPECT_NE(e.find("FLAC holds 16- or 24-bit integers only"), std::string::npos) << e;
    EXPECT_NE(e.find("output_format = \"s24\""), std::string::npos) << e;
    EXPECT_EQ(loadError("flacdefault", "[file]\noutput = \"x.flac\"\n"), "");
    e = loadError("both", "[file]\noutput = \"x.wav\"\noutput_files = [\"y.wav\"]\n");
    EXPECT_NE(e.find("keep one of them"), std::string::npos) << e;

    // An output folder that does not exist fails at start, with the path.
    addInstance("nodir", FOLDBACK_FILE_SO, "[file]\noutput = \"/nonexistent/out.wav\"\n");
    Driver d = Driver::load("nodir");
    Router h;
    Stream s = d.open({.inputs = {0}, .outputs = {0}, .bufferSize = 64}, h);
    try {
        s.start();
        ADD_FAILURE() << "start should fail";
    } catch (const std::exception& ex) {
        EXPECT_NE(std::string(ex.what()).find("/nonexistent/out.wav"), std::string::npos)
            << ex.what();
    }
}

TEST(FileDriver, RelativePathsAreRelativeToTheInstance) {
    addInstance("rel", FOLDBACK_FILE_SO,
                "[file]\ninput = \"in.wav\"\noutput = \"out.wav\"\noutputs = 1\npacing = "
                "\"fast\"\nlength = 1000\n");
    const std::string dir = sandbox() + "/drivers/rel/";
    writeAudio(dir + "in.wav", impulses(1, 500, {{1, 0, 0.5f}}));
    Driver d = Driver::load("rel");
    Router h;
    runFor(d, {.inputs = {0}, .outputs = {0}, .bufferSize = 64}, h, 2000);
    EXPECT_EQ(readAudio(dir + "out.wav").at(1 + 128, 0), 0.5f);
}

TEST(FileDriver, PacedInstancePassesTheConformanceSuite) {
    // `foldback certify`: every method in every state, a timed stream at the nominal rate,
    // injected late wake-ups and frame loss (the kit's timer thread). Not for "fast", which
    // is by design no real-time device.
    addInstance("certfile", FOLDBACK_FILE_SO, "[file]\ninputs = 2\noutputs = 2\n");
    const CliResult r = cli({"certify", "certfile", "--seconds", "1"}, 120);
    EXPECT_EQ(r.status, 0) << describe(r);
    EXPECT_NE(r.out.find("result: PASS"), std::string::npos) << r.out;
}
