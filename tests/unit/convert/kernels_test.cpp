// Every kernel of every tier against the oracle and against the scalar reference, on
// random data with the hard cases mixed in, for frame counts 1..67 (every tail length of
// every vector width), unaligned pointers, odd channel counts and inactive channels. Bytes
// around each destination are checked for stray writes, sources for being left alone.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support.hpp"

namespace {

using foldback::convert::DeviceFormat;
using foldback::convert::Dither;
using foldback::convert::Isa;
namespace fc = foldback::convert;

constexpr std::uint8_t kCanary = 0xa5;
constexpr std::size_t kGuard = 40;

// A buffer of n bytes starting `offset` bytes past a 64-byte boundary, between guards.
struct Buffer {
    std::vector<std::uint8_t> storage;
    std::size_t offset, n;
    Buffer(std::size_t bytes, std::size_t off)
        : storage(bytes + 2 * kGuard + 64, kCanary), n(bytes) {
        const auto base = reinterpret_cast<std::uintptr_t>(storage.data()) + kGuard;
        offset = ((64 - base % 64) % 64) + off + kGuard;
    }
    std::uint8_t* data() { return storage.data() + offset; }
    const std::uint8_t* data() const { return storage.data() + offset; }
    bool guardsIntact() const {
        for (std::size_t i = 0; i < offset; ++i)
            if (storage[i] != kCanary) return false;
        for (std::size_t i = offset + n; i < storage.size(); ++i)
            if (storage[i] != kCanary) return false;
        return true;
    }
};

std::string where(Isa isa, std::size_t channels, std::size_t frames) {
    return " tier " + support::tierName(isa) + " channels " + std::to_string(channels) +
           " frames " + std::to_string(frames);
}

// ---- host side --------------------------------------------------------------------------

TEST(ConvertKernels, ToFloatMatchesOracleAndReference) {
    const oracle::Format& flt = oracle::format(ASIOSTFloat32LSB);
    std::mt19937 rng(1);
    for (const oracle::Format& f : oracle::pcmFormats()) {
        for (std::size_t frames = 1; frames <= 67 + 300; frames += frames < 67 ? 1 : 150) {
            Buffer in(frames * f.bytes, frames % 5);
            support::fillRandom(f, in.data(), frames, rng);
            const std::vector<std::uint8_t> before(in.data(), in.data() + in.n);
            Buffer ref(frames * 4, 0);
            fc::toFloat(f.type, Isa::Scalar)(in.data(), reinterpret_cast<float*>(ref.data()),
                                             frames);
            for (Isa isa : support::tiers()) {
                Buffer out(frames * 4, (frames / 5) % 4);
                fc::toFloat(f.type, isa)(in.data(), reinterpret_cast<float*>(out.data()), frames);
                ASSERT_TRUE(out.guardsIntact()) << f.name << where(isa, 1, frames);
                ASSERT_EQ(0, std::memcmp(before.data(), in.data(), in.n)) << "source changed";
                for (std::size_t i = 0; i < frames; ++i) {
                    std::uint8_t want[4];
                    oracle::encode(flt, oracle::decode(f, in.data() + i * f.bytes), want);
                    ASSERT_TRUE(oracle::sameSample(flt, out.data() + 4 * i, want))
                        << f.name << " " << oracle::hex(f, in.data() + i * f.bytes) << " sample "
                        << i << where(isa, 1, frames);
                    ASSERT_TRUE(oracle::sameSample(flt, out.data() + 4 * i, ref.data() + 4 * i))
                        << f.name << " differs from the scalar reference" << where(isa, 1, frames);
                }
            }
        }
        support::cover(f.type, "to-float");
        support::cover(f.type, "vs-reference");
    }
}

TEST(ConvertKernels, FromFloatMatchesOracleAndReference) {
    const oracle::Format& flt = oracle::format(ASIOSTFloat32LSB);
    std::mt19937 rng(2);
    for (const oracle::Format& f : oracle::pcmFormats()) {
        for (std::size_t frames = 1; frames <= 67 + 300; frames += frames < 67 ? 1 : 150) {
            Buffer in(frames * 4, frames % 4);
            support::fillRandom(flt, in.data(), frames, rng);
            const std::vector<std::uint8_t> before(in.data(), in.data() + in.n);
            const auto* src = reinterpret_cast<const float*>(in.data());
            Buffer ref(frames * f.bytes, 0);
            fc::fromFloat(f.type, Dither::Off, Isa::Scalar)(src, ref.data(), frames);
            for (Isa isa : support::tiers()) {
                Buffer out(frames * f.bytes, (frames / 4) % 5);
                fc::fromFloat(f.type, Dither::Off, isa)(src, out.data(), frames);
                ASSERT_TRUE(out.guardsIntact()) << f.name << where(isa, 1, frames);
                ASSERT_EQ(0, std::memcmp(before.data(), in.data(), in.n)) << "source changed";
                for (std::size_t i = 0; i < frames; ++i) {
                    std::vector<std::uint8_t> want(f.bytes);
                    oracle::encode(f, oracle::decode(flt, in.data() + 4 * i), want.data());
                    ASSERT_TRUE(oracle::sameSample(f, out.data() + i * f.bytes, want.data()))
                        << f.name << " from " << src[i] << ": got "
                        << oracle::hex(f, out.data() + i * f.bytes) << " want "
                        << oracle::hex(f, want.data()) << where(isa, 1, frames);
                    ASSERT_TRUE(
                        oracle::sameSample(f, out.data() + i * f.bytes, ref.data() + i * f.bytes))
                        << f.name << " differs from the scalar reference" << where(isa, 1, frames);
                }
            }
        }
        support::cover(f.type, "from-float");
        support::cover(f.type, "vs-reference");
    }
}

// ---- driver side ------------------------------------------------------------------------

struct Shape {
    std::size_t channels, frames;
};

// Every frame count 1..67 for a few channel counts, and a spread of channel counts (the
// remainders of 4-, 8-, 16- and 32-channel blocks) at a few frame counts; 300 frames span
// several tiles of the 16-bit formats (simd_loops.hpp, tileFrames) and end inside one.
std::vector<Shape> shapes(bool quick) {
    std::vector<Shape> out;
    for (std::size_t c : {1u, 2u, 5u, 8u, 13u})
        for (std::size_t f = 1; f <= 67; f += quick ? 11 : 1) out.push_back({c, f});
    for (std::size_t c : {3u, 4u, 6u, 7u, 9u, 12u, 16u, 17u, 20u, 24u, 31u, 40u, 49u, 64u})
        for (std::size_t f : {1u, 7u, 8u, 9u, 33u, 67u, 300u}) out.push_back({c, f});
    return out;
}

// Channel c is inactive when bit c of the mask is set; every fourth shape has some.
std::uint64_t nullMask(const Shape& s, std::mt19937& rng) {
    if (s.channels < 2 || rng() % 4 != 0) return 0;
    const std::uint64_t all = s.channels >= 64 ? ~0ull : (std::uint64_t{1} << s.channels) - 1;
    std::uint64_t m = (std::uint64_t{rng()} << 32 | rng()) & all;
    if (m == all) m &= ~1ull;
    return m;
}

void checkDeinterleave(const oracle::Device& dev, const oracle::Format& to, std::mt19937& rng,
                       bool quick) {
    const oracle::Format& from = oracle::format(dev.same);
    const bool native = dev.same == to.type;
    for (const Shape& s : shapes(quick)) {
        const std::uint64_t mask = nullMask(s, rng);
        Buffer in(s.frames * s.channels * from.bytes, s.frames % 4);
        support::fillRandom(from, in.data(), s.frames * s.channels, rng);
        const std::vector<std::uint8_t> before(in.data(), in.data() + in.n);
        std::vector<Buffer> ref, out;
        std::vector<void*> refPtr, outPtr;
        for (std::size_t c = 0; c < s.channels; ++c) {
            ref.emplace_back(s.frames * to.bytes, 0);
            out.emplace_back(s.frames * to.bytes, (c + s.frames) % 4);
        }
        for (std::size_t c = 0; c < s.channels; ++c) {
            const bool off = (mask >> c) & 1;
            refPtr.push_back(off ? nullptr : ref[c].data());
            outPtr.push_back(off ? nullptr : out[c].data());
        }
        fc::deinterleave(dev.format, to.type, Isa::Scalar)(in.data(), s.channels, refPtr.data(),
                                                           s.frames);
        for (Isa isa : support::tiers()) {
            for (auto& b : out) std::memset(b.data(), kCanary, b.n);
            auto fn = fc::deinterleave(dev.format, to.type, isa);
            ASSERT_NE(fn, nullptr);
            fn(in.data(), s.channels, outPtr.data(), s.frames);
            ASSERT_EQ(0, std::memcmp(before.data(), in.data(), in.n)) << "source changed";
            for (std::size_t c = 0; c < s.channels; ++c) {
                ASSERT_TRUE(out[c].guardsIntact()) << dev.name << " -> " << to.name << " channel "
                                                   << c << where(isa, s.channels, s.frames);
                if ((mask >> c) & 1) {
                    for (std::size_t i = 0; i < out[c].n; ++i)
                        ASSERT_EQ(out[c].data()[i], kCanary) << "inactive channel written";
                    continue;
                }
                for (std::size_t f = 0; f < s.frames; ++f) {
                    const std::uint8_t* src = in.data() + (f * s.channels + c) * from.bytes;
                    std::vector<std::uint8_t> want(to.bytes);
                    if (native) {
                        std::memcpy(want.data(), src, to.bytes);
                    } else {
                        oracle::encode(to, oracle::decode(from, src), want.data());
                    }
                    const std::uint8_t* got = out[c].data() + f * to.bytes;
                    ASSERT_TRUE(native ? std::memcmp(got, want.data(), to.bytes) == 0
                                       : oracle::sameSample(to, got, want.data()))
                        << dev.name << " -> " << to.name << " " << oracle::hex(from, src)
                        << " gave " << oracle::hex(to, got) << " want "
                        << oracle::hex(to, want.data()) << " channel " << c << " frame " << f
                        << where(isa, s.channels, s.frames);
                    ASSERT_TRUE(oracle::sameSample(to, got, ref[c].data() + f * to.bytes))
                        << "differs from the scalar reference";
                }
            }
        }
    }
}

void checkInterleave(const oracle::Device& dev, const oracle::Format& from, std::mt19937& rng,
                     bool quick) {
    const oracle::Format& to = oracle::format(dev.same);
    const bool native = dev.same == from.type;
    for (const Shape& s : shapes(quick)) {
        const std::uint64_t mask = nullMask(s, rng);
        std::vector<Buffer> in;
        std::vector<const void*> inPtr;
        for (std::size_t c = 0; c < s.channels; ++c) {
            in.emplace_back(s.frames * from.bytes, (3 * c + s.frames) % 4);
            support::fillRandom(from, in.back().data(), s.frames, rng);
        }
        for (std::size_t c = 0; c < s.channels; ++c)
            inPtr.push_back((mask >> c) & 1 ? nullptr : in[c].data());
        Buffer ref(s.frames * s.channels * to.bytes, 0);
        fc::interleave(from.type, dev.format, Isa::Scalar)(inPtr.data(), s.channels, ref.data(),
                                                           s.frames);
        for (Isa isa : support::tiers()) {
            Buffer out(s.frames * s.channels * to.bytes, s.frames % 4);
            auto fn = fc::interleave(from.type, dev.format, isa);
            ASSERT_NE(fn, nullptr);
            fn(inPtr.data(), s.channels, out.data(), s.frames);
            ASSERT_TRUE(out.guardsIntact())
                << from.name << " -> " << dev.name << where(isa, s.channels, s.frames);
            for (std::size_t f = 0; f < s.frames; ++f) {
                for (std::size_t c = 0; c < s.channels; ++c) {
                    const std::uint8_t* got = out.data() + (f * s.channels + c) * to.bytes;
                    std::vector<std::uint8_t> want(to.bytes, 0);  // silence: zero bytes
                    if (!((mask >> c) & 1)) {
                        const std::uint8_t* src = in[c].data() + f * from.bytes;
                        if (native) {
                            std::memcpy(want.data(), src, to.bytes);
                        } else {
                            oracle::encode(to, oracle::decode(from, src), want.data());
                        }
                    }
                    ASSERT_TRUE(native || (mask >> c) & 1
                                    ? std::memcmp(got, want.data(), to.bytes) == 0
                                    : oracle::sameSample(to, got, want.data()))
                        << from.name << " -> " << dev.name << " gave " << oracle::hex(to, got)
                        << " want " << oracle::hex(to, want.data()) << " channel " << c
                        << ((mask >> c) & 1 ? " (inactive: silence)" : "") << " frame " << f
                        << where(isa, s.channels, s.frames);
                    ASSERT_TRUE(
                        oracle::sameSample(to, got, ref.data() + (f * s.channels + c) * to.bytes))
                        << "differs from the scalar reference";
                }
            }
        }
    }
}

// The pairs the kit needs (native, Float32LSB) get every shape; the others a sample.
bool mainPair(const oracle::Device& dev, ASIOSampleType t) {
    return t == dev.same || t == ASIOSTFloat32LSB;
}

TEST(ConvertKernels, DeinterleaveEveryDeviceFormatToEveryType) {
    std::mt19937 rng(3);
    for (const oracle::Device& dev : oracle::devices()) {
        for (const oracle::Format& to : oracle::pcmFormats()) {
            checkDeinterleave(dev, to, rng, !mainPair(dev, to.type));
            support::cover(to.type, "device");
        }
        support::coverDevice(dev.format, "deinterleave(all types)");
    }
}

TEST(ConvertKernels, InterleaveEveryTypeToEveryDeviceFormat) {
    std::mt19937 rng(4);
    for (const oracle::Device& dev : oracle::devices()) {
        for (const oracle::Format& from : oracle::pcmFormats()) {
            checkInterleave(dev, from, rng, !mainPair(dev, from.type));
            support::cover(from.type, "device");
        }
        support::coverDevice(dev.format, "interleave(all types)");
    }
}

TEST(ConvertKernels, LongBuffersMatchTheReference) {
    // Long enough for whatever the kernels do differently with big buffers (streaming
    // stores); compared with the scalar reference only.
    std::mt19937 rng(9);
    const std::size_t frames = (std::size_t{1} << 21) + 13;
    for (ASIOSampleType t : {ASIOSTInt16LSB, ASIOSTInt24LSB, ASIOSTInt32LSB, ASIOSTFloat64LSB}) {
        const oracle::Format& f = oracle::format(t);
        Buffer in(frames * f.bytes, 1);
        support::fillRandom(f, in.data(), frames, rng);
        std::vector<float> ref(frames), out(frames + 1);
        fc::toFloat(t, Isa::Scalar)(in.data(), ref.data(), frames);
        Buffer back(frames * f.bytes, 3), backRef(frames * f.bytes, 0);
        fc::fromFloat(t, Dither::Off, Isa::Scalar)(ref.data(), backRef.data(), frames);
        for (Isa isa : support::tiers()) {
            std::fill(out.begin(), out.end(), -7.0f);
            std::memset(back.data(), kCanary, back.n);
            fc::toFloat(t, isa)(in.data(), out.data() + 1, frames);
            ASSERT_EQ(0, std::memcmp(ref.data(), out.data() + 1, frames * 4)) << f.name;
            fc::fromFloat(t, Dither::Off, isa)(out.data() + 1, back.data(), frames);
            ASSERT_EQ(0, std::memcmp(backRef.data(), back.data(), back.n)) << f.name;
            ASSERT_TRUE(back.guardsIntact());
        }
        // and the driver side, 8 channels
        const std::size_t ch = 8, fr = frames / 8;
        std::vector<std::vector<float>> planes(ch, std::vector<float>(fr)), planesRef = planes;
        std::vector<void*> p, pr;
        for (std::size_t c = 0; c < ch; ++c) {
            p.push_back(planes[c].data());
            pr.push_back(planesRef[c].data());
        }
        DeviceFormat dev{};
        for (const oracle::Device& d : oracle::devices())
            if (d.same == t) dev = d.format;
        fc::deinterleave(dev, ASIOSTFloat32LSB, Isa::Scalar)(in.data(), ch, pr.data(), fr);
        for (Isa isa : support::tiers()) {
            for (auto& plane : planes) std::fill(plane.begin(), plane.end(), -7.0f);
            fc::deinterleave(dev, ASIOSTFloat32LSB, isa)(in.data(), ch, p.data(), fr);
            for (std::size_t c = 0; c < ch; ++c)
                ASSERT_EQ(0, std::memcmp(planes[c].data(), planesRef[c].data(), fr * 4)) << f.name;
            std::vector<const void*> cp(p.begin(), p.end());
            Buffer il(fr * ch * f.bytes, 2);
            fc::interleave(ASIOSTFloat32LSB, dev, isa)(cp.data(), ch, il.data(), fr);
            Buffer ilRef(fr * ch * f.bytes, 0);
            std::vector<const void*> cpr(pr.begin(), pr.end());
            fc::interleave(ASIOSTFloat32LSB, dev, Isa::Scalar)(cpr.data(), ch, ilRef.data(), fr);
            ASSERT_EQ(0, std::memcmp(il.data(), ilRef.data(), il.n)) << f.name;
            ASSERT_TRUE(il.guardsIntact());
        }
    }
}

}  // namespace

namespace {

// Calls whose output exceeds fc::streamingThreshold() take a different route (an L1
// bounce buffer and non-temporal stores, only where the destination can be aligned to a
// cache line). With the threshold at 0 every call goes that way; the samples and the
// untouched bytes around them must not change.
class StreamingPath : public ::testing::Test {
  protected:
    void SetUp() override {
        saved_ = fc::streamingThreshold();
        fc::setStreamingThreshold(0);
    }
    void TearDown() override { fc::setStreamingThreshold(saved_); }
    std::size_t saved_ = 0;
};

TEST_F(StreamingPath, HostKernelsGiveTheSameSamples) {
    std::mt19937 rng(21);
    for (const oracle::Format& f : oracle::pcmFormats()) {
        for (std::size_t frames : {1u, 17u, 64u, 1000u, 1024u, 1100u, 4099u}) {
            for (std::size_t off : {0u, 1u, 4u, 8u}) {
                Buffer in(frames * f.bytes, off);
                support::fillRandom(f, in.data(), frames, rng);
                Buffer ref(frames * 4, 0);
                fc::toFloat(f.type, Isa::Scalar)(in.data(), reinterpret_cast<float*>(ref.data()),
                                                 frames);
                Buffer back(frames * f.bytes, off), backRef(frames * f.bytes, 0);
                fc::fromFloat(f.type, Dither::Off, Isa::Scalar)(
                    reinterpret_cast<const float*>(ref.data()), backRef.data(), frames);
                for (Isa isa : support::tiers()) {
                    Buffer out(frames * 4, off);
                    fc::toFloat(f.type, isa)(in.data(), reinterpret_cast<float*>(out.data()),
                                             frames);
                    ASSERT_TRUE(out.guardsIntact()) << f.name << where(isa, 1, frames);
                    ASSERT_EQ(0, std::memcmp(out.data(), ref.data(), out.n))
                        << f.name << " to float, offset " << off << where(isa, 1, frames);
                    std::memset(back.data(), kCanary, back.n);
                    fc::fromFloat(f.type, Dither::Off, isa)(
                        reinterpret_cast<const float*>(ref.data()), back.data(), frames);
                    ASSERT_TRUE(back.guardsIntact()) << f.name << where(isa, 1, frames);
                    for (std::size_t i = 0; i < frames; ++i)
                        ASSERT_TRUE(oracle::sameSample(f, back.data() + i * f.bytes,
                                                       backRef.data() + i * f.bytes))
                            << f.name << " from float, offset " << off << where(isa, 1, frames);
                }
            }
        }
    }
}

TEST_F(StreamingPath, DriverKernelsGiveTheSameSamples) {
    std::mt19937 rng(22);
    for (const oracle::Device& dev : oracle::devices()) {
        const oracle::Format& df = oracle::format(dev.same);
        for (ASIOSampleType t : {ASIOSampleType{ASIOSTFloat32LSB}, dev.same}) {
            const oracle::Format& tf = oracle::format(t);
            for (Shape s : {Shape{2, 1000}, Shape{3, 700}, Shape{8, 1000}, Shape{8, 4096},
                            Shape{20, 333}, Shape{64, 130}}) {
                for (std::size_t off : {0u, 2u}) {
                    const std::uint64_t mask = s.channels > 2 ? 0b100 : 0;
                    // deinterleave
                    Buffer in(s.frames * s.channels * df.bytes, off);
                    support::fillRandom(df, in.data(), s.frames * s.channels, rng);
                    std::vector<Buffer> ref, out;
                    std::vector<void*> refPtr, outPtr;
                    for (std::size_t c = 0; c < s.channels; ++c) {
                        ref.emplace_back(s.frames * tf.bytes, 0);
                        out.emplace_back(s.frames * tf.bytes, off);
                    }
                    for (std::size_t c = 0; c < s.channels; ++c) {
                        refPtr.push_back((mask >> c) & 1 ? nullptr : ref[c].data());
                        outPtr.push_back((mask >> c) & 1 ? nullptr : out[c].data());
                    }
                    fc::deinterleave(dev.format, t, Isa::Scalar)(in.data(), s.channels,
                                                                 refPtr.data(), s.frames);
                    for (Isa isa : support::tiers()) {
                        for (auto& b : out) std::memset(b.data(), kCanary, b.n);
                        fc::deinterleave(dev.format, t, isa)(in.data(), s.channels, outPtr.data(),
                                                             s.frames);
                        for (std::size_t c = 0; c < s.channels; ++c) {
                            ASSERT_TRUE(out[c].guardsIntact())
                                << dev.name << where(isa, s.channels, s.frames);
                            if ((mask >> c) & 1) continue;
                            for (std::size_t i = 0; i < s.frames; ++i)
                                ASSERT_TRUE(oracle::sameSample(tf, out[c].data() + i * tf.bytes,
                                                               ref[c].data() + i * tf.bytes))
                                    << dev.name << " -> " << tf.name << " channel " << c
                                    << " frame " << i << " offset " << off
                                    << where(isa, s.channels, s.frames);
                        }
                    }
                    // interleave (from the reference planes; the inactive one is silence)
                    std::vector<const void*> src(refPtr.begin(), refPtr.end());
                    Buffer il(s.frames * s.channels * df.bytes, off);
                    Buffer ilRef(s.frames * s.channels * df.bytes, 0);
                    fc::interleave(t, dev.format, Isa::Scalar)(src.data(), s.channels, ilRef.data(),
                                                               s.frames);
                    for (Isa isa : support::tiers()) {
                        std::memset(il.data(), kCanary, il.n);
                        fc::interleave(t, dev.format, isa)(src.data(), s.channels, il.data(),
                                                           s.frames);
                        ASSERT_TRUE(il.guardsIntact())
                            << dev.name << where(isa, s.channels, s.frames);
                        for (std::size_t i = 0; i < s.frames * s.channels; ++i)
                            ASSERT_TRUE(oracle::sameSample(df, il.data() + i * df.bytes,
                                                           ilRef.data() + i * df.bytes))
                                << tf.name << " -> " << dev.name << " sample " << i << " offset "
                                << off << where(isa, s.channels, s.frames);
                    }
                }
            }
        }
    }
}

}  // namespace

namespace {

// A buffer that ends exactly where an inaccessible page begins: a kernel that reads or
// writes even one byte past its samples crashes the test.
class EdgeOfPage {
  public:
    explicit EdgeOfPage(std::size_t bytes) {
        const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
        span_ = (bytes + page - 1) / page * page + page;
        base_ = static_cast<std::uint8_t*>(
            mmap(nullptr, span_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
        if (base_ == MAP_FAILED) throw std::runtime_error("mmap");
        mprotect(base_ + span_ - page, page, PROT_NONE);
        data_ = base_ + span_ - page - bytes;
    }
    ~EdgeOfPage() { munmap(base_, span_); }
    EdgeOfPage(const EdgeOfPage&) = delete;
    EdgeOfPage& operator=(const EdgeOfPage&) = delete;
    std::uint8_t* data() { return data_; }

  private:
    std::uint8_t* base_ = nullptr;
    std::uint8_t* data_ = nullptr;
    std::size_t span_ = 0;
};

TEST(ConvertKernels, NothingIsTouchedPastTheLastSample) {
    std::mt19937 rng(31);
    for (Isa isa : support::tiers()) {
        for (const oracle::Format& f : oracle::pcmFormats()) {
            for (std::size_t frames : {1u, 5u, 16u, 17u, 33u, 64u, 100u}) {
                EdgeOfPage in(frames * f.bytes), out(frames * 4), back(frames * f.bytes);
                support::fillRandom(f, in.data(), frames, rng);
                fc::toFloat(f.type, isa)(in.data(), reinterpret_cast<float*>(out.data()), frames);
                fc::fromFloat(f.type, Dither::Off, isa)(reinterpret_cast<const float*>(out.data()),
                                                        back.data(), frames);
            }
        }
        for (const oracle::Device& dev : oracle::devices()) {
            const oracle::Format& df = oracle::format(dev.same);
            for (ASIOSampleType t : {ASIOSampleType{ASIOSTFloat32LSB}, dev.same}) {
                const oracle::Format& tf = oracle::format(t);
                for (Shape s : {Shape{2, 33}, Shape{3, 17}, Shape{16, 17}, Shape{16, 32},
                                Shape{17, 33}, Shape{64, 16}}) {
                    EdgeOfPage in(s.frames * s.channels * df.bytes);
                    support::fillRandom(df, in.data(), s.frames * s.channels, rng);
                    std::vector<std::unique_ptr<EdgeOfPage>> planes;
                    std::vector<void*> p;
                    for (std::size_t c = 0; c < s.channels; ++c) {
                        planes.push_back(std::make_unique<EdgeOfPage>(s.frames * tf.bytes));
                        p.push_back(planes.back()->data());
                    }
                    fc::deinterleave(dev.format, t, isa)(in.data(), s.channels, p.data(), s.frames);
                    std::vector<const void*> cp(p.begin(), p.end());
                    EdgeOfPage il(s.frames * s.channels * df.bytes);
                    fc::interleave(t, dev.format, isa)(cp.data(), s.channels, il.data(), s.frames);
                }
            }
        }
    }
}

}  // namespace
