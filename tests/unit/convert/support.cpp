#include "support.hpp"

#include <cfloat>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <mutex>
#include <set>

#include <gtest/gtest.h>

namespace support {

using foldback::convert::Isa;

std::vector<Isa> tiers() {
    std::vector<Isa> out;
    for (Isa isa : {Isa::Scalar, Isa::Sse2, Isa::Avx2, Isa::Avx512})
        if (foldback::convert::isaSupported(isa)) out.push_back(isa);
    return out;
}

std::string tierName(Isa isa) {
    return std::string(foldback::convert::isaName(isa));
}

namespace {

double pickFloat(std::mt19937& rng) {
    static const double specials[] = {0.0,
                                      -0.0,
                                      1.0,
                                      -1.0,
                                      0.5,
                                      -0.5,
                                      std::numeric_limits<double>::infinity(),
                                      -std::numeric_limits<double>::infinity(),
                                      std::numeric_limits<double>::quiet_NaN(),
                                      -std::numeric_limits<double>::quiet_NaN(),
                                      std::numeric_limits<float>::denorm_min(),
                                      -std::numeric_limits<float>::denorm_min(),
                                      FLT_MIN,
                                      -FLT_MIN,
                                      FLT_MAX,
                                      -FLT_MAX,
                                      1.0 - 0x1p-24,
                                      -1.0 + 0x1p-24,
                                      2.0,
                                      -2.0,
                                      1e30,
                                      -1e30};
    static const int widths[] = {16, 18, 20, 24, 32};
    std::uniform_int_distribution<int> kind(0, 9);
    std::uniform_real_distribution<double> uni(-1.25, 1.25);
    switch (kind(rng)) {
        case 0: {  // exact tie between two codes of some width
            const int b = widths[rng() % 5];
            const double k = std::floor(uni(rng) * std::ldexp(1.0, b - 1));
            return static_cast<float>((k + 0.5) * std::ldexp(1.0, -(b - 1)));
        }
        case 1: {  // exactly on the grid of some width
            const int b = widths[rng() % 5];
            return std::floor(uni(rng) * std::ldexp(1.0, b - 1)) * std::ldexp(1.0, -(b - 1));
        }
        case 2:
            return specials[rng() % (sizeof(specials) / sizeof(specials[0]))];
        default:
            return uni(rng);
    }
}

}  // namespace

void fillRandom(const oracle::Format& f, std::uint8_t* p, std::size_t n, std::mt19937& rng) {
    for (std::size_t i = 0; i < n; ++i) {
        std::uint8_t* s = p + i * f.bytes;
        switch (f.kind) {
            case oracle::Kind::Int:
                for (int b = 0; b < f.bytes; ++b) s[b] = static_cast<std::uint8_t>(rng());
                break;
            case oracle::Kind::F32:
                if (rng() % 16 == 0) {  // any bit pattern
                    oracle::writeWord(f, rng(), s);
                } else {
                    oracle::encode(f, pickFloat(rng), s);
                }
                break;
            case oracle::Kind::F64: {
                double x = pickFloat(rng);
                // also values between two floats, which must round only once
                if (rng() % 4 == 0) x += std::ldexp(static_cast<double>(rng() % 1024), -40);
                oracle::encode(f, x, s);
                break;
            }
        }
    }
}

void fillCanonical(const oracle::Format& f, std::uint8_t* p, std::size_t n, std::mt19937& rng) {
    for (std::size_t i = 0; i < n; ++i) {
        std::int64_t v = static_cast<std::int64_t>(rng() & ((1ull << f.bits) - 1));
        if (v >> (f.bits - 1)) v -= std::int64_t{1} << f.bits;
        oracle::writeWord(f, static_cast<std::uint64_t>(v), p + i * f.bytes);
    }
}

namespace {

struct Coverage {
    std::mutex mu;
    std::map<ASIOSampleType, std::set<std::string>> pcm;
    std::map<std::string, std::set<std::string>> device;
};

Coverage& coverage() {
    static Coverage c;
    return c;
}

const char* kAspects[] = {"golden",     "to-float",     "from-float",
                          "round-trip", "vs-reference", "device"};

// Prints which ASIO types and device formats the run covered, and fails the run when a
// PCM type misses an aspect (possible only when tests were filtered out).
class CoverageReport : public ::testing::Environment {
  public:
    void TearDown() override {
        Coverage& c = coverage();
        std::printf("\nASIO sample types covered by this run:\n  %-12s", "type");
        for (const char* a : kAspects) std::printf(" %-12s", a);
        std::printf("\n");
        bool complete = true;
        for (const oracle::Format& f : oracle::pcmFormats()) {
            std::printf("  %-12s", f.name);
            for (const char* a : kAspects) {
                const bool has = c.pcm[f.type].count(a) != 0;
                complete = complete && has;
                std::printf(" %-12s", has ? "yes" : "-");
            }
            std::printf("\n");
        }
        for (ASIOSampleType t : {ASIOSTDSDInt8LSB1, ASIOSTDSDInt8MSB1, ASIOSTDSDInt8NER8}) {
            const bool checked = c.pcm[t].count("unsupported") != 0;
            std::printf("  %-12s %s\n", std::string(foldback::convert::sampleTypeName(t)).c_str(),
                        checked ? "DSD: reported unsupported (nullptr), checked" : "-");
        }
        std::printf("Device formats covered:\n");
        for (const oracle::Device& d : oracle::devices()) {
            std::printf("  %-11s", d.name);
            for (const std::string& a : c.device[d.name]) std::printf(" %s", a.c_str());
            std::printf("\n");
        }
        std::printf("Tiers run:");
        for (Isa isa : tiers()) std::printf(" %s", tierName(isa).c_str());
        std::printf(" (active: %s)\n", std::string(foldback::convert::isaName()).c_str());
        const bool filtered = ::testing::GTEST_FLAG(filter) != "*";
        if (!complete && !filtered) ADD_FAILURE() << "some ASIO PCM type was not covered";
    }
};

[[maybe_unused]] const auto* const kRegistered =
    ::testing::AddGlobalTestEnvironment(new CoverageReport);

}  // namespace

void cover(ASIOSampleType type, const std::string& aspect) {
    Coverage& c = coverage();
    std::lock_guard lock(c.mu);
    c.pcm[type].insert(aspect);
}

void coverDevice(foldback::convert::DeviceFormat f, const std::string& aspect) {
    Coverage& c = coverage();
    std::lock_guard lock(c.mu);
    c.device[std::string(foldback::convert::deviceFormatName(f))].insert(aspect);
}

}  // namespace support
