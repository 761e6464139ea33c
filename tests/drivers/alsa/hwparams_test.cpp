// The hw-params negotiation (src/drivers/alsa/hw_params.*) against the ranges alsa-lib
// reports for real PCMs: `null` (takes anything), the JACK ioplug on a private jackd
// (FLOAT_LE only, one rate, periods that are multiples of the server's), PipeWire's ALSA
// PCM (when its plugin is there); and the discovery helpers.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>

#include "drivers/alsa/devices.hpp"
#include "drivers/alsa/hw_params.hpp"
#include "kit/error.hpp"
#include "support.hpp"

namespace fa = foldback::alsa;
namespace at = foldback::alsatest;

namespace {

struct PcmPair {
    snd_pcm_t* pcm[2] = {nullptr, nullptr};
    int error = 0;
    explicit PcmPair(const std::string& name) : PcmPair(name, name) {}
    PcmPair(const std::string& capture, const std::string& playback) {
        error = snd_pcm_open(&pcm[0], capture.c_str(), SND_PCM_STREAM_CAPTURE, SND_PCM_NONBLOCK);
        if (error >= 0)
            error =
                snd_pcm_open(&pcm[1], playback.c_str(), SND_PCM_STREAM_PLAYBACK, SND_PCM_NONBLOCK);
    }
    ~PcmPair() {
        for (auto* p : pcm)
            if (p) snd_pcm_close(p);
    }
};

std::string errorOf(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const foldback::kit::Error& e) {
        return e.what();
    }
    return "";
}

bool has(const std::vector<double>& v, double x) {
    return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

// ---- buffer sizes from the accepted set -----------------------------------------------

TEST(AlsaSizes, EverySizeIsGranularityOne) {
    std::vector<long> all;
    for (long s = 16; s <= 8192; ++s) all.push_back(s);
    const auto b = fa::sizesFrom(all, 256);
    EXPECT_EQ(b.min, 16);
    EXPECT_EQ(b.max, 8192);
    EXPECT_EQ(b.preferred, 256);
    EXPECT_EQ(b.granularity, 1);
}

TEST(AlsaSizes, MultiplesOfTheServerPeriod) {
    std::vector<long> m;
    for (long s = 64; s <= 4096; s += 64) m.push_back(s);
    const auto b = fa::sizesFrom(m, 100);
    EXPECT_EQ(b.min, 64);
    EXPECT_EQ(b.max, 4096);
    EXPECT_EQ(b.granularity, 64);
    EXPECT_EQ(b.preferred, 128);  // nearest to 100
    EXPECT_EQ(fa::sizesFrom(m, 16).preferred, 64);
}

TEST(AlsaSizes, PowersOfTwoWhenThatCoversMore) {
    const auto b = fa::sizesFrom({16, 32, 48, 64, 128, 256, 512, 1024}, 256);
    EXPECT_EQ(b.granularity, -1);
    EXPECT_EQ(b.min, 16);
    EXPECT_EQ(b.max, 1024);
    EXPECT_EQ(b.preferred, 256);
}

TEST(AlsaSizes, IrregularSetOffersOnlyWhatItTakes) {
    const auto b = fa::sizesFrom({16, 32, 48, 96, 100}, 64);
    EXPECT_EQ(b.granularity, 16);
    EXPECT_EQ(b.min, 16);
    EXPECT_EQ(b.max, 48);
    EXPECT_EQ(b.preferred, 48);
}

TEST(AlsaSizes, OneSize) {
    const auto b = fa::sizesFrom({512}, 64);
    EXPECT_EQ(b.granularity, 0);
    EXPECT_EQ(b.min, 512);
    EXPECT_EQ(b.max, 512);
    EXPECT_EQ(b.preferred, 512);
}

// ---- the `null` PCM: takes everything ---------------------------------------------------

TEST(AlsaNegotiate, NullTakesTheFirstFormatAndEverySize) {
    PcmPair p("null");
    ASSERT_GE(p.error, 0) << snd_strerror(p.error);
    fa::Preferences prefs;
    const fa::Plan plan = fa::negotiate(p.pcm[0], p.pcm[1], prefs);
    EXPECT_EQ(plan.format.alsa, SND_PCM_FORMAT_FLOAT_LE);
    EXPECT_EQ(plan.format.asio, ASIOSTFloat32LSB);
    EXPECT_FALSE(plan.interleaved);  // the ASIO type itself: one buffer per channel
    EXPECT_TRUE(plan.mmap[0]);
    EXPECT_TRUE(plan.mmap[1]);
    EXPECT_EQ(plan.channels[0], 2u);  // a plugin: stereo by default
    EXPECT_EQ(plan.channels[1], 2u);
    EXPECT_EQ(plan.rate, 48000u);
    EXPECT_TRUE(has(plan.rates, 44100));
    EXPECT_TRUE(has(plan.rates, 192000));
    EXPECT_EQ(plan.sizes.min, 16);
    EXPECT_EQ(plan.sizes.max, 8192);
    EXPECT_EQ(plan.sizes.granularity, 1);
    EXPECT_EQ(plan.sizes.preferred, 256);
    EXPECT_EQ(plan.periodSizes.size(), 8192u - 16u + 1u);
}

TEST(AlsaNegotiate, NullHonoursEveryPreference) {
    PcmPair p("null");
    ASSERT_GE(p.error, 0);
    fa::Preferences prefs;
    prefs.format = "S24_3BE";  // through src/convert
    prefs.access = fa::Access::Rw;
    prefs.rate = 96000;
    prefs.periods = 3;
    prefs.captureChannels = 6;
    prefs.playbackChannels = 4;
    prefs.bufferSize = 100;
    const fa::Plan plan = fa::negotiate(p.pcm[0], p.pcm[1], prefs);
    EXPECT_EQ(plan.format.alsa, SND_PCM_FORMAT_S24_3BE);
    EXPECT_EQ(plan.format.asio, ASIOSTInt24LSB);
    EXPECT_FALSE(plan.format.native);
    EXPECT_TRUE(plan.interleaved);  // converted anyway: interleaved first
    EXPECT_FALSE(plan.mmap[0]);
    EXPECT_FALSE(plan.mmap[1]);
    EXPECT_EQ(plan.channels[0], 6u);
    EXPECT_EQ(plan.channels[1], 4u);
    EXPECT_EQ(plan.rate, 96000u);
    EXPECT_EQ(plan.periods, 3u);
    EXPECT_EQ(plan.sizes.preferred, 100);

    const fa::Geometry g = fa::apply(p.pcm[1], 1, plan, 100);
    EXPECT_EQ(g.period, 100u);
    EXPECT_EQ(g.buffer, 300u);

    prefs = {};
    prefs.layout = fa::Layout::Interleaved;
    EXPECT_TRUE(fa::negotiate(p.pcm[0], p.pcm[1], prefs).interleaved);
    prefs.format = "S16_LE";
    prefs.layout = fa::Layout::Auto;
    const fa::Plan s16 = fa::negotiate(p.pcm[0], p.pcm[1], prefs);
    EXPECT_EQ(s16.format.asio, ASIOSTInt16LSB);
    EXPECT_TRUE(s16.format.native);
    EXPECT_FALSE(s16.interleaved);
}

TEST(AlsaNegotiate, OneDirectionAlone) {
    PcmPair p("null");
    ASSERT_GE(p.error, 0);
    const fa::Plan plan = fa::negotiate(nullptr, p.pcm[1], {});
    EXPECT_EQ(plan.channels[0], 0u);
    EXPECT_EQ(plan.channels[1], 2u);
    EXPECT_FALSE(errorOf([] { fa::negotiate(nullptr, nullptr, {}); }).empty());
}

TEST(AlsaNegotiate, RefusalsSayWhatToChange) {
    PcmPair p("null");
    ASSERT_GE(p.error, 0);
    fa::Preferences prefs;
    prefs.format = "U8";
    EXPECT_NE(errorOf([&] { fa::negotiate(p.pcm[0], p.pcm[1], prefs); }).find("[alsa] format"),
              std::string::npos);
    prefs.format = "NOT_A_FORMAT";
    EXPECT_NE(errorOf([&] { fa::negotiate(p.pcm[0], p.pcm[1], prefs); }).find("[alsa] format"),
              std::string::npos);
}

// ---- the JACK ioplug on a private jackd ---------------------------------------------------

TEST(AlsaNegotiate, JackPcmRangesAtServerPeriod64) {
    if (!at::jackAvailable()) GTEST_SKIP() << "no jackd, rig scripts or ALSA jack plugin";
    ASSERT_TRUE(at::startJack(64));
    PcmPair p("rigjack_raw");
    ASSERT_GE(p.error, 0) << snd_strerror(p.error);
    const fa::PcmRange r = fa::describe(p.pcm[1]);
    std::printf("rigjack_raw playback: %s\n", fa::rangeText(r).c_str());
    EXPECT_FALSE(r.hardware);
    EXPECT_EQ(r.formats, std::vector<snd_pcm_format_t>{SND_PCM_FORMAT_FLOAT_LE});
    EXPECT_EQ(r.rateMin, 48000u);
    EXPECT_EQ(r.rateMax, 48000u);

    const fa::Plan plan = fa::negotiate(p.pcm[0], p.pcm[1], {});
    EXPECT_EQ(plan.format.alsa, SND_PCM_FORMAT_FLOAT_LE);
    EXPECT_EQ(plan.channels[0], 2u);  // = the ports of the rig's definition
    EXPECT_EQ(plan.channels[1], 2u);
    EXPECT_EQ(plan.rates, std::vector<double>{48000});
    // The interval alsa-lib prints says nothing of the steps; the test of every size does.
    EXPECT_EQ(plan.sizes.min, 64);
    EXPECT_EQ(plan.sizes.max, 4096);
    EXPECT_EQ(plan.sizes.granularity, 64);
    EXPECT_EQ(plan.sizes.preferred, 256);
    EXPECT_EQ(plan.periodSizes.size(), 64u);

    fa::Preferences prefs;
    prefs.periods = 65;
    const std::string tooMany = errorOf([&] { fa::negotiate(p.pcm[0], p.pcm[1], prefs); });
    EXPECT_NE(tooMany.find("2..64"), std::string::npos) << tooMany;
    prefs = {};
    prefs.format = "S16_LE";
    const std::string s16 = errorOf([&] { fa::negotiate(p.pcm[0], p.pcm[1], prefs); });
    EXPECT_NE(s16.find("FLOAT_LE"), std::string::npos) << s16;
    prefs = {};
    prefs.rate = 44100;
    EXPECT_NE(errorOf([&] { fa::negotiate(p.pcm[0], p.pcm[1], prefs); }).find("44100"),
              std::string::npos);

    const fa::Geometry g = fa::apply(p.pcm[0], 0, plan, 128);
    EXPECT_EQ(g.period, 128u);
    EXPECT_EQ(g.buffer, 256u);
    EXPECT_NE(errorOf([&] { fa::apply(p.pcm[1], 1, plan, 96); }), "");  // not a multiple of 64
}

TEST(AlsaNegotiate, JackPcmRangesAtServerPeriod32) {
    if (!at::jackAvailable()) GTEST_SKIP() << "no jackd, rig scripts or ALSA jack plugin";
    ASSERT_TRUE(at::startJack(32));
    PcmPair p("rigjack_raw");
    ASSERT_GE(p.error, 0) << snd_strerror(p.error);
    const fa::Plan plan = fa::negotiate(p.pcm[0], p.pcm[1], {});
    // The plugin offers 64 multiples of the server's period (the same 64 sizes at 64: up to 4096).
    EXPECT_EQ(plan.sizes.min, 32);
    EXPECT_EQ(plan.sizes.granularity, 32);
    EXPECT_EQ(plan.sizes.max, 64 * 32);
    EXPECT_EQ(plan.periodSizes.size(), 64u);
}

// ---- PipeWire's ALSA PCM -------------------------------------------------------------------

TEST(AlsaNegotiate, PipeWirePcmRanges) {
    if (!at::pipewirePluginAvailable())
        GTEST_SKIP() << "no PipeWire, rig scripts or its ALSA plugin (pipewire-alsa)";
    ASSERT_TRUE(at::startPipeWire());
    PcmPair p("rigpw_raw");
    ASSERT_GE(p.error, 0) << snd_strerror(p.error);
    const fa::PcmRange r = fa::describe(p.pcm[1]);
    std::printf("rigpw_raw playback: %s\n", fa::rangeText(r).c_str());
    const fa::Plan plan = fa::negotiate(p.pcm[0], p.pcm[1], {});
    EXPECT_EQ(plan.format.alsa, SND_PCM_FORMAT_FLOAT_LE);
    EXPECT_EQ(plan.channels[0], 2u);  // 1..64 offered: stereo by default
    EXPECT_TRUE(has(plan.rates, 44100));
    EXPECT_TRUE(has(plan.rates, 48000));
    EXPECT_TRUE(has(plan.rates, 192000));
    EXPECT_EQ(plan.sizes.min, 16);  // 128 bytes at 2 x 4 bytes
    EXPECT_EQ(plan.sizes.max, 8192);
    EXPECT_EQ(plan.sizes.granularity, 1);

    fa::Preferences prefs;
    prefs.format = "S24_3LE";
    const fa::Plan s24 = fa::negotiate(p.pcm[0], p.pcm[1], prefs);
    EXPECT_EQ(s24.format.asio, ASIOSTInt24LSB);
    EXPECT_TRUE(s24.format.native);
    prefs.format = "S24_LE";  // 24 in 32: converted to Int32LSB
    const fa::Plan s24in32 = fa::negotiate(p.pcm[0], p.pcm[1], prefs);
    EXPECT_EQ(s24in32.format.asio, ASIOSTInt32LSB);
    EXPECT_TRUE(s24in32.interleaved);
    at::stopPipeWire();
}

// ---- discovery -----------------------------------------------------------------------------

TEST(AlsaDevices, ListsEveryCardOrNoneCleanly) {
    const auto found = fa::discoverCards();
    std::error_code ec;
    if (!std::filesystem::exists("/dev/snd", ec)) {
        EXPECT_TRUE(found.empty());
    }
    for (const auto& d : found) {
        EXPECT_EQ(d.id.rfind("hw:CARD=", 0), 0u) << d.id;
        EXPECT_LT(d.description.size(), 128u);
    }
}

TEST(AlsaDevices, DeviceNodesOfHwNames) {
    EXPECT_EQ(fa::deviceNodes("hw:1,0", true), std::vector<std::string>{"/dev/snd/pcmC1D0c"});
    EXPECT_EQ(fa::deviceNodes("hw:2,3", false), std::vector<std::string>{"/dev/snd/pcmC2D3p"});
    EXPECT_EQ(fa::deviceNodes("plughw:0", false), std::vector<std::string>{"/dev/snd/pcmC0D0p"});
    EXPECT_EQ(fa::deviceNodes("hw:CARD=1,DEV=2", true),
              std::vector<std::string>{"/dev/snd/pcmC1D2c"});
    EXPECT_TRUE(fa::deviceNodes("rigjack_raw", true).empty());
    EXPECT_TRUE(fa::deviceNodes("hw:x,y", true).empty());
}

TEST(AlsaDevices, HolderOfAnOpenFileIsNamed) {
    const std::string path =
        (std::filesystem::temp_directory_path() / ("fbalsa-holder-" + std::to_string(getpid())))
            .string();
    std::ofstream(path) << "x";
    int ready[2];
    ASSERT_EQ(pipe(ready), 0);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        FILE* f = std::fopen(path.c_str(), "r");
        const char c = f ? 'y' : 'n';
        if (write(ready[1], &c, 1) != 1) _exit(1);
        pause();
        _exit(0);
    }
    char c = 0;
    ASSERT_EQ(read(ready[0], &c, 1), 1);
    const auto holders = fa::holdersOf(path);
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    std::filesystem::remove(path);
    close(ready[0]);
    close(ready[1]);
    ASSERT_EQ(holders.size(), 1u);
    EXPECT_EQ(holders[0].pid, child);
    EXPECT_FALSE(holders[0].command.empty());
    EXPECT_TRUE(fa::holdersOf("/nonexistent/file").empty());
}

TEST(AlsaDevices, BusyTextsSayHowToFreeTheDevice) {
    EXPECT_NE(fa::busyText("rigjack_raw", true).find("quit it"), std::string::npos);
    // A hw node nobody holds here.
    const std::string t = fa::busyText("hw:5,0", false);
    EXPECT_NE(t.find("fuser -v /dev/snd/pcmC5D0p"), std::string::npos) << t;
    EXPECT_LT(t.size(), 117u);  // fits getErrorMessage after "init: "
}
