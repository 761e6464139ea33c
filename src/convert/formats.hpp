// src/convert/formats.hpp: internal. The sample formats as data (size, width, byte order)
// and the one-sample codecs every kernel is built from. The numeric model is in
// docs/convert.md:
//   an integer of B valid bits means  v / 2^(B-1)           (exact in float for B <= 24)
//   float -> integer                  round-to-nearest-even(x * 2^(B-1)), saturated to
//                                     [-2^(B-1), 2^(B-1) - 1]; NaN -> 0; +-Inf -> +-full scale
//   float <-> double                  IEEE conversion (round to nearest even)
//
// Everything here sits in an unnamed namespace on purpose: this header is compiled into
// translation units with different -m flags (scalar, SSE2, AVX2). With external linkage an
// out-of-line copy of an inline function built with AVX2 could be the one the linker keeps
// and end up called on a CPU without AVX2.
#pragma once

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "convert/convert.hpp"
#include "foldback/asio.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static_assert(std::endian::native == std::endian::little,
              "src/convert assumes a little-endian host (x86-64, arm64, riscv64)");

namespace foldback::convert::detail {
namespace {

enum class Kind { Int, Float32, Float64 };

struct TypeInfo {
    Kind kind;
    int bytes;  // storage per sample
    int bits;   // valid bits (integers: right-justified in the storage word)
    bool bigEndian;
};

// Every PCM type of spec §3.2, in one fixed order that indexes the kernel tables.
inline constexpr ASIOSampleType kPcmTypes[] = {
    ASIOSTInt16LSB,   ASIOSTInt24LSB,   ASIOSTInt32LSB,   ASIOSTFloat32LSB, ASIOSTFloat64LSB,
    ASIOSTInt32LSB16, ASIOSTInt32LSB18, ASIOSTInt32LSB20, ASIOSTInt32LSB24, ASIOSTInt16MSB,
    ASIOSTInt24MSB,   ASIOSTInt32MSB,   ASIOSTFloat32MSB, ASIOSTFloat64MSB, ASIOSTInt32MSB16,
    ASIOSTInt32MSB18, ASIOSTInt32MSB20, ASIOSTInt32MSB24};
inline constexpr std::size_t kNumPcm = sizeof(kPcmTypes) / sizeof(kPcmTypes[0]);

inline constexpr DeviceFormat kDeviceFormats[] = {
    DeviceFormat::S16_LE,   DeviceFormat::S16_BE,    DeviceFormat::S24_3LE, DeviceFormat::S24_3BE,
    DeviceFormat::S24_LE,   DeviceFormat::S32_LE,    DeviceFormat::S32_BE,  DeviceFormat::FLOAT_LE,
    DeviceFormat::FLOAT_BE, DeviceFormat::FLOAT64_LE};
inline constexpr std::size_t kNumDevice = sizeof(kDeviceFormats) / sizeof(kDeviceFormats[0]);

// -1 for DSD and unknown values.
constexpr int pcmIndex(ASIOSampleType t) noexcept {
    for (std::size_t i = 0; i < kNumPcm; ++i)
        if (kPcmTypes[i] == t) return static_cast<int>(i);
    return -1;
}

constexpr int deviceIndex(DeviceFormat f) noexcept {
    for (std::size_t i = 0; i < kNumDevice; ++i)
        if (kDeviceFormats[i] == f) return static_cast<int>(i);
    return -1;
}

// A device format is bit for bit one of the ASIO types; S24_LE is Int32LSB24.
constexpr ASIOSampleType deviceType(DeviceFormat f) noexcept {
    switch (f) {
        case DeviceFormat::S16_LE:
            return ASIOSTInt16LSB;
        case DeviceFormat::S16_BE:
            return ASIOSTInt16MSB;
        case DeviceFormat::S24_3LE:
            return ASIOSTInt24LSB;
        case DeviceFormat::S24_3BE:
            return ASIOSTInt24MSB;
        case DeviceFormat::S24_LE:
            return ASIOSTInt32LSB24;
        case DeviceFormat::S32_LE:
            return ASIOSTInt32LSB;
        case DeviceFormat::S32_BE:
            return ASIOSTInt32MSB;
        case DeviceFormat::FLOAT_LE:
            return ASIOSTFloat32LSB;
        case DeviceFormat::FLOAT_BE:
            return ASIOSTFloat32MSB;
        case DeviceFormat::FLOAT64_LE:
            return ASIOSTFloat64LSB;
    }
    return -1;
}

constexpr TypeInfo typeInfo(ASIOSampleType t) noexcept {
    switch (t) {
        case ASIOSTInt16LSB:
            return {Kind::Int, 2, 16, false};
        case ASIOSTInt24LSB:
            return {Kind::Int, 3, 24, false};
        case ASIOSTInt32LSB:
            return {Kind::Int, 4, 32, false};
        case ASIOSTFloat32LSB:
            return {Kind::Float32, 4, 32, false};
        case ASIOSTFloat64LSB:
            return {Kind::Float64, 8, 64, false};
        case ASIOSTInt32LSB16:
            return {Kind::Int, 4, 16, false};
        case ASIOSTInt32LSB18:
            return {Kind::Int, 4, 18, false};
        case ASIOSTInt32LSB20:
            return {Kind::Int, 4, 20, false};
        case ASIOSTInt32LSB24:
            return {Kind::Int, 4, 24, false};
        case ASIOSTInt16MSB:
            return {Kind::Int, 2, 16, true};
        case ASIOSTInt24MSB:
            return {Kind::Int, 3, 24, true};
        case ASIOSTInt32MSB:
            return {Kind::Int, 4, 32, true};
        case ASIOSTFloat32MSB:
            return {Kind::Float32, 4, 32, true};
        case ASIOSTFloat64MSB:
            return {Kind::Float64, 8, 64, true};
        case ASIOSTInt32MSB16:
            return {Kind::Int, 4, 16, true};
        case ASIOSTInt32MSB18:
            return {Kind::Int, 4, 18, true};
        case ASIOSTInt32MSB20:
            return {Kind::Int, 4, 20, true};
        case ASIOSTInt32MSB24:
            return {Kind::Int, 4, 24, true};
        default:
            return {Kind::Int, 0, 0, false};
    }
}

// Integers whose every value is exact in a float (the lossless round trip through
// Float32 holds for them).
constexpr bool exactInFloat(ASIOSampleType t) noexcept {
    const TypeInfo i = typeInfo(t);
    return i.bytes != 0 && (i.kind == Kind::Float32 || (i.kind == Kind::Int && i.bits <= 24));
}

// ---- rounding ---------------------------------------------------------------------------
// Round to nearest, ties to even, the IEEE default. On x86 cvtss2si/cvtsd2si do exactly
// what the vector kernels' cvtps2dq does, so scalar tails and SIMD bodies agree bit for
// bit. Callers pass finite values already clamped into range.
inline std::int32_t roundToInt(float t) noexcept {
#if defined(__SSE2__)
    return _mm_cvtss_si32(_mm_set_ss(t));
#else
    return static_cast<std::int32_t>(std::nearbyint(t));
#endif
}

inline std::int32_t roundToInt(double t) noexcept {
#if defined(__SSE2__)
    return _mm_cvtsd_si32(_mm_set_sd(t));
#else
    return static_cast<std::int32_t>(std::nearbyint(t));
#endif
}

// ---- one sample -------------------------------------------------------------------------
template <ASIOSampleType T>
struct Codec {
    static constexpr TypeInfo kInfo = typeInfo(T);
    static constexpr int kBytes = kInfo.bytes;
    static constexpr int kBits = kInfo.bits;
    static constexpr bool kBig = kInfo.bigEndian;
    static_assert(kBytes != 0, "not a PCM type");

    // The storage word of an integer sample, byte order resolved.
    static std::uint32_t word(const std::uint8_t* p) noexcept {
        if constexpr (kBytes == 2) {
            std::uint16_t w;
            std::memcpy(&w, p, 2);
            return kBig ? __builtin_bswap16(w) : w;
        } else if constexpr (kBytes == 3) {
            return kBig ? (std::uint32_t{p[0]} << 16 | std::uint32_t{p[1]} << 8 | p[2])
                        : (std::uint32_t{p[2]} << 16 | std::uint32_t{p[1]} << 8 | p[0]);
        } else {
            std::uint32_t w;
            std::memcpy(&w, p, 4);
            return kBig ? __builtin_bswap32(w) : w;
        }
    }

    static void putWord(std::uint8_t* p, std::uint32_t w) noexcept {
        if constexpr (kBytes == 2) {
            std::uint16_t h = static_cast<std::uint16_t>(w);
            if (kBig) h = __builtin_bswap16(h);
            std::memcpy(p, &h, 2);
        } else if constexpr (kBytes == 3) {
            const std::uint8_t b0 = static_cast<std::uint8_t>(w);
            const std::uint8_t b1 = static_cast<std::uint8_t>(w >> 8);
            const std::uint8_t b2 = static_cast<std::uint8_t>(w >> 16);
            p[0] = kBig ? b2 : b0;
            p[1] = b1;
            p[2] = kBig ? b0 : b2;
        } else {
            if (kBig) w = __builtin_bswap32(w);
            std::memcpy(p, &w, 4);
        }
    }

    // An integer sample moved to the top of an int32: v * 2^(32-B). The valid bits are
    // sign-extended from bit B-1 whatever the unused high bits of the word hold.
    static std::int32_t topAligned(const std::uint8_t* p) noexcept {
        return static_cast<std::int32_t>(word(p) << (32 - kBits));
    }

    static float f32(const std::uint8_t* p) noexcept {
        std::uint32_t w;
        std::memcpy(&w, p, 4);
        if (kBig) w = __builtin_bswap32(w);
        return std::bit_cast<float>(w);
    }
    static double f64(const std::uint8_t* p) noexcept {
        std::uint64_t w;
        std::memcpy(&w, p, 8);
        if (kBig) w = __builtin_bswap64(w);
        return std::bit_cast<double>(w);
    }

    static float toFloat(const std::uint8_t* p) noexcept {
        if constexpr (kInfo.kind == Kind::Int) {
            // exact for B <= 24; for Int32 the int -> float conversion rounds once
            return static_cast<float>(topAligned(p)) * 0x1p-31f;
        } else if constexpr (kInfo.kind == Kind::Float32) {
            return f32(p);
        } else {
            return static_cast<float>(f64(p));
        }
    }

    static double toDouble(const std::uint8_t* p) noexcept {
        if constexpr (kInfo.kind == Kind::Int) {
            return static_cast<double>(topAligned(p)) * 0x1p-31;
        } else if constexpr (kInfo.kind == Kind::Float32) {
            return static_cast<double>(f32(p));
        } else {
            return f64(p);
        }
    }

    // t is already scaled by 2^(B-1).
    static std::int32_t quantize(float t) noexcept {
        constexpr float lo = -static_cast<float>(1LL << (kBits - 1));
        if (!(t == t)) return 0;
        if constexpr (kBits == 32) {
            if (t >= 0x1p31f) return INT32_MAX;
            if (t <= lo) return INT32_MIN;
        } else {
            constexpr float hi = static_cast<float>((1LL << (kBits - 1)) - 1);
            if (t >= hi) return static_cast<std::int32_t>(hi);
            if (t <= lo) return static_cast<std::int32_t>(lo);
        }
        return roundToInt(t);
    }

    static std::int32_t quantize(double t) noexcept {
        constexpr double lo = -static_cast<double>(1LL << (kBits - 1));
        constexpr double hi = static_cast<double>((1LL << (kBits - 1)) - 1);
        if (!(t == t)) return 0;
        if (t >= hi) return static_cast<std::int32_t>(hi);
        if (t <= lo) return static_cast<std::int32_t>(lo);
        return roundToInt(t);
    }

    static constexpr float kScaleF = static_cast<float>(1LL << (kBits - 1));
    static constexpr double kScaleD = static_cast<double>(1LL << (kBits - 1));

    static void putFloat32(std::uint8_t* p, float x) noexcept {
        std::uint32_t w = std::bit_cast<std::uint32_t>(x);
        if (kBig) w = __builtin_bswap32(w);
        std::memcpy(p, &w, 4);
    }
    static void putFloat64(std::uint8_t* p, double x) noexcept {
        std::uint64_t w = std::bit_cast<std::uint64_t>(x);
        if (kBig) w = __builtin_bswap64(w);
        std::memcpy(p, &w, 8);
    }

    static void fromFloat(std::uint8_t* p, float x) noexcept {
        if constexpr (kInfo.kind == Kind::Int) {
            putWord(p, static_cast<std::uint32_t>(quantize(x * kScaleF)));
        } else if constexpr (kInfo.kind == Kind::Float32) {
            putFloat32(p, x);
        } else {
            putFloat64(p, static_cast<double>(x));
        }
    }

    static void fromDouble(std::uint8_t* p, double x) noexcept {
        if constexpr (kInfo.kind == Kind::Int) {
            putWord(p, static_cast<std::uint32_t>(quantize(x * kScaleD)));
        } else if constexpr (kInfo.kind == Kind::Float32) {
            putFloat32(p, static_cast<float>(x));
        } else {
            putFloat64(p, x);
        }
    }
};

// One sample of type From at s becomes one sample of type To at d, by the numeric model:
// identical types move bytes; otherwise the exact value of the source is rounded once
// into the destination.
template <ASIOSampleType From, ASIOSampleType To>
inline void convertSample(const std::uint8_t* s, std::uint8_t* d) noexcept {
    if constexpr (From == To) {
        std::memcpy(d, s, Codec<From>::kBytes);
    } else if constexpr (To == ASIOSTFloat32LSB) {
        const float x = Codec<From>::toFloat(s);
        std::memcpy(d, &x, 4);
    } else if constexpr (From == ASIOSTFloat32LSB) {
        float x;
        std::memcpy(&x, s, 4);
        Codec<To>::fromFloat(d, x);
    } else {
        Codec<To>::fromDouble(d, Codec<From>::toDouble(s));
    }
}

// ---- TPDF dither ------------------------------------------------------------------------
// Triangular noise of +-1 LSB peak: the difference of two uniform 16-bit numbers, taken
// from the two halves of one 32-bit draw. The generator is xorshift32 with a
// multiplicative output scramble; its state is one relaxed atomic word (dither.cpp), read
// at the start of a call and written back at the end: lock-free, and two threads that
// race merely reuse a stretch of noise.
inline std::uint32_t ditherNext(std::uint32_t& s) noexcept {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    return s * 0x9E3779B9u;
}

inline float ditherValue(std::uint32_t r) noexcept {
    return static_cast<float>(static_cast<std::int32_t>(r & 0xFFFFu) -
                              static_cast<std::int32_t>(r >> 16)) *
           0x1p-16f;
}

}  // namespace
}  // namespace foldback::convert::detail
