// Lossless round trips are bit-exact: every integer of 24 bits or fewer through Float32
// (exhaustively), Int32 through Float64, Float32 through Float64, and every byte-order
// swap. Int32 -> Float32 is lossy and is held to the defined rounding instead.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "support.hpp"

namespace {

using foldback::convert::DeviceFormat;
using foldback::convert::Dither;
using foldback::convert::Isa;
namespace fc = foldback::convert;

TEST(ConvertRoundTrip, EveryIntegerUpTo24BitsSurvivesFloat32) {
    for (const oracle::Format& f : oracle::pcmFormats()) {
        if (f.kind != oracle::Kind::Int || f.bits > 24) continue;
        // every code of the format, canonical bytes (high bits a copy of the sign)
        const std::size_t count = std::size_t{1} << f.bits;
        std::vector<std::uint8_t> in(count * f.bytes);
        for (std::size_t i = 0; i < count; ++i) {
            std::int64_t v = static_cast<std::int64_t>(i);
            if (v >> (f.bits - 1)) v -= static_cast<std::int64_t>(count);
            oracle::writeWord(f, static_cast<std::uint64_t>(v), &in[i * f.bytes]);
        }
        std::vector<float> mid(count);
        std::vector<std::uint8_t> back(in.size());
        for (Isa isa : support::tiers()) {
            fc::toFloat(f.type, isa)(in.data(), mid.data(), count);
            fc::fromFloat(f.type, Dither::Off, isa)(mid.data(), back.data(), count);
            const auto bad = std::mismatch(in.begin(), in.end(), back.begin());
            ASSERT_TRUE(bad.first == in.end())
                << f.name << " tier " << support::tierName(isa) << ": code "
                << (bad.first - in.begin()) / f.bytes << " came back different";
            const auto [lo, hi] = std::minmax_element(mid.begin(), mid.end());
            EXPECT_EQ(*lo, -1.0f) << f.name;
            EXPECT_EQ(*hi, 1.0f - std::ldexp(1.0f, -(f.bits - 1))) << f.name;
        }
        support::cover(f.type, "round-trip");
    }
}

TEST(ConvertRoundTrip, Float32FormatsAreBitExactThroughTheHostLayer) {
    std::mt19937 rng(7);
    for (ASIOSampleType t : {ASIOSTFloat32LSB, ASIOSTFloat32MSB}) {
        const oracle::Format& f = oracle::format(t);
        const std::size_t n = 100003;
        std::vector<std::uint8_t> in(n * 4);
        support::fillRandom(f, in.data(), n, rng);
        std::vector<float> mid(n);
        std::vector<std::uint8_t> back(in.size());
        for (Isa isa : support::tiers()) {
            fc::toFloat(t, isa)(in.data(), mid.data(), n);
            fc::fromFloat(t, Dither::Off, isa)(mid.data(), back.data(), n);
            for (std::size_t i = 0; i < n; ++i)
                ASSERT_TRUE(oracle::sameSample(f, &in[i * 4], &back[i * 4]))
                    << f.name << " " << oracle::hex(f, &in[i * 4]) << " -> "
                    << oracle::hex(f, &back[i * 4]);
        }
        support::cover(t, "round-trip");
    }
}

// Device format -> ASIO type -> device format, through the driver-side kernels.
void deviceRoundTrip(const oracle::Device& dev, ASIOSampleType via, bool canonical) {
    const oracle::Format& df = oracle::format(dev.same);
    const oracle::Format& vf = oracle::format(via);
    std::mt19937 rng(11);
    for (std::size_t channels : {1u, 2u, 3u, 8u, 11u}) {
        const std::size_t frames = 1031;
        std::vector<std::uint8_t> in(frames * channels * df.bytes);
        if (canonical && df.kind == oracle::Kind::Int) {
            support::fillCanonical(df, in.data(), frames * channels, rng);
        } else {
            support::fillRandom(df, in.data(), frames * channels, rng);
        }
        if (df.kind == oracle::Kind::Int) {  // the extremes, whatever the dice said
            oracle::encode(df, -1.0, in.data());
            oracle::encode(df, 1.0, in.data() + df.bytes);
        }
        std::vector<std::vector<std::uint8_t>> mid(channels,
                                                   std::vector<std::uint8_t>(frames * vf.bytes));
        std::vector<void*> midPtr;
        for (auto& m : mid) midPtr.push_back(m.data());
        std::vector<const void*> midConst(midPtr.begin(), midPtr.end());
        std::vector<std::uint8_t> back(in.size());
        for (Isa isa : support::tiers()) {
            auto de = fc::deinterleave(dev.format, via, isa);
            auto re = fc::interleave(via, dev.format, isa);
            ASSERT_NE(de, nullptr) << dev.name << " -> " << vf.name;
            ASSERT_NE(re, nullptr) << vf.name << " -> " << dev.name;
            de(in.data(), channels, midPtr.data(), frames);
            re(midConst.data(), channels, back.data(), frames);
            for (std::size_t i = 0; i < frames * channels; ++i)
                ASSERT_TRUE(oracle::sameSample(df, &in[i * df.bytes], &back[i * df.bytes]))
                    << dev.name << " -> " << vf.name << " -> " << dev.name << " tier "
                    << support::tierName(isa) << " sample " << i << ": "
                    << oracle::hex(df, &in[i * df.bytes]) << " came back as "
                    << oracle::hex(df, &back[i * df.bytes]);
            if (via == dev.swapped) {
                // the middle really is the other byte order
                for (std::size_t f = 0; f < frames; ++f) {
                    for (std::size_t c = 0; c < channels; ++c) {
                        const std::uint8_t* s = &in[(f * channels + c) * df.bytes];
                        const std::uint8_t* m = &mid[c][f * vf.bytes];
                        ASSERT_TRUE(
                            std::equal(s, s + df.bytes, std::reverse_iterator(m + vf.bytes)))
                            << dev.name << " -> " << vf.name;
                    }
                }
            }
        }
    }
    support::cover(dev.same, "round-trip");
    support::cover(via, "round-trip");
    support::coverDevice(dev.format, std::string("round-trip via ") + vf.name);
}

TEST(ConvertRoundTrip, Int32SurvivesFloat64) {
    for (const oracle::Device& dev : oracle::devices()) {
        if (dev.same != ASIOSTInt32LSB && dev.same != ASIOSTInt32MSB) continue;
        deviceRoundTrip(dev, ASIOSTFloat64LSB, false);
        deviceRoundTrip(dev, ASIOSTFloat64MSB, false);
    }
}

TEST(ConvertRoundTrip, IntegersSurviveFloat64AndFloat32) {
    for (const oracle::Device& dev : oracle::devices()) {
        const oracle::Format& df = oracle::format(dev.same);
        if (df.kind != oracle::Kind::Int) continue;
        deviceRoundTrip(dev, ASIOSTFloat64LSB, true);
        if (df.bits <= 24) deviceRoundTrip(dev, ASIOSTFloat32LSB, true);
    }
}

TEST(ConvertRoundTrip, Float32SurvivesFloat64) {
    for (const oracle::Device& dev : oracle::devices()) {
        if (dev.same != ASIOSTFloat32LSB && dev.same != ASIOSTFloat32MSB) continue;
        deviceRoundTrip(dev, ASIOSTFloat64LSB, false);
        deviceRoundTrip(dev, ASIOSTFloat64MSB, false);
    }
}

TEST(ConvertRoundTrip, EveryByteOrderSwapIsBitExact) {
    for (const oracle::Device& dev : oracle::devices()) deviceRoundTrip(dev, dev.swapped, true);
}

TEST(ConvertRoundTrip, NativePairsMoveBytesUntouched) {
    // Same bytes on both sides: pure de/interleave, garbage high bits and NaN payloads kept.
    for (const oracle::Device& dev : oracle::devices()) {
        const oracle::Format& f = oracle::format(dev.same);
        std::mt19937 rng(5);
        const std::size_t channels = 5, frames = 77;
        std::vector<std::uint8_t> in(channels * frames * f.bytes);
        for (auto& b : in) b = static_cast<std::uint8_t>(rng());
        std::vector<std::vector<std::uint8_t>> mid(channels,
                                                   std::vector<std::uint8_t>(frames * f.bytes));
        std::vector<void*> p;
        for (auto& m : mid) p.push_back(m.data());
        std::vector<const void*> cp(p.begin(), p.end());
        std::vector<std::uint8_t> back(in.size());
        for (Isa isa : support::tiers()) {
            fc::deinterleave(dev.format, dev.same, isa)(in.data(), channels, p.data(), frames);
            for (std::size_t c = 0; c < channels; ++c)
                for (std::size_t fr = 0; fr < frames; ++fr)
                    ASSERT_EQ(0, std::memcmp(&mid[c][fr * f.bytes],
                                             &in[(fr * channels + c) * f.bytes], f.bytes));
            fc::interleave(dev.same, dev.format, isa)(cp.data(), channels, back.data(), frames);
            ASSERT_EQ(in, back) << dev.name << " tier " << support::tierName(isa);
        }
        support::coverDevice(dev.format, std::string("native ") + f.name);
    }
}

TEST(ConvertRoundTrip, Int32ToFloat32FollowsTheDefinedRounding) {
    // Lossy: a float keeps 24 bits. Each result must be the float nearest v / 2^31 (ties
    // to even), and going back must land within half a float step of the original.
    std::mt19937 rng(3);
    std::vector<std::int32_t> in(200003);
    for (auto& v : in) v = static_cast<std::int32_t>(rng());
    // ties and neighbours at every exponent
    for (int e = 24; e < 31; ++e) {
        const std::int32_t step = std::int32_t{1} << (e - 23);
        in[2 * e] = (std::int32_t{1} << e) + step / 2;
        in[2 * e + 1] = -((std::int32_t{1} << e) + 3 * step / 2);
    }
    in[0] = INT32_MAX;
    in[1] = INT32_MIN;
    for (ASIOSampleType t : {ASIOSTInt32LSB, ASIOSTInt32MSB}) {
        const oracle::Format& f = oracle::format(t);
        std::vector<std::uint8_t> bytes(in.size() * 4);
        for (std::size_t i = 0; i < in.size(); ++i)
            oracle::writeWord(f, static_cast<std::uint32_t>(in[i]), &bytes[i * 4]);
        std::vector<float> out(in.size());
        std::vector<std::uint8_t> back(bytes.size());
        for (Isa isa : support::tiers()) {
            fc::toFloat(t, isa)(bytes.data(), out.data(), in.size());
            fc::fromFloat(t, Dither::Off, isa)(out.data(), back.data(), in.size());
            for (std::size_t i = 0; i < in.size(); ++i) {
                const float want = static_cast<float>(std::ldexp(static_cast<double>(in[i]), -31));
                ASSERT_EQ(out[i], want) << f.name << " " << in[i];
                const double err = std::fabs(static_cast<double>(static_cast<std::int32_t>(
                                                 oracle::readWord(f, &back[i * 4]))) -
                                             in[i]);
                ASSERT_LE(err, 64.0) << f.name << " " << in[i];
            }
            EXPECT_EQ(out[0], 1.0f) << "2^31 - 1 rounds to 1.0";
            EXPECT_EQ(static_cast<std::int32_t>(oracle::readWord(f, &back[0])), INT32_MAX)
                << "and 1.0 saturates back to 2^31 - 1";
        }
        support::cover(t, "round-trip");
    }
}

}  // namespace
