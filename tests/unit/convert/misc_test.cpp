// Names, sizes, DSD and unknown types, dispatch, and TPDF dither.
#include <cmath>
#include <cstdlib>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support.hpp"

namespace {

using foldback::convert::DeviceFormat;
using foldback::convert::Dither;
using foldback::convert::Isa;
namespace fc = foldback::convert;

TEST(ConvertNames, EveryPcmTypeHasItsSizeAndName) {
    for (const oracle::Format& f : oracle::pcmFormats()) {
        EXPECT_EQ(fc::sampleBytes(f.type), static_cast<std::size_t>(f.bytes)) << f.name;
        EXPECT_EQ(fc::sampleTypeName(f.type), f.name);
        EXPECT_TRUE(fc::isPcm(f.type)) << f.name;
    }
    for (const oracle::Device& d : oracle::devices()) {
        EXPECT_EQ(fc::deviceFormatName(d.format), d.name);
        EXPECT_EQ(fc::deviceBytes(d.format), fc::sampleBytes(d.same)) << d.name;
    }
    EXPECT_EQ(fc::deviceBytes(DeviceFormat::S24_LE), 4u);
    EXPECT_EQ(fc::deviceBytes(DeviceFormat::S24_3BE), 3u);
}

TEST(ConvertNames, DsdAndUnknownTypesAreReportedUnsupported) {
    const std::vector<std::pair<ASIOSampleType, std::string>> dsd = {
        {ASIOSTDSDInt8LSB1, "DSDInt8LSB1"},
        {ASIOSTDSDInt8MSB1, "DSDInt8MSB1"},
        {ASIOSTDSDInt8NER8, "DSDInt8NER8"},
        {5, "unknown"},
        {ASIOSTLastEntry, "unknown"},
        {-1, "unknown"},
        {1L << 40, "unknown"}};
    for (const auto& [t, name] : dsd) {
        EXPECT_EQ(fc::sampleTypeName(t), name);
        EXPECT_EQ(fc::sampleBytes(t), 0u) << name;
        EXPECT_FALSE(fc::isPcm(t)) << name;
        EXPECT_EQ(fc::toFloat(t), nullptr) << name;
        EXPECT_EQ(fc::fromFloat(t), nullptr) << name;
        EXPECT_EQ(fc::fromFloat(t, Dither::Tpdf), nullptr) << name;
        for (const oracle::Device& d : oracle::devices()) {
            EXPECT_EQ(fc::deinterleave(d.format, t), nullptr) << name;
            EXPECT_EQ(fc::interleave(t, d.format), nullptr) << name;
        }
        for (Isa isa : support::tiers()) {
            EXPECT_EQ(fc::toFloat(t, isa), nullptr);
            EXPECT_EQ(fc::fromFloat(t, Dither::Off, isa), nullptr);
        }
        support::cover(t, "unsupported");
    }
    EXPECT_EQ(fc::deinterleave(static_cast<DeviceFormat>(99), ASIOSTFloat32LSB), nullptr);
    EXPECT_EQ(fc::interleave(ASIOSTFloat32LSB, static_cast<DeviceFormat>(99)), nullptr);
    EXPECT_EQ(fc::deviceBytes(static_cast<DeviceFormat>(99)), 0u);
    EXPECT_EQ(fc::deviceFormatName(static_cast<DeviceFormat>(99)), "unknown");
}

TEST(ConvertDispatch, EveryPcmTypeAndPairHasAKernel) {
    for (const oracle::Format& f : oracle::pcmFormats()) {
        EXPECT_NE(fc::toFloat(f.type), nullptr) << f.name;
        EXPECT_NE(fc::fromFloat(f.type), nullptr) << f.name;
        EXPECT_NE(fc::fromFloat(f.type, Dither::Tpdf), nullptr) << f.name;
        for (const oracle::Device& d : oracle::devices()) {
            EXPECT_NE(fc::deinterleave(d.format, f.type), nullptr) << d.name << " " << f.name;
            EXPECT_NE(fc::interleave(f.type, d.format), nullptr) << f.name << " " << d.name;
        }
    }
}

TEST(ConvertDispatch, TheBestTierThisCpuRunsIsChosen) {
    const char* forced = std::getenv("FOLDBACK_CONVERT_ISA");
    const std::string name(fc::isaName());
    if (forced != nullptr) {
        EXPECT_EQ(name, forced) << "FOLDBACK_CONVERT_ISA is not honoured";
    } else {
        EXPECT_EQ(name, support::tierName(support::tiers().back()));
    }
#if defined(__x86_64__)
    EXPECT_TRUE(fc::isaSupported(Isa::Sse2));
    EXPECT_EQ(fc::isaSupported(Isa::Avx2), __builtin_cpu_supports("avx2") != 0);
#endif
    // a selector hands out the chosen tier's kernel
    EXPECT_EQ(fc::toFloat(ASIOSTInt24LSB), fc::toFloat(ASIOSTInt24LSB, fc::activeIsa()));
}

// ---- TPDF dither ------------------------------------------------------------------------

std::vector<std::int32_t> quantize16(ASIOSampleType t, Dither d, const std::vector<float>& in) {
    const oracle::Format& f = oracle::format(t);
    std::vector<std::uint8_t> out(in.size() * f.bytes);
    fc::fromFloat(t, d)(in.data(), out.data(), in.size());
    std::vector<std::int32_t> v(in.size());
    for (std::size_t i = 0; i < in.size(); ++i)
        v[i] = static_cast<std::int32_t>(std::ldexp(oracle::decode(f, &out[i * f.bytes]), 15));
    return v;
}

TEST(ConvertDither, OffByDefault) {
    std::mt19937 rng(1);
    std::vector<float> in(4096);
    for (auto& x : in) x = std::uniform_real_distribution<float>(-1, 1)(rng);
    for (ASIOSampleType t : {ASIOSTInt16LSB, ASIOSTInt16MSB, ASIOSTInt32LSB16}) {
        EXPECT_EQ(fc::fromFloat(t), fc::fromFloat(t, Dither::Off));
        EXPECT_EQ(quantize16(t, Dither::Off, in), quantize16(t, Dither::Off, in));
    }
    // Dither applies to 16-bit targets only: a 24-bit target is never dithered.
    EXPECT_EQ(fc::fromFloat(ASIOSTInt24LSB, Dither::Tpdf), fc::fromFloat(ASIOSTInt24LSB));
    EXPECT_EQ(fc::fromFloat(ASIOSTFloat32LSB, Dither::Tpdf), fc::fromFloat(ASIOSTFloat32LSB));
}

TEST(ConvertDither, TpdfIsTriangularAndUnbiased) {
    for (ASIOSampleType t : {ASIOSTInt16LSB, ASIOSTInt16MSB, ASIOSTInt32LSB16, ASIOSTInt32MSB16}) {
        const std::size_t n = 1 << 16;
        // silence becomes -1, 0 or +1 LSB, mostly 0, symmetric
        const auto silence = quantize16(t, Dither::Tpdf, std::vector<float>(n, 0.0f));
        std::size_t counts[3] = {0, 0, 0};
        for (std::int32_t v : silence) {
            ASSERT_GE(v, -1);
            ASSERT_LE(v, 1);
            ++counts[v + 1];
        }
        // P(|noise| > 0.5 LSB) = 1/8 each side for a triangle of +-1 LSB
        EXPECT_NEAR(counts[0] / double(n), 0.125, 0.01) << fc::sampleTypeName(t);
        EXPECT_NEAR(counts[2] / double(n), 0.125, 0.01) << fc::sampleTypeName(t);
        // a quarter of an LSB, which plain rounding would erase, survives on average
        const float quarter = 0.25f / 32768.0f;
        const auto q = quantize16(t, Dither::Tpdf, std::vector<float>(n, quarter));
        EXPECT_NEAR(std::accumulate(q.begin(), q.end(), 0.0) / n, 0.25, 0.01);
        EXPECT_EQ(quantize16(t, Dither::Off, std::vector<float>(8, quarter)),
                  std::vector<std::int32_t>(8, 0));
        // error stays within 1.5 LSB of the exact value
        std::mt19937 rng(2);
        std::vector<float> in(n);
        for (auto& x : in) x = std::uniform_real_distribution<float>(-0.99f, 0.99f)(rng);
        const auto d = quantize16(t, Dither::Tpdf, in);
        for (std::size_t i = 0; i < n; ++i)
            ASSERT_LE(std::fabs(d[i] - in[i] * 32768.0), 1.5) << in[i];
        // and the edges keep their meaning
        const std::vector<float> edges = {1.0f,          -1.0f,    4.0f,     -4.0f,
                                          std::nanf(""), INFINITY, -INFINITY};
        for (int rep = 0; rep < 64; ++rep) {
            const auto e = quantize16(t, Dither::Tpdf, edges);
            EXPECT_GE(e[0], 32766);
            EXPECT_LE(e[1], -32767);
            EXPECT_EQ(e[2], 32767);
            EXPECT_EQ(e[3], -32768);
            EXPECT_EQ(e[4], 0) << "NaN";
            EXPECT_EQ(e[5], 32767);
            EXPECT_EQ(e[6], -32768);
        }
        // two calls do not repeat the same noise
        EXPECT_NE(quantize16(t, Dither::Tpdf, std::vector<float>(256, 0.0f)),
                  quantize16(t, Dither::Tpdf, std::vector<float>(256, 0.0f)));
    }
}

}  // namespace
