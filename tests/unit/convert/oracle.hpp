// tests/unit/convert/oracle.hpp: the numeric model of docs/convert.md written a second
// time, independently of src/convert and for clarity rather than speed: bytes are
// assembled one by one, values are doubles, rounding is spelled out. The kernels are
// checked against it.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "convert/convert.hpp"
#include "foldback/asio.h"

namespace oracle {

enum class Kind { Int, F32, F64 };

struct Format {
    ASIOSampleType type;
    const char* name;
    int bytes;
    int bits;
    bool big;
    Kind kind;
};

// Spec §3.2, every PCM type.
inline const std::vector<Format>& pcmFormats() {
    static const std::vector<Format> all = {
        {ASIOSTInt16MSB, "Int16MSB", 2, 16, true, Kind::Int},
        {ASIOSTInt24MSB, "Int24MSB", 3, 24, true, Kind::Int},
        {ASIOSTInt32MSB, "Int32MSB", 4, 32, true, Kind::Int},
        {ASIOSTFloat32MSB, "Float32MSB", 4, 32, true, Kind::F32},
        {ASIOSTFloat64MSB, "Float64MSB", 8, 64, true, Kind::F64},
        {ASIOSTInt32MSB16, "Int32MSB16", 4, 16, true, Kind::Int},
        {ASIOSTInt32MSB18, "Int32MSB18", 4, 18, true, Kind::Int},
        {ASIOSTInt32MSB20, "Int32MSB20", 4, 20, true, Kind::Int},
        {ASIOSTInt32MSB24, "Int32MSB24", 4, 24, true, Kind::Int},
        {ASIOSTInt16LSB, "Int16LSB", 2, 16, false, Kind::Int},
        {ASIOSTInt24LSB, "Int24LSB", 3, 24, false, Kind::Int},
        {ASIOSTInt32LSB, "Int32LSB", 4, 32, false, Kind::Int},
        {ASIOSTFloat32LSB, "Float32LSB", 4, 32, false, Kind::F32},
        {ASIOSTFloat64LSB, "Float64LSB", 8, 64, false, Kind::F64},
        {ASIOSTInt32LSB16, "Int32LSB16", 4, 16, false, Kind::Int},
        {ASIOSTInt32LSB18, "Int32LSB18", 4, 18, false, Kind::Int},
        {ASIOSTInt32LSB20, "Int32LSB20", 4, 20, false, Kind::Int},
        {ASIOSTInt32LSB24, "Int32LSB24", 4, 24, false, Kind::Int},
    };
    return all;
}

inline const Format& format(ASIOSampleType t) {
    for (const Format& f : pcmFormats())
        if (f.type == t) return f;
    throw std::runtime_error("not a PCM type");
}

struct Device {
    foldback::convert::DeviceFormat format;
    const char* name;
    ASIOSampleType same;     // the ASIO type with identical bytes
    ASIOSampleType swapped;  // the same samples in the other byte order
};

// ALSA's formats as the kit meets them; S24_LE is 24 valid bits, right-justified in 32.
inline const std::vector<Device>& devices() {
    using foldback::convert::DeviceFormat;
    static const std::vector<Device> all = {
        {DeviceFormat::S16_LE, "S16_LE", ASIOSTInt16LSB, ASIOSTInt16MSB},
        {DeviceFormat::S16_BE, "S16_BE", ASIOSTInt16MSB, ASIOSTInt16LSB},
        {DeviceFormat::S24_3LE, "S24_3LE", ASIOSTInt24LSB, ASIOSTInt24MSB},
        {DeviceFormat::S24_3BE, "S24_3BE", ASIOSTInt24MSB, ASIOSTInt24LSB},
        {DeviceFormat::S24_LE, "S24_LE", ASIOSTInt32LSB24, ASIOSTInt32MSB24},
        {DeviceFormat::S32_LE, "S32_LE", ASIOSTInt32LSB, ASIOSTInt32MSB},
        {DeviceFormat::S32_BE, "S32_BE", ASIOSTInt32MSB, ASIOSTInt32LSB},
        {DeviceFormat::FLOAT_LE, "FLOAT_LE", ASIOSTFloat32LSB, ASIOSTFloat32MSB},
        {DeviceFormat::FLOAT_BE, "FLOAT_BE", ASIOSTFloat32MSB, ASIOSTFloat32LSB},
        {DeviceFormat::FLOAT64_LE, "FLOAT64_LE", ASIOSTFloat64LSB, ASIOSTFloat64MSB},
    };
    return all;
}

// The storage word, most significant byte first for big-endian types.
inline std::uint64_t readWord(const Format& f, const std::uint8_t* p) {
    std::uint64_t w = 0;
    for (int i = 0; i < f.bytes; ++i) {
        const int byte = f.big ? f.bytes - 1 - i : i;  // significance of p[i]
        w |= std::uint64_t{p[i]} << (8 * byte);
    }
    return w;
}

inline void writeWord(const Format& f, std::uint64_t w, std::uint8_t* p) {
    for (int i = 0; i < f.bytes; ++i) {
        const int byte = f.big ? f.bytes - 1 - i : i;
        p[i] = static_cast<std::uint8_t>(w >> (8 * byte));
    }
}

// The real number a sample stands for (NaN and infinities for floats).
inline double decode(const Format& f, const std::uint8_t* p) {
    const std::uint64_t w = readWord(f, p);
    switch (f.kind) {
        case Kind::Int: {
            std::int64_t v = static_cast<std::int64_t>(w & ((std::uint64_t{1} << f.bits) - 1));
            if (v & (std::int64_t{1} << (f.bits - 1))) v -= std::int64_t{1} << f.bits;
            return std::ldexp(static_cast<double>(v), -(f.bits - 1));
        }
        case Kind::F32:
            return std::bit_cast<float>(static_cast<std::uint32_t>(w));
        case Kind::F64:
            return std::bit_cast<double>(w);
    }
    return 0;
}

// Round half to even, written out.
inline double roundHalfEven(double t) {
    const double r = std::floor(t);
    const double frac = t - r;
    if (frac > 0.5) return r + 1;
    if (frac < 0.5) return r;
    return std::fmod(r, 2.0) == 0 ? r : r + 1;
}

// The sample of format f nearest to x, by the model: integers round half to even and
// saturate, NaN -> 0; floats take the IEEE conversion.
inline void encode(const Format& f, double x, std::uint8_t* p) {
    switch (f.kind) {
        case Kind::Int: {
            const double lo = -std::ldexp(1.0, f.bits - 1);
            const double hi = std::ldexp(1.0, f.bits - 1) - 1;
            double t = std::isnan(x) ? 0.0 : std::ldexp(x, f.bits - 1);
            t = t <= lo ? lo : t >= hi ? hi : roundHalfEven(t);
            const auto v = static_cast<std::int64_t>(t);
            // Int32xxNN words are sign-extended to all 32 bits
            writeWord(f, static_cast<std::uint64_t>(v), p);
            return;
        }
        case Kind::F32:
            writeWord(f, std::bit_cast<std::uint32_t>(static_cast<float>(x)), p);
            return;
        case Kind::F64:
            writeWord(f, std::bit_cast<std::uint64_t>(x), p);
            return;
    }
}

// Equal bytes, or both NaN of the same float format (NaN payloads may be quieted when a
// value passes through another precision).
inline bool sameSample(const Format& f, const std::uint8_t* a, const std::uint8_t* b) {
    if (std::memcmp(a, b, f.bytes) == 0) return true;
    return f.kind != Kind::Int && std::isnan(decode(f, a)) && std::isnan(decode(f, b));
}

inline std::string hex(const Format& f, const std::uint8_t* p) {
    static const char* digits = "0123456789abcdef";
    std::string s;
    for (int i = 0; i < f.bytes; ++i) {
        s += digits[p[i] >> 4];
        s += digits[p[i] & 15];
    }
    return s;
}

}  // namespace oracle
