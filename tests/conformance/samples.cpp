#include "samples.hpp"

#include <cstdint>
#include <cstring>

#include "common/asio_names.hpp"

namespace foldback::conformance::detail {

namespace {

std::int32_t load32(const unsigned char* p) {
    std::uint32_t v = std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 |
                      std::uint32_t(p[3]) << 24;
    return static_cast<std::int32_t>(v);
}

void store32(unsigned char* p, std::uint32_t v) {
    p[0] = v & 0xff;
    p[1] = (v >> 8) & 0xff;
    p[2] = (v >> 16) & 0xff;
    p[3] = (v >> 24) & 0xff;
}

// Valid bits of the right-justified 32-bit types (ASIOSTInt32LSB16 ... 24).
int justifiedBits(ASIOSampleType type) {
    switch (type) {
        case ASIOSTInt32LSB16:
            return 16;
        case ASIOSTInt32LSB18:
            return 18;
        case ASIOSTInt32LSB20:
            return 20;
        case ASIOSTInt32LSB24:
            return 24;
        default:
            return 0;
    }
}

}  // namespace

std::size_t halfBytes(ASIOSampleType type, long frames) {
    if (frames <= 0) return 0;
    auto n = static_cast<std::size_t>(frames);
    switch (type) {
        case ASIOSTInt16MSB:
        case ASIOSTInt16LSB:
            return 2 * n;
        case ASIOSTInt24MSB:
        case ASIOSTInt24LSB:
            return 3 * n;
        case ASIOSTInt32MSB:
        case ASIOSTFloat32MSB:
        case ASIOSTInt32MSB16:
        case ASIOSTInt32MSB18:
        case ASIOSTInt32MSB20:
        case ASIOSTInt32MSB24:
        case ASIOSTInt32LSB:
        case ASIOSTFloat32LSB:
        case ASIOSTInt32LSB16:
        case ASIOSTInt32LSB18:
        case ASIOSTInt32LSB20:
        case ASIOSTInt32LSB24:
            return 4 * n;
        case ASIOSTFloat64MSB:
        case ASIOSTFloat64LSB:
            return 8 * n;
        case ASIOSTDSDInt8LSB1:
        case ASIOSTDSDInt8MSB1:
            return (n + 7) / 8;
        case ASIOSTDSDInt8NER8:
            return n;
        default:
            return 0;
    }
}

bool impulseSupported(ASIOSampleType type) {
    switch (type) {
        case ASIOSTInt16LSB:
        case ASIOSTInt24LSB:
        case ASIOSTInt32LSB:
        case ASIOSTFloat32LSB:
        case ASIOSTFloat64LSB:
        case ASIOSTInt32LSB16:
        case ASIOSTInt32LSB18:
        case ASIOSTInt32LSB20:
        case ASIOSTInt32LSB24:
            return true;
        default:
            return false;
    }
}

void writeImpulse(void* half, ASIOSampleType type, long frame) {
    auto* base = static_cast<unsigned char*>(half);
    auto at = static_cast<std::size_t>(frame);
    switch (type) {
        case ASIOSTInt16LSB: {
            unsigned char* p = base + 2 * at;
            p[0] = 0xff;
            p[1] = 0x7f;
            break;
        }
        case ASIOSTInt24LSB: {
            unsigned char* p = base + 3 * at;
            p[0] = 0xff;
            p[1] = 0xff;
            p[2] = 0x7f;
            break;
        }
        case ASIOSTInt32LSB:
            store32(base + 4 * at, 0x7fffffffu);
            break;
        case ASIOSTFloat32LSB: {
            float one = 1.0f;
            std::memcpy(base + 4 * at, &one, sizeof one);
            break;
        }
        case ASIOSTFloat64LSB: {
            double one = 1.0;
            std::memcpy(base + 8 * at, &one, sizeof one);
            break;
        }
        default: {
            int bits = justifiedBits(type);
            if (bits > 0) store32(base + 4 * at, (1u << (bits - 1)) - 1u);
            break;
        }
    }
}

double readSample(const void* half, ASIOSampleType type, long frame) {
    const auto* base = static_cast<const unsigned char*>(half);
    auto at = static_cast<std::size_t>(frame);
    switch (type) {
        case ASIOSTInt16LSB: {
            const unsigned char* p = base + 2 * at;
            auto v = static_cast<std::int16_t>(std::uint16_t(p[0]) | std::uint16_t(p[1]) << 8);
            return v / 32768.0;
        }
        case ASIOSTInt24LSB: {
            const unsigned char* p = base + 3 * at;
            std::uint32_t u =
                std::uint32_t(p[0]) << 8 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 24;
            return static_cast<std::int32_t>(u) / 2147483648.0;
        }
        case ASIOSTInt32LSB:
            return load32(base + 4 * at) / 2147483648.0;
        case ASIOSTFloat32LSB: {
            float v;
            std::memcpy(&v, base + 4 * at, sizeof v);
            return v;
        }
        case ASIOSTFloat64LSB: {
            double v;
            std::memcpy(&v, base + 8 * at, sizeof v);
            return v;
        }
        default: {
            int bits = justifiedBits(type);
            if (bits == 0) return 0;
            // Right-justified and sign-extended: the word is the value.
            return load32(base + 4 * at) / double(1u << (bits - 1));
        }
    }
}

std::string sampleTypeName(ASIOSampleType type) {
    const char* name = asioSampleTypeName(type);
    return name ? name : "type " + std::to_string(type);
}

}  // namespace foldback::conformance::detail
