// The acceptance test of `foldback record`: 60 s, 16 channels, 32-frame periods on the
// loopback driver, a per-channel counter played into the loop while the inputs record.
// Every sample must be in the file, in order, bit for bit (offset by the round trip).
// Its own executable: one minute of real time, kept out of the sanitizer job (label nosan;
// the shorter record tests run there).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "support.hpp"

using namespace foldback::tooltest;
namespace fs = std::filesystem;

namespace {

// Late wake-ups on a loaded 2-core VM are caught up, never skipped: these tests are about
// the tools, and a skip would be a (correctly reported) device drop-out.
std::string loopback(const std::string& name, int channels = 8, const std::string& extra = "") {
    return addInstance(name, FOLDBACK_LOOPBACK_SO,
                       "[loopback]\ninputs = " + std::to_string(channels) +
                           "\noutputs = " + std::to_string(channels) + "\n" + extra +
                           "\n[kit]\nmax_late_periods = 1024\n");
}

std::string slurp(const std::string& path) {
    std::ifstream f(path);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

Json json(const CliResult& r) {
    try {
        return Json::parse(r.out);
    } catch (const std::exception& e) {
        ADD_FAILURE() << e.what() << "\n" << describe(r);
        throw;
    }
}

// Every frame of `rec` is `src` delayed by `delay` (silence before), bit for bit, except
// inside `gaps` (silence). Returns the number of mismatching samples (reports the first).
long long compareDelayed(const Audio& rec, const Audio& src, std::int64_t delay,
                         const std::vector<std::pair<std::int64_t, std::int64_t>>& gaps = {}) {
    long long bad = 0;
    std::size_t g = 0;
    for (std::int64_t t = 0; t < rec.frames; ++t) {
        while (g < gaps.size() && gaps[g].first + gaps[g].second <= t) ++g;
        const bool inGap = g < gaps.size() && t >= gaps[g].first;
        for (int c = 0; c < rec.channels; ++c) {
            const std::int64_t s = t - delay;
            const float want = inGap || s < 0 || s >= src.frames ? 0.0f : src.at(s, c);
            if (bits(rec.at(t, c)) != bits(want)) {
                if (bad == 0)
                    ADD_FAILURE() << "first mismatch at frame " << t << " channel " << c << ": got "
                                  << rec.at(t, c) << " want " << want
                                  << (inGap ? " (in a reported gap)" : "");
                ++bad;
            }
        }
    }
    return bad;
}

}  // namespace

// The acceptance test: 60 s, 16 channels, 32-frame periods, a per-channel counter played
// into the loop and recorded: every sample, in order, bit for bit (offset by the round trip).
TEST(Record, SixtySecondsSixteenChannelsAt32FramesBitExact) {
    const auto name = loopback("rec16", 16);
    const std::int64_t frames = 60 * 48000;
    const std::string src = file("counter16.wav"), take = file("take16.w64");
    writeCounterFile(src, 16, frames, 48000, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
    const CliResult r = cli({"record", name, "-c", "1-16", "-o", take, "--play", src, "--to",
                             "1-16", "-b", "32", "--json"},
                            200);
    ASSERT_EQ(r.status, 0) << describe(r);
    const Json j = json(r);
    const std::int64_t rt = j["latency"]["input"].integer() + j["latency"]["output"].integer();
    EXPECT_EQ(rt, 64);
    EXPECT_EQ(j["lost_frames"].integer(), 0);
    EXPECT_EQ(j["gaps"].size(), 0u);
    EXPECT_EQ(j["record"]["frames"].integer(), frames + rt);
    const Audio rec = readAudio(take);
    ASSERT_EQ(rec.channels, 16);
    ASSERT_EQ(rec.frames, frames + rt);
    const Audio in = readAudio(src);
    EXPECT_EQ(compareDelayed(rec, in, rt), 0);
    // The sidecar says the same.
    const Json side = Json::parse(slurp(take + ".json"));
    EXPECT_EQ(side["lost_frames"].integer(), 0);
    EXPECT_EQ(side["record"]["format"].str(), "W64 float32");
    fs::remove(src);
    fs::remove(take);
}
