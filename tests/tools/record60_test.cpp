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
