// src/convert/scalar.cpp: the scalar tier, one plain loop per format pair. It is the
// reference the SIMD tiers are tested and benchmarked against, and the tier of last
// resort, so it covers every pair: every PCM type <-> float32 on the host side, and every
// device format <-> every PCM type on the driver side. This file is compiled with
// auto-vectorisation off (see CMakeLists.txt) so that "scalar" means scalar.
#include <array>
#include <utility>

#include "convert/formats.hpp"
#include "convert/tiers.hpp"

namespace foldback::convert::detail {

std::atomic<std::uint32_t> gDitherState{0x6A09E667u};

namespace {

// The float pointers may be misaligned (convert.hpp promises no alignment), so they are
// accessed bytewise (memcpy, a plain move once compiled).
template <ASIOSampleType T>
void toFloatK(const void* src, float* dst, std::size_t frames) noexcept {
    const auto* s = static_cast<const std::uint8_t*>(src);
    auto* d = reinterpret_cast<std::uint8_t*>(dst);
    for (std::size_t i = 0; i < frames; ++i) {
        const float x = Codec<T>::toFloat(s + i * Codec<T>::kBytes);
        std::memcpy(d + 4 * i, &x, 4);
    }
}

template <ASIOSampleType T>
void fromFloatK(const float* src, void* dst, std::size_t frames) noexcept {
    const auto* s = reinterpret_cast<const std::uint8_t*>(src);
    auto* d = static_cast<std::uint8_t*>(dst);
    for (std::size_t i = 0; i < frames; ++i) {
        float x;
        std::memcpy(&x, s + 4 * i, 4);
        Codec<T>::fromFloat(d + i * Codec<T>::kBytes, x);
    }
}

template <ASIOSampleType T>
void fromFloatDitherK(const float* src, void* dst, std::size_t frames) noexcept {
    using C = Codec<T>;
    auto* d = static_cast<std::uint8_t*>(dst);
    const auto* s = reinterpret_cast<const std::uint8_t*>(src);
    std::uint32_t state = gDitherState.load(std::memory_order_relaxed);
    for (std::size_t i = 0; i < frames; ++i) {
        float x;
        std::memcpy(&x, s + 4 * i, 4);
        const float t = x * C::kScaleF + ditherValue(ditherNext(state));
        C::putWord(d + i * C::kBytes, static_cast<std::uint32_t>(C::quantize(t)));
    }
    gDitherState.store(state, std::memory_order_relaxed);
}

template <ASIOSampleType From, ASIOSampleType To>
void deinterleaveK(const void* src, std::size_t channels, void* const* dst,
                   std::size_t frames) noexcept {
    constexpr std::size_t inBytes = Codec<From>::kBytes;
    constexpr std::size_t outBytes = Codec<To>::kBytes;
    const auto* s = static_cast<const std::uint8_t*>(src);
    for (std::size_t f = 0; f < frames; ++f) {
        for (std::size_t c = 0; c < channels; ++c) {
            if (dst[c] == nullptr) continue;
            convertSample<From, To>(s + (f * channels + c) * inBytes,
                                    static_cast<std::uint8_t*>(dst[c]) + f * outBytes);
        }
    }
}

template <ASIOSampleType From, ASIOSampleType To>
void interleaveK(const void* const* src, std::size_t channels, void* dst,
                 std::size_t frames) noexcept {
    constexpr std::size_t inBytes = Codec<From>::kBytes;
    constexpr std::size_t outBytes = Codec<To>::kBytes;
    auto* d = static_cast<std::uint8_t*>(dst);
    for (std::size_t f = 0; f < frames; ++f) {
        for (std::size_t c = 0; c < channels; ++c) {
            std::uint8_t* out = d + (f * channels + c) * outBytes;
            if (src[c] == nullptr) {
                std::memset(out, 0, outBytes);  // zero bytes are silence in every format
            } else {
                convertSample<From, To>(static_cast<const std::uint8_t*>(src[c]) + f * inBytes,
                                        out);
            }
        }
    }
}

template <std::size_t... I>
constexpr auto makeToFloat(std::index_sequence<I...>) {
    return std::array<ToFloatFn, kNumPcm>{&toFloatK<kPcmTypes[I]>...};
}
template <std::size_t... I>
constexpr auto makeFromFloat(std::index_sequence<I...>) {
    return std::array<FromFloatFn, kNumPcm>{&fromFloatK<kPcmTypes[I]>...};
}
template <ASIOSampleType T>
constexpr FromFloatFn ditherKernel() {
    if constexpr (typeInfo(T).kind == Kind::Int && typeInfo(T).bits == 16) {
        return &fromFloatDitherK<T>;
    } else {
        return &fromFloatK<T>;  // TPDF is defined for 16-bit targets only
    }
}
template <std::size_t... I>
constexpr auto makeFromFloatDither(std::index_sequence<I...>) {
    return std::array<FromFloatFn, kNumPcm>{ditherKernel<kPcmTypes[I]>()...};
}

template <std::size_t D, std::size_t... T>
constexpr auto deinterleaveRow(std::index_sequence<T...>) {
    return std::array<DeinterleaveFn, kNumPcm>{
        &deinterleaveK<deviceType(kDeviceFormats[D]), kPcmTypes[T]>...};
}
template <std::size_t... D>
constexpr auto makeDeinterleave(std::index_sequence<D...>) {
    return std::array<std::array<DeinterleaveFn, kNumPcm>, kNumDevice>{
        deinterleaveRow<D>(std::make_index_sequence<kNumPcm>{})...};
}
template <std::size_t D, std::size_t... T>
constexpr auto interleaveRow(std::index_sequence<T...>) {
    return std::array<InterleaveFn, kNumPcm>{
        &interleaveK<kPcmTypes[T], deviceType(kDeviceFormats[D])>...};
}
template <std::size_t... D>
constexpr auto makeInterleave(std::index_sequence<D...>) {
    return std::array<std::array<InterleaveFn, kNumPcm>, kNumDevice>{
        interleaveRow<D>(std::make_index_sequence<kNumPcm>{})...};
}

constexpr auto kToFloat = makeToFloat(std::make_index_sequence<kNumPcm>{});
constexpr auto kFromFloat = makeFromFloat(std::make_index_sequence<kNumPcm>{});
constexpr auto kFromFloatDither = makeFromFloatDither(std::make_index_sequence<kNumPcm>{});
constexpr auto kDeinterleave = makeDeinterleave(std::make_index_sequence<kNumDevice>{});
constexpr auto kInterleave = makeInterleave(std::make_index_sequence<kNumDevice>{});

ToFloatFn selectToFloat(int type) {
    return kToFloat[type];
}
FromFloatFn selectFromFloat(int type, Dither dither) {
    return dither == Dither::Tpdf ? kFromFloatDither[type] : kFromFloat[type];
}
DeinterleaveFn selectDeinterleave(int device, int type) {
    return kDeinterleave[device][type];
}
InterleaveFn selectInterleave(int type, int device) {
    return kInterleave[device][type];
}

}  // namespace

const Tier kScalarTier{&selectToFloat, &selectFromFloat, &selectDeinterleave, &selectInterleave};

}  // namespace foldback::convert::detail
