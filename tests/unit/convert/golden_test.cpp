// Golden vectors: literal bytes in, literal values out, for the edges a listener would
// hear first: full scale, -full scale, zero, one step either side, denormals, NaN, Inf.
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "support.hpp"

namespace {

using foldback::convert::Dither;
using foldback::convert::Isa;
namespace fc = foldback::convert;

struct IntGolden {
    ASIOSampleType type;
    std::vector<std::uint8_t> bytes;
    float expected;
};

std::uint32_t bits(float x) {
    std::uint32_t u;
    std::memcpy(&u, &x, 4);
    return u;
}

TEST(ConvertGolden, IntegerBytesBecomeTheDefinedFloats) {
    const float i16 = 0x1p-15f, i18 = 0x1p-17f, i20 = 0x1p-19f, i24 = 0x1p-23f, i32 = 0x1p-31f;
    const std::vector<IntGolden> table = {
        {ASIOSTInt16LSB, {0xff, 0x7f}, 32767 * i16},
        {ASIOSTInt16LSB, {0x00, 0x80}, -1.0f},
        {ASIOSTInt16LSB, {0x01, 0x00}, i16},
        {ASIOSTInt16LSB, {0xff, 0xff}, -i16},
        {ASIOSTInt16LSB, {0x00, 0x00}, 0.0f},
        {ASIOSTInt16MSB, {0x7f, 0xff}, 32767 * i16},
        {ASIOSTInt16MSB, {0x80, 0x00}, -1.0f},
        {ASIOSTInt16MSB, {0x00, 0x01}, i16},
        {ASIOSTInt16MSB, {0xff, 0xff}, -i16},
        {ASIOSTInt24LSB, {0xff, 0xff, 0x7f}, 8388607 * i24},
        {ASIOSTInt24LSB, {0x00, 0x00, 0x80}, -1.0f},
        {ASIOSTInt24LSB, {0x01, 0x00, 0x00}, i24},
        {ASIOSTInt24LSB, {0xff, 0xff, 0xff}, -i24},
        {ASIOSTInt24MSB, {0x7f, 0xff, 0xff}, 8388607 * i24},
        {ASIOSTInt24MSB, {0x80, 0x00, 0x00}, -1.0f},
        {ASIOSTInt24MSB, {0x00, 0x00, 0x01}, i24},
        {ASIOSTInt24MSB, {0xff, 0xff, 0xff}, -i24},
        // 2^31 - 1 is not a float: it rounds to the nearest one, 1.0
        {ASIOSTInt32LSB, {0xff, 0xff, 0xff, 0x7f}, 1.0f},
        {ASIOSTInt32LSB, {0x00, 0x00, 0x00, 0x80}, -1.0f},
        {ASIOSTInt32LSB, {0x01, 0x00, 0x00, 0x00}, i32},
        {ASIOSTInt32LSB, {0xff, 0xff, 0xff, 0xff}, -i32},
        // 2^31 - 64 is a tie between 2^31 - 128 (odd mantissa) and 2^31 (even): up
        {ASIOSTInt32LSB, {0xc0, 0xff, 0xff, 0x7f}, 1.0f},
        // 2^31 - 192 is a tie between 2^31 - 256 (even) and 2^31 - 128 (odd): down
        {ASIOSTInt32LSB, {0x40, 0xff, 0xff, 0x7f}, (2147483648.0f - 256.0f) * i32},
        {ASIOSTInt32MSB, {0x7f, 0xff, 0xff, 0xff}, 1.0f},
        {ASIOSTInt32MSB, {0x80, 0x00, 0x00, 0x00}, -1.0f},
        {ASIOSTInt32MSB, {0x00, 0x00, 0x00, 0x01}, i32},
        // Int32xxNN: right-justified, sign taken from bit N-1, the high bits ignored
        {ASIOSTInt32LSB16, {0xff, 0x7f, 0x00, 0x00}, 32767 * i16},
        {ASIOSTInt32LSB16, {0x00, 0x80, 0xff, 0xff}, -1.0f},
        {ASIOSTInt32LSB16, {0x00, 0x80, 0x00, 0x00}, -1.0f},
        {ASIOSTInt32LSB16, {0xff, 0xff, 0xff, 0xff}, -i16},
        {ASIOSTInt32LSB18, {0xff, 0xff, 0x01, 0x00}, 131071 * i18},
        {ASIOSTInt32LSB18, {0x00, 0x00, 0xfe, 0xff}, -1.0f},
        {ASIOSTInt32LSB18, {0x01, 0x00, 0x00, 0x00}, i18},
        {ASIOSTInt32LSB20, {0xff, 0xff, 0x07, 0x00}, 524287 * i20},
        {ASIOSTInt32LSB20, {0x00, 0x00, 0xf8, 0xff}, -1.0f},
        {ASIOSTInt32LSB20, {0xff, 0xff, 0xff, 0xff}, -i20},
        {ASIOSTInt32LSB24, {0xff, 0xff, 0x7f, 0x00}, 8388607 * i24},
        {ASIOSTInt32LSB24, {0x00, 0x00, 0x80, 0xff}, -1.0f},
        {ASIOSTInt32LSB24, {0x01, 0x00, 0x00, 0xff}, i24},  // high byte is not the sign
        {ASIOSTInt32MSB16, {0x00, 0x00, 0x7f, 0xff}, 32767 * i16},
        {ASIOSTInt32MSB16, {0xff, 0xff, 0x80, 0x00}, -1.0f},
        {ASIOSTInt32MSB18, {0x00, 0x01, 0xff, 0xff}, 131071 * i18},
        {ASIOSTInt32MSB18, {0xff, 0xfe, 0x00, 0x00}, -1.0f},
        {ASIOSTInt32MSB20, {0x00, 0x07, 0xff, 0xff}, 524287 * i20},
        {ASIOSTInt32MSB20, {0xff, 0xf8, 0x00, 0x00}, -1.0f},
        {ASIOSTInt32MSB24, {0x00, 0x7f, 0xff, 0xff}, 8388607 * i24},
        {ASIOSTInt32MSB24, {0xff, 0x80, 0x00, 0x00}, -1.0f},
        {ASIOSTInt32MSB24, {0x00, 0x00, 0x00, 0x01}, i24},
    };
    for (Isa isa : support::tiers()) {
        for (const IntGolden& g : table) {
            // a run of 37 equal samples reaches both the vector body and the scalar tail
            const std::size_t n = 37;
            std::vector<std::uint8_t> in;
            for (std::size_t i = 0; i < n; ++i) in.insert(in.end(), g.bytes.begin(), g.bytes.end());
            std::vector<float> out(n, 99.0f);
            fc::toFloat(g.type, isa)(in.data(), out.data(), n);
            for (std::size_t i = 0; i < n; ++i) {
                ASSERT_EQ(bits(out[i]), bits(g.expected))
                    << fc::sampleTypeName(g.type) << " sample " << i << " tier "
                    << support::tierName(isa) << ": got " << out[i] << " want " << g.expected;
            }
            support::cover(g.type, "golden");
        }
    }
}

// What each float becomes in an integer of B bits, as a count of LSBs.
struct FloatCase {
    float in;
    const char* what;
    std::int64_t (*expect)(int bits);
};

std::int64_t fullPos(int b) {
    return (std::int64_t{1} << (b - 1)) - 1;
}
std::int64_t fullNeg(int b) {
    return -(std::int64_t{1} << (b - 1));
}

TEST(ConvertGolden, EdgeFloatsBecomeTheDefinedIntegers) {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float inf = std::numeric_limits<float>::infinity();
    for (Isa isa : support::tiers()) {
        for (const oracle::Format& f : oracle::pcmFormats()) {
            if (f.kind != oracle::Kind::Int) continue;
            const int b = f.bits;
            const float lsb = std::ldexp(1.0f, -(b - 1));
            struct Row {
                float in;
                std::int64_t want;
                const char* what;
            };
            std::vector<Row> rows = {
                {1.0f, fullPos(b), "+1.0 saturates to +full scale"},
                {-1.0f, fullNeg(b), "-1.0 is -full scale"},
                {0.0f, 0, "0"},
                {-0.0f, 0, "-0"},
                {lsb, 1, "+1 LSB"},
                {-lsb, -1, "-1 LSB"},
                {0.5f * lsb, 0, "+0.5 LSB ties to even (0)"},
                {-0.5f * lsb, 0, "-0.5 LSB ties to even (0)"},
                {1.5f * lsb, 2, "1.5 LSB ties to even (2)"},
                {-1.5f * lsb, -2, "-1.5 LSB ties to even (-2)"},
                {2.5f * lsb, 2, "2.5 LSB ties to even (2)"},
                {0.75f * lsb, 1, "0.75 LSB rounds to 1"},
                {std::numeric_limits<float>::denorm_min(), 0, "+denormal"},
                {-std::numeric_limits<float>::denorm_min(), 0, "-denormal"},
                {FLT_MIN, 0, "smallest normal"},
                {nan, 0, "NaN -> 0"},
                {-nan, 0, "-NaN -> 0"},
                {inf, fullPos(b), "+Inf -> +full scale"},
                {-inf, fullNeg(b), "-Inf -> -full scale"},
                {2.0f, fullPos(b), "+2.0 saturates"},
                {-2.0f, fullNeg(b), "-2.0 saturates"},
                {FLT_MAX, fullPos(b), "FLT_MAX saturates"},
                {-FLT_MAX, fullNeg(b), "-FLT_MAX saturates"},
                {1.0f - 0x1p-24f, b == 32 ? 0x7fffff80 : fullPos(b), "largest float below 1"},
            };
            if (b <= 24) {
                rows.push_back({1.0f - lsb, fullPos(b), "1 - 1 LSB is +full scale"});
                rows.push_back({-1.0f + lsb, fullNeg(b) + 1, "-1 + 1 LSB"});
                rows.push_back(
                    {1.0f - 0.5f * lsb, fullPos(b), "1 - 0.5 LSB ties up to 2^(B-1), saturates"});
            }
            for (const Row& r : rows) {
                const std::size_t n = 19;
                std::vector<float> in(n, r.in);
                std::vector<std::uint8_t> out(n * f.bytes, 0xa5);
                fc::fromFloat(f.type, Dither::Off, isa)(in.data(), out.data(), n);
                std::vector<std::uint8_t> want(f.bytes);
                oracle::writeWord(f, static_cast<std::uint64_t>(r.want), want.data());
                for (std::size_t i = 0; i < n; ++i) {
                    ASSERT_EQ(oracle::hex(f, &out[i * f.bytes]), oracle::hex(f, want.data()))
                        << f.name << " " << r.what << " (sample " << i << ", tier "
                        << support::tierName(isa) << ")";
                }
            }
            support::cover(f.type, "golden");
        }
    }
}

TEST(ConvertGolden, LiteralIntegerBytes) {
    // The byte layouts spelled out once, so a consistent mistake in the oracle shows.
    struct Row {
        ASIOSampleType type;
        float in;
        std::vector<std::uint8_t> want;
    };
    const std::vector<Row> rows = {
        {ASIOSTInt16LSB, 1.0f, {0xff, 0x7f}},
        {ASIOSTInt16MSB, -1.0f, {0x80, 0x00}},
        {ASIOSTInt24LSB, -0x1p-23f, {0xff, 0xff, 0xff}},
        {ASIOSTInt24MSB, 0.5f, {0x40, 0x00, 0x00}},
        {ASIOSTInt32LSB, -1.0f, {0x00, 0x00, 0x00, 0x80}},
        {ASIOSTInt32MSB, 0x1p-31f, {0x00, 0x00, 0x00, 0x01}},
        {ASIOSTInt32LSB16, -0x1p-15f, {0xff, 0xff, 0xff, 0xff}},
        {ASIOSTInt32LSB24, 1.0f, {0xff, 0xff, 0x7f, 0x00}},
        {ASIOSTInt32LSB24, -1.0f, {0x00, 0x00, 0x80, 0xff}},
        {ASIOSTInt32MSB20, 1.0f, {0x00, 0x07, 0xff, 0xff}},
        {ASIOSTInt32MSB18, -1.0f, {0xff, 0xfe, 0x00, 0x00}},
    };
    for (Isa isa : support::tiers()) {
        for (const Row& r : rows) {
            std::vector<std::uint8_t> out(r.want.size() * 9, 0);
            std::vector<float> in(9, r.in);
            fc::fromFloat(r.type, Dither::Off, isa)(in.data(), out.data(), 9);
            for (std::size_t i = 0; i < 9; ++i)
                ASSERT_TRUE(
                    std::equal(r.want.begin(), r.want.end(), out.begin() + i * r.want.size()))
                    << fc::sampleTypeName(r.type) << " tier " << support::tierName(isa);
        }
    }
}

TEST(ConvertGolden, FloatFormatsKeepSpecials) {
    const float inf = std::numeric_limits<float>::infinity();
    const float den = std::numeric_limits<float>::denorm_min();
    for (Isa isa : support::tiers()) {
        // Float32 MSB: bytes reversed, values (specials included) untouched
        {
            const float in[5] = {1.0f, -inf, den, -0.0f, std::nanf("")};
            std::uint8_t msb[20];
            fc::fromFloat(ASIOSTFloat32MSB, Dither::Off, isa)(in, msb, 5);
            const std::uint8_t one[4] = {0x3f, 0x80, 0x00, 0x00};
            EXPECT_EQ(0, std::memcmp(msb, one, 4));
            const std::uint8_t ninf[4] = {0xff, 0x80, 0x00, 0x00};
            EXPECT_EQ(0, std::memcmp(msb + 4, ninf, 4));
            const std::uint8_t dmin[4] = {0x00, 0x00, 0x00, 0x01};
            EXPECT_EQ(0, std::memcmp(msb + 8, dmin, 4));
            float back[5];
            fc::toFloat(ASIOSTFloat32MSB, isa)(msb, back, 5);
            EXPECT_EQ(bits(back[0]), bits(1.0f));
            EXPECT_EQ(bits(back[1]), bits(-inf));
            EXPECT_EQ(bits(back[2]), bits(den));
            EXPECT_EQ(bits(back[3]), bits(-0.0f));
            EXPECT_TRUE(std::isnan(back[4]));
            support::cover(ASIOSTFloat32MSB, "golden");
        }
        // Float32 LSB is the host layout itself
        {
            const float in[3] = {0.25f, -den, inf};
            float out[3], back[3];
            fc::fromFloat(ASIOSTFloat32LSB, Dither::Off, isa)(in, out, 3);
            fc::toFloat(ASIOSTFloat32LSB, isa)(out, back, 3);
            for (int i = 0; i < 3; ++i) EXPECT_EQ(bits(back[i]), bits(in[i]));
            support::cover(ASIOSTFloat32LSB, "golden");
        }
        // Float64: exact widening; narrowing rounds to nearest, underflows to a float
        // denormal or zero, overflows to infinity
        for (ASIOSampleType t : {ASIOSTFloat64LSB, ASIOSTFloat64MSB}) {
            const oracle::Format& f = oracle::format(t);
            const double in[7] = {1.0, -1.0, 1e-40, 1e-50, 1e300, -1e300, 1.0 + 0x1p-30};
            const float want[7] = {1.0f, -1.0f, 1e-40f, 0.0f, inf, -inf, 1.0f};
            std::vector<std::uint8_t> bytes(7 * 8);
            for (int i = 0; i < 7; ++i) oracle::encode(f, in[i], &bytes[i * 8]);
            float out[7];
            fc::toFloat(t, isa)(bytes.data(), out, 7);
            for (int i = 0; i < 7; ++i)
                EXPECT_EQ(bits(out[i]), bits(want[i])) << f.name << " " << in[i];
            EXPECT_NE(bits(out[2]), 0u) << "1e-40 is a float denormal, not zero";
            const float wide[3] = {den, -inf, 0x1.fffffep-1f};
            std::uint8_t wb[24];
            fc::fromFloat(t, Dither::Off, isa)(wide, wb, 3);
            for (int i = 0; i < 3; ++i)
                EXPECT_EQ(oracle::decode(f, wb + 8 * i), static_cast<double>(wide[i]));
            support::cover(t, "golden");
        }
    }
}

}  // namespace
