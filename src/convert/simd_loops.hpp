// src/convert/simd_loops.hpp: internal. The kernel loops, written once for any vector
// width. A "width" V (simd_x86.hpp) supplies a vector type F of kLanes lanes, an in-register
// kLanes x kLanes transpose, stereo zip/unzip, and per-format codecs. Every kernel takes a
// wide width W and a narrow one N (half of W, or W itself): W does the bulk, N the channel
// and frame remainders W cannot, and one-sample scalar code (formats.hpp) the rest, so
// every tail is exact and nothing is read or written outside the caller's samples.
//
// Deinterleave, for C channels: blocks of W::kLanes frames x W::kLanes channels are loaded
// as rows (one frame each, contiguous in the device buffer), decoded to floats, transposed
// in registers and stored as columns (one channel each, contiguous in the ASIO buffers).
// Frames are the outer loop so that each source byte is read once, which is what matters
// when buffers come from DRAM. Interleave is the same run backwards. One and two channels
// have their own paths (a plain loop; zip/unzip of two vectors).
#pragma once

#include <array>
#include <cstddef>
#include <cstring>
#include <utility>

#include "convert/formats.hpp"
#include "convert/tiers.hpp"

namespace foldback::convert::detail {
namespace {

template <ASIOSampleType T>
inline constexpr std::size_t kBytesOf = static_cast<std::size_t>(typeInfo(T).bytes);

// Native pairs move bits (loadRaw/storeRaw); all others go through floats.
template <class V, ASIOSampleType From, ASIOSampleType To>
struct IO {
    using F = typename V::F;
    static F load(const std::uint8_t* p) noexcept {
        if constexpr (From == To) {
            return V::template Codec<From>::loadRaw(p);
        } else {
            return V::template Codec<From>::load(p);
        }
    }
    static void store(std::uint8_t* p, F x) noexcept {
        if constexpr (From == To) {
            V::template Codec<To>::storeRaw(p, x);
        } else {
            V::template Codec<To>::store(p, x);
        }
    }
};

template <class W, class N, ASIOSampleType From, ASIOSampleType To>
void runContiguous(const std::uint8_t* s, std::uint8_t* d, std::size_t n) noexcept {
    constexpr std::size_t bi = kBytesOf<From>, bo = kBytesOf<To>;
    if constexpr (From == To) {
        std::memcpy(d, s, n * bi);
    } else {
        using I = IO<W, From, To>;
        constexpr std::size_t L = W::kLanes;
        std::size_t i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            const auto a = I::load(s + i * bi);
            const auto b = I::load(s + (i + L) * bi);
            I::store(d + i * bo, a);
            I::store(d + (i + L) * bo, b);
        }
        for (; i + L <= n; i += L) I::store(d + i * bo, I::load(s + i * bi));
        if constexpr (N::kLanes < L) {
            using J = IO<N, From, To>;
            for (; i + N::kLanes <= n; i += N::kLanes) J::store(d + i * bo, J::load(s + i * bi));
        }
        for (; i < n; ++i) convertSample<From, To>(s + i * bi, d + i * bo);
    }
}

template <class W, class N, ASIOSampleType T>
void toFloatV(const void* src, float* dst, std::size_t frames) noexcept {
    runContiguous<W, N, T, ASIOSTFloat32LSB>(static_cast<const std::uint8_t*>(src),
                                             reinterpret_cast<std::uint8_t*>(dst), frames);
}

template <class W, class N, ASIOSampleType T>
void fromFloatV(const float* src, void* dst, std::size_t frames) noexcept {
    runContiguous<W, N, ASIOSTFloat32LSB, T>(reinterpret_cast<const std::uint8_t*>(src),
                                             static_cast<std::uint8_t*>(dst), frames);
}

// ---- deinterleave -----------------------------------------------------------------------

// Frames f.. f+L-1 of channels c.. c+L-1.
template <class V, ASIOSampleType From, ASIOSampleType To>
inline void deinterleaveBlock(const std::uint8_t* s, std::size_t channels, void* const* dst,
                              std::size_t f, std::size_t c) noexcept {
    using I = IO<V, From, To>;
    constexpr std::size_t L = V::kLanes, bi = kBytesOf<From>, bo = kBytesOf<To>;
    typename V::F r[L];
    const std::uint8_t* row = s + (f * channels + c) * bi;
    for (std::size_t k = 0; k < L; ++k) r[k] = I::load(row + k * channels * bi);
    V::transpose(r);
    for (std::size_t k = 0; k < L; ++k)
        if (dst[c + k] != nullptr) I::store(static_cast<std::uint8_t*>(dst[c + k]) + f * bo, r[k]);
}

template <ASIOSampleType From, ASIOSampleType To>
inline void deinterleaveScalar(const std::uint8_t* s, std::size_t channels, void* const* dst,
                               std::size_t f0, std::size_t f1, std::size_t c0) noexcept {
    constexpr std::size_t bi = kBytesOf<From>, bo = kBytesOf<To>;
    for (std::size_t c = c0; c < channels; ++c) {
        auto* d = static_cast<std::uint8_t*>(dst[c]);
        if (d == nullptr) continue;
        for (std::size_t f = f0; f < f1; ++f)
            convertSample<From, To>(s + (f * channels + c) * bi, d + f * bo);
    }
}

template <class V, ASIOSampleType From, ASIOSampleType To>
inline std::size_t deinterleaveStereo(const std::uint8_t* s, void* const* dst, std::size_t f,
                                      std::size_t n) noexcept {
    using I = IO<V, From, To>;
    constexpr std::size_t L = V::kLanes, bi = kBytesOf<From>, bo = kBytesOf<To>;
    auto* d0 = static_cast<std::uint8_t*>(dst[0]);
    auto* d1 = static_cast<std::uint8_t*>(dst[1]);
    for (; f + L <= n; f += L) {
        typename V::F l, r;
        V::unzip(I::load(s + 2 * f * bi), I::load(s + (2 * f + L) * bi), l, r);
        if (d0 != nullptr) I::store(d0 + f * bo, l);
        if (d1 != nullptr) I::store(d1 + f * bo, r);
    }
    return f;
}

template <class W, class N, ASIOSampleType From, ASIOSampleType To>
void deinterleaveV(const void* src, std::size_t channels, void* const* dst,
                   std::size_t frames) noexcept {
    const auto* s = static_cast<const std::uint8_t*>(src);
    constexpr std::size_t L = W::kLanes, NL = N::kLanes;
    if (channels == 1) {
        if (dst[0] != nullptr)
            runContiguous<W, N, From, To>(s, static_cast<std::uint8_t*>(dst[0]), frames);
        return;
    }
    std::size_t f = 0;
    if (channels == 2) {
        f = deinterleaveStereo<W, From, To>(s, dst, f, frames);
        if constexpr (NL < L) f = deinterleaveStereo<N, From, To>(s, dst, f, frames);
        deinterleaveScalar<From, To>(s, channels, dst, f, frames, 0);
        return;
    }
    for (; f + L <= frames; f += L) {
        std::size_t c = 0;
        for (; c + L <= channels; c += L) deinterleaveBlock<W, From, To>(s, channels, dst, f, c);
        if constexpr (NL < L) {
            for (; c + NL <= channels; c += NL)
                for (std::size_t g = 0; g < L; g += NL)
                    deinterleaveBlock<N, From, To>(s, channels, dst, f + g, c);
        }
        if (c < channels) deinterleaveScalar<From, To>(s, channels, dst, f, f + L, c);
    }
    if constexpr (NL < L) {
        for (; f + NL <= frames; f += NL) {
            std::size_t c = 0;
            for (; c + NL <= channels; c += NL)
                deinterleaveBlock<N, From, To>(s, channels, dst, f, c);
            if (c < channels) deinterleaveScalar<From, To>(s, channels, dst, f, f + NL, c);
        }
    }
    deinterleaveScalar<From, To>(s, channels, dst, f, frames, 0);
}

// ---- interleave -------------------------------------------------------------------------

template <class V, ASIOSampleType From, ASIOSampleType To>
inline void interleaveBlock(const void* const* src, std::size_t channels, std::uint8_t* d,
                            std::size_t f, std::size_t c) noexcept {
    using I = IO<V, From, To>;
    constexpr std::size_t L = V::kLanes, bi = kBytesOf<From>, bo = kBytesOf<To>;
    typename V::F r[L];
    for (std::size_t k = 0; k < L; ++k) {
        const auto* p = static_cast<const std::uint8_t*>(src[c + k]);
        r[k] = p != nullptr ? I::load(p + f * bi) : V::zero();  // zero bits: silence
    }
    V::transpose(r);
    std::uint8_t* row = d + (f * channels + c) * bo;
    for (std::size_t k = 0; k < L; ++k) I::store(row + k * channels * bo, r[k]);
}

template <ASIOSampleType From, ASIOSampleType To>
inline void interleaveScalar(const void* const* src, std::size_t channels, std::uint8_t* d,
                             std::size_t f0, std::size_t f1, std::size_t c0) noexcept {
    constexpr std::size_t bi = kBytesOf<From>, bo = kBytesOf<To>;
    for (std::size_t c = c0; c < channels; ++c) {
        const auto* s = static_cast<const std::uint8_t*>(src[c]);
        for (std::size_t f = f0; f < f1; ++f) {
            std::uint8_t* out = d + (f * channels + c) * bo;
            if (s == nullptr) {
                std::memset(out, 0, bo);
            } else {
                convertSample<From, To>(s + f * bi, out);
            }
        }
    }
}

template <class V, ASIOSampleType From, ASIOSampleType To>
inline std::size_t interleaveStereo(const void* const* src, std::uint8_t* d, std::size_t f,
                                    std::size_t n) noexcept {
    using I = IO<V, From, To>;
    constexpr std::size_t L = V::kLanes, bi = kBytesOf<From>, bo = kBytesOf<To>;
    const auto* s0 = static_cast<const std::uint8_t*>(src[0]);
    const auto* s1 = static_cast<const std::uint8_t*>(src[1]);
    for (; f + L <= n; f += L) {
        const typename V::F l = s0 != nullptr ? I::load(s0 + f * bi) : V::zero();
        const typename V::F r = s1 != nullptr ? I::load(s1 + f * bi) : V::zero();
        typename V::F a, b;
        V::zip(l, r, a, b);
        I::store(d + 2 * f * bo, a);
        I::store(d + (2 * f + L) * bo, b);
    }
    return f;
}

template <class W, class N, ASIOSampleType From, ASIOSampleType To>
void interleaveV(const void* const* src, std::size_t channels, void* dst,
                 std::size_t frames) noexcept {
    auto* d = static_cast<std::uint8_t*>(dst);
    constexpr std::size_t L = W::kLanes, NL = N::kLanes;
    if (channels == 1) {
        if (src[0] == nullptr) {
            std::memset(d, 0, frames * kBytesOf<To>);
        } else {
            runContiguous<W, N, From, To>(static_cast<const std::uint8_t*>(src[0]), d, frames);
        }
        return;
    }
    std::size_t f = 0;
    if (channels == 2) {
        f = interleaveStereo<W, From, To>(src, d, f, frames);
        if constexpr (NL < L) f = interleaveStereo<N, From, To>(src, d, f, frames);
        interleaveScalar<From, To>(src, channels, d, f, frames, 0);
        return;
    }
    for (; f + L <= frames; f += L) {
        std::size_t c = 0;
        for (; c + L <= channels; c += L) interleaveBlock<W, From, To>(src, channels, d, f, c);
        if constexpr (NL < L) {
            for (; c + NL <= channels; c += NL)
                for (std::size_t g = 0; g < L; g += NL)
                    interleaveBlock<N, From, To>(src, channels, d, f + g, c);
        }
        if (c < channels) interleaveScalar<From, To>(src, channels, d, f, f + L, c);
    }
    if constexpr (NL < L) {
        for (; f + NL <= frames; f += NL) {
            std::size_t c = 0;
            for (; c + NL <= channels; c += NL)
                interleaveBlock<N, From, To>(src, channels, d, f, c);
            if (c < channels) interleaveScalar<From, To>(src, channels, d, f, f + NL, c);
        }
    }
    interleaveScalar<From, To>(src, channels, d, f, frames, 0);
}

// ---- the tier's tables ------------------------------------------------------------------
// W/N: 32-bit-lane widths; W64/N64: 64-bit-lane widths (raw moves of Float64 only). The
// vector kernels cover the host side (every type) and, on the driver side, the pairs the
// kit uses: native (a pure de/interleave) and Float32LSB. Other pairs fall back to the
// scalar tier.
template <class W, class N, class W64, class N64>
struct VectorTier {
    template <ASIOSampleType D, ASIOSampleType T>
    static constexpr DeinterleaveFn deinterleaveKernel() {
        if constexpr (D == T && kBytesOf<T> == 8) {
            return &deinterleaveV<W64, N64, D, T>;
        } else if constexpr (D == T || T == ASIOSTFloat32LSB) {
            return &deinterleaveV<W, N, D, T>;
        } else {
            return nullptr;
        }
    }
    template <ASIOSampleType T, ASIOSampleType D>
    static constexpr InterleaveFn interleaveKernel() {
        if constexpr (D == T && kBytesOf<T> == 8) {
            return &interleaveV<W64, N64, T, D>;
        } else if constexpr (D == T || T == ASIOSTFloat32LSB) {
            return &interleaveV<W, N, T, D>;
        } else {
            return nullptr;
        }
    }

    template <std::size_t... I>
    static constexpr auto makeToFloat(std::index_sequence<I...>) {
        return std::array<ToFloatFn, kNumPcm>{&toFloatV<W, N, kPcmTypes[I]>...};
    }
    template <std::size_t... I>
    static constexpr auto makeFromFloat(std::index_sequence<I...>) {
        return std::array<FromFloatFn, kNumPcm>{&fromFloatV<W, N, kPcmTypes[I]>...};
    }
    template <std::size_t D, std::size_t... T>
    static constexpr auto deinterleaveRow(std::index_sequence<T...>) {
        return std::array<DeinterleaveFn, kNumPcm>{
            deinterleaveKernel<deviceType(kDeviceFormats[D]), kPcmTypes[T]>()...};
    }
    template <std::size_t... D>
    static constexpr auto makeDeinterleave(std::index_sequence<D...>) {
        return std::array<std::array<DeinterleaveFn, kNumPcm>, kNumDevice>{
            deinterleaveRow<D>(std::make_index_sequence<kNumPcm>{})...};
    }
    template <std::size_t D, std::size_t... T>
    static constexpr auto interleaveRow(std::index_sequence<T...>) {
        return std::array<InterleaveFn, kNumPcm>{
            interleaveKernel<kPcmTypes[T], deviceType(kDeviceFormats[D])>()...};
    }
    template <std::size_t... D>
    static constexpr auto makeInterleave(std::index_sequence<D...>) {
        return std::array<std::array<InterleaveFn, kNumPcm>, kNumDevice>{
            interleaveRow<D>(std::make_index_sequence<kNumPcm>{})...};
    }

    static constexpr auto kToFloat = makeToFloat(std::make_index_sequence<kNumPcm>{});
    static constexpr auto kFromFloat = makeFromFloat(std::make_index_sequence<kNumPcm>{});
    static constexpr auto kDeinterleave = makeDeinterleave(std::make_index_sequence<kNumDevice>{});
    static constexpr auto kInterleave = makeInterleave(std::make_index_sequence<kNumDevice>{});

    static ToFloatFn toFloat(int type) { return kToFloat[type]; }
    // TPDF dither stays with the scalar tier (off by default, not a hot path); it applies
    // to 16-bit targets only, so every other type keeps its vector kernel
    static FromFloatFn fromFloat(int type, Dither dither) {
        const TypeInfo info = typeInfo(kPcmTypes[type]);
        const bool dithered = dither == Dither::Tpdf && info.kind == Kind::Int && info.bits == 16;
        return dithered ? nullptr : kFromFloat[type];
    }
    static DeinterleaveFn deinterleave(int device, int type) { return kDeinterleave[device][type]; }
    static InterleaveFn interleave(int type, int device) { return kInterleave[device][type]; }
    static constexpr Tier kTier{&toFloat, &fromFloat, &deinterleave, &interleave};
};

}  // namespace
}  // namespace foldback::convert::detail
