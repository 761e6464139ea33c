// src/convert/simd_x86.hpp: internal. x86 vector codecs: one "register" of samples of a
// format turned into a vector of floats (decode) and back (encode), or moved as raw bits
// (for the pure de/interleave of native pairs). Included by simd_sse2.cpp (SSE2 only) and
// simd_avx2.cpp (built with -mavx2, which also unlocks the SSSE3 byte shuffle in the
// 128-bit codecs); the unnamed namespace keeps each file's copy to itself.
//
// Why intrinsics rather than Highway or xsimd: the hot kernels are byte shuffles (packed
// 24-bit, byte swaps) and register transposes whose instruction choice decides the speed,
// and the target set is two fixed x86 levels chosen at run time; a portable SIMD layer
// would add a dependency without removing any of that work. Other architectures build the
// scalar tier only (it is complete) until someone measures a need.
//
// Numerics match formats.hpp bit for bit: cvtps2dq rounds like cvtss2si (ties to even),
// and the clamps and NaN masks below reproduce Codec::quantize.
#pragma once

#include <immintrin.h>

#include "convert/formats.hpp"

namespace foldback::convert::detail {
namespace {

// The kernels are deep stacks of tiny functions (codec, transpose, block); GCC's inliner
// gives up on the 16-lane ones by size, and then the rows go through the stack. Forced.
#define FOLDBACK_SIMD_INLINE [[gnu::always_inline]] inline

// The one-sample codec of formats.hpp (inside X128::Codec the bare name means itself).
template <ASIOSampleType T>
using ScalarCodec = Codec<T>;

template <ASIOSampleType T>
inline constexpr std::size_t kBytesOfType = static_cast<std::size_t>(typeInfo(T).bytes);

// ---- 128-bit helpers (SSE2; SSSE3 where the file is built with it) ---------------------

FOLDBACK_SIMD_INLINE __m128i bswap16x8(__m128i x) noexcept {
    return _mm_or_si128(_mm_slli_epi16(x, 8), _mm_srli_epi16(x, 8));
}

FOLDBACK_SIMD_INLINE __m128i bswap32x4(__m128i x) noexcept {
#if defined(__SSSE3__)
    return _mm_shuffle_epi8(x, _mm_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12));
#else
    x = bswap16x8(x);
    return _mm_shufflehi_epi16(_mm_shufflelo_epi16(x, 0xB1), 0xB1);
#endif
}

FOLDBACK_SIMD_INLINE __m128i bswap64x2(__m128i x) noexcept {
#if defined(__SSSE3__)
    return _mm_shuffle_epi8(x, _mm_setr_epi8(7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8));
#else
    x = bswap16x8(x);
    return _mm_shufflehi_epi16(_mm_shufflelo_epi16(x, 0x1B), 0x1B);
#endif
}

// Exactly 12 bytes: no read past the samples this vector owns.
FOLDBACK_SIMD_INLINE __m128i load12(const std::uint8_t* p) noexcept {
    std::int32_t w;
    std::memcpy(&w, p + 8, 4);
    return _mm_unpacklo_epi64(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)),
                              _mm_cvtsi32_si128(w));
}

FOLDBACK_SIMD_INLINE void store12(std::uint8_t* p, __m128i v) noexcept {
    _mm_storel_epi64(reinterpret_cast<__m128i*>(p), v);
    const std::int32_t w = _mm_cvtsi128_si32(_mm_srli_si128(v, 8));
    std::memcpy(p + 8, &w, 4);
}

// Four packed 3-byte groups (bytes 0..11) -> one group in the low 3 bytes of each lane.
FOLDBACK_SIMD_INLINE __m128i spread24(__m128i x) noexcept {
#if defined(__SSSE3__)
    return _mm_shuffle_epi8(x, _mm_setr_epi8(0, 1, 2, -1, 3, 4, 5, -1, 6, 7, 8, -1, 9, 10, 11, -1));
#else
    const __m128i m = _mm_setr_epi32(0xFFFFFF, 0, 0, 0);
    return _mm_or_si128(_mm_or_si128(_mm_and_si128(x, m),
                                     _mm_and_si128(_mm_slli_si128(x, 1), _mm_slli_si128(m, 4))),
                        _mm_or_si128(_mm_and_si128(_mm_slli_si128(x, 2), _mm_slli_si128(m, 8)),
                                     _mm_and_si128(_mm_slli_si128(x, 3), _mm_slli_si128(m, 12))));
#endif
}

// The inverse: the low 3 bytes of each lane -> 12 packed bytes (upper 4 bytes zero).
FOLDBACK_SIMD_INLINE __m128i pack24(__m128i x) noexcept {
#if defined(__SSSE3__)
    return _mm_shuffle_epi8(x,
                            _mm_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1));
#else
    const __m128i m = _mm_setr_epi32(0xFFFFFF, 0, 0, 0);
    return _mm_or_si128(_mm_or_si128(_mm_and_si128(x, m),
                                     _mm_srli_si128(_mm_and_si128(x, _mm_slli_si128(m, 4)), 1)),
                        _mm_or_si128(_mm_srli_si128(_mm_and_si128(x, _mm_slli_si128(m, 8)), 2),
                                     _mm_srli_si128(_mm_and_si128(x, _mm_slli_si128(m, 12)), 3)));
#endif
}

// Swaps bytes 0 and 2 of each lane: a 3-byte group between big- and little-endian order.
FOLDBACK_SIMD_INLINE __m128i swap24(__m128i x) noexcept {
    const __m128i lo = _mm_set1_epi32(0xFF);
    return _mm_or_si128(_mm_or_si128(_mm_slli_epi32(_mm_and_si128(x, lo), 16),
                                     _mm_and_si128(x, _mm_set1_epi32(0xFF00))),
                        _mm_and_si128(_mm_srli_epi32(x, 16), lo));
}

// ---- 4 lanes of 32 bits -----------------------------------------------------------------

struct X128 {
    using F = __m128;
    static constexpr std::size_t kLanes = 4;
    FOLDBACK_SIMD_INLINE static F zero() noexcept { return _mm_setzero_ps(); }
    FOLDBACK_SIMD_INLINE static void transpose(F* r) noexcept {
        _MM_TRANSPOSE4_PS(r[0], r[1], r[2], r[3]);
    }
    // a = L0 R0 L1 R1, b = L2 R2 L3 R3  <->  l = L0..L3, r = R0..R3
    FOLDBACK_SIMD_INLINE static void unzip(F a, F b, F& l, F& r) noexcept {
        l = _mm_shuffle_ps(a, b, 0x88);
        r = _mm_shuffle_ps(a, b, 0xDD);
    }
    FOLDBACK_SIMD_INLINE static void zip(F l, F r, F& a, F& b) noexcept {
        a = _mm_unpacklo_ps(l, r);
        b = _mm_unpackhi_ps(l, r);
    }
    template <ASIOSampleType T>
    struct Codec;
};

template <ASIOSampleType T>
struct X128::Codec {
    static constexpr TypeInfo kInfo = typeInfo(T);
    static constexpr bool kBig = kInfo.bigEndian;
    static constexpr int kBits = kInfo.bits;
    using F = __m128;

    // Sign-extended integer lanes -> stored samples.
    FOLDBACK_SIMD_INLINE static void putInts(std::uint8_t* p, __m128i i) noexcept {
        if constexpr (kInfo.bytes == 2) {
            __m128i s = _mm_packs_epi32(i, i);
            if (kBig) s = bswap16x8(s);
            _mm_storel_epi64(reinterpret_cast<__m128i*>(p), s);
        } else if constexpr (kInfo.bytes == 3) {
            if (kBig) i = swap24(i);
            store12(p, pack24(i));
        } else {
            if (kBig) i = bswap32x4(i);
            _mm_storeu_si128(reinterpret_cast<__m128i*>(p), i);
        }
    }

    FOLDBACK_SIMD_INLINE static F load(const std::uint8_t* p) noexcept {
        if constexpr (kInfo.kind == Kind::Int) {
            __m128i top;  // sample * 2^(32 - bits)
            if constexpr (kInfo.bytes == 2) {
                __m128i x = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
                if (kBig) x = bswap16x8(x);
                top = _mm_unpacklo_epi16(_mm_setzero_si128(), x);
            } else if constexpr (kInfo.bytes == 3) {
                __m128i x = spread24(load12(p));
                if (kBig) x = swap24(x);
                top = _mm_slli_epi32(x, 8);
            } else {
                __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
                if (kBig) x = bswap32x4(x);
                top = kBits == 32 ? x : _mm_slli_epi32(x, 32 - kBits);
            }
            return _mm_mul_ps(_mm_cvtepi32_ps(top), _mm_set1_ps(0x1p-31f));
        } else if constexpr (kInfo.kind == Kind::Float32) {
            __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
            if (kBig) x = bswap32x4(x);
            return _mm_castsi128_ps(x);
        } else {
            __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
            __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16));
            if (kBig) {
                a = bswap64x2(a);
                b = bswap64x2(b);
            }
            return _mm_movelh_ps(_mm_cvtpd_ps(_mm_castsi128_pd(a)),
                                 _mm_cvtpd_ps(_mm_castsi128_pd(b)));
        }
    }

    FOLDBACK_SIMD_INLINE static void store(std::uint8_t* p, F x) noexcept {
        if constexpr (kInfo.kind == Kind::Int) {
            __m128 t = _mm_mul_ps(x, _mm_set1_ps(ScalarCodec<T>::kScaleF));
            t = _mm_and_ps(t, _mm_cmpord_ps(t, t));  // NaN -> 0
            __m128i i;
            if constexpr (kBits == 32) {
                // cvtps2dq gives 0x80000000 for anything >= 2^31; flip it to 0x7fffffff
                const __m128 over = _mm_cmpge_ps(t, _mm_set1_ps(0x1p31f));
                i = _mm_xor_si128(_mm_cvtps_epi32(t), _mm_castps_si128(over));
            } else {
                t = _mm_max_ps(t, _mm_set1_ps(-ScalarCodec<T>::kScaleF));
                t = _mm_min_ps(t, _mm_set1_ps(ScalarCodec<T>::kScaleF - 1.0f));
                i = _mm_cvtps_epi32(t);
            }
            putInts(p, i);
        } else if constexpr (kInfo.kind == Kind::Float32) {
            __m128i i = _mm_castps_si128(x);
            if (kBig) i = bswap32x4(i);
            _mm_storeu_si128(reinterpret_cast<__m128i*>(p), i);
        } else {
            __m128i a = _mm_castpd_si128(_mm_cvtps_pd(x));
            __m128i b = _mm_castpd_si128(_mm_cvtps_pd(_mm_movehl_ps(x, x)));
            if (kBig) {
                a = bswap64x2(a);
                b = bswap64x2(b);
            }
            _mm_storeu_si128(reinterpret_cast<__m128i*>(p), a);
            _mm_storeu_si128(reinterpret_cast<__m128i*>(p + 16), b);
        }
    }

    // Raw bits, one sample per 32-bit lane (2-, 3- and 4-byte types).
    FOLDBACK_SIMD_INLINE static F loadRaw(const std::uint8_t* p) noexcept {
        if constexpr (kInfo.bytes == 2) {
            return _mm_castsi128_ps(_mm_unpacklo_epi16(
                _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)), _mm_setzero_si128()));
        } else if constexpr (kInfo.bytes == 3) {
            return _mm_castsi128_ps(spread24(load12(p)));
        } else {
            return _mm_loadu_ps(reinterpret_cast<const float*>(p));
        }
    }

    FOLDBACK_SIMD_INLINE static void storeRaw(std::uint8_t* p, F x) noexcept {
        const __m128i i = _mm_castps_si128(x);
        if constexpr (kInfo.bytes == 2) {
            // sign-extend the low half so that the saturating pack keeps it unchanged
            _mm_storel_epi64(reinterpret_cast<__m128i*>(p),
                             _mm_packs_epi32(_mm_srai_epi32(_mm_slli_epi32(i, 16), 16), i));
        } else if constexpr (kInfo.bytes == 3) {
            store12(p, pack24(i));
        } else {
            _mm_storeu_si128(reinterpret_cast<__m128i*>(p), i);
        }
    }
};

// ---- 2 lanes of 64 bits: raw moves of 8-byte samples -----------------------------------

struct X128d {
    using F = __m128d;
    static constexpr std::size_t kLanes = 2;
    FOLDBACK_SIMD_INLINE static F zero() noexcept { return _mm_setzero_pd(); }
    FOLDBACK_SIMD_INLINE static void transpose(F* r) noexcept {
        const F t = _mm_unpacklo_pd(r[0], r[1]);
        r[1] = _mm_unpackhi_pd(r[0], r[1]);
        r[0] = t;
    }
    FOLDBACK_SIMD_INLINE static void unzip(F a, F b, F& l, F& r) noexcept {
        l = _mm_unpacklo_pd(a, b);
        r = _mm_unpackhi_pd(a, b);
    }
    FOLDBACK_SIMD_INLINE static void zip(F l, F r, F& a, F& b) noexcept {
        a = _mm_unpacklo_pd(l, r);
        b = _mm_unpackhi_pd(l, r);
    }
    template <ASIOSampleType T>
    struct Codec {
        FOLDBACK_SIMD_INLINE static F loadRaw(const std::uint8_t* p) noexcept {
            return _mm_loadu_pd(reinterpret_cast<const double*>(p));
        }
        FOLDBACK_SIMD_INLINE static void storeRaw(std::uint8_t* p, F x) noexcept {
            _mm_storeu_pd(reinterpret_cast<double*>(p), x);
        }
    };
};

#if defined(__AVX2__)

// ---- 8 lanes of 32 bits -----------------------------------------------------------------

FOLDBACK_SIMD_INLINE __m256i bswap32x8(__m256i x) noexcept {
    return _mm256_shuffle_epi8(
        x, _mm256_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12, 3, 2, 1, 0, 7, 6,
                            5, 4, 11, 10, 9, 8, 15, 14, 13, 12));
}

FOLDBACK_SIMD_INLINE __m256i bswap64x4(__m256i x) noexcept {
    return _mm256_shuffle_epi8(
        x, _mm256_setr_epi8(7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2,
                            1, 0, 15, 14, 13, 12, 11, 10, 9, 8));
}

// Eight packed 3-byte samples: bytes 0..15 in the low lane, bytes 8..23 in the high lane,
// so each lane holds four whole samples (at offset 0 and 4) and nothing past byte 23 is read.
FOLDBACK_SIMD_INLINE __m256i load24x8(const std::uint8_t* p) noexcept {
    const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 8));
    return _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1);
}

// Lanes holding 12 packed bytes each (bytes 0..11) -> 24 contiguous bytes at p.
FOLDBACK_SIMD_INLINE void store24x8(std::uint8_t* p, __m256i packed) noexcept {
    const __m256i v =
        _mm256_permutevar8x32_epi32(packed, _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm256_castsi256_si128(v));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(p + 16), _mm256_extracti128_si256(v, 1));
}

// A pshufb control computed at compile time; lives in .rodata, loaded (and hoisted out of
// loops) like any constant.
struct alignas(32) Mask32 {
    std::int8_t b[32];
    __m256i v() const noexcept { return _mm256_load_si256(reinterpret_cast<const __m256i*>(b)); }
};

struct X256 {
    using F = __m256;
    static constexpr std::size_t kLanes = 8;
    FOLDBACK_SIMD_INLINE static F zero() noexcept { return _mm256_setzero_ps(); }
    FOLDBACK_SIMD_INLINE static void transpose(F* r) noexcept {
        const F t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
        const F t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
        const F t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
        const F t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
        const F u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
        const F u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
        const F u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
        const F u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
        r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
        r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
        r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
        r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
        r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
        r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
        r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
        r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
    }
    FOLDBACK_SIMD_INLINE static void unzip(F a, F b, F& l, F& r) noexcept {
        l = _mm256_castpd_ps(
            _mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0x88)), 0xD8));
        r = _mm256_castpd_ps(
            _mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0xDD)), 0xD8));
    }
    FOLDBACK_SIMD_INLINE static void zip(F l, F r, F& a, F& b) noexcept {
        const F l2 = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(l), 0xD8));
        const F r2 = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(r), 0xD8));
        a = _mm256_unpacklo_ps(l2, r2);
        b = _mm256_unpackhi_ps(l2, r2);
    }
    template <ASIOSampleType T>
    struct Codec;
};

template <ASIOSampleType T>
struct X256::Codec {
    static constexpr TypeInfo kInfo = typeInfo(T);
    static constexpr bool kBig = kInfo.bigEndian;
    static constexpr int kBits = kInfo.bits;
    using F = __m256;

    // pshufb masks for packed 24-bit, see load24x8 for where the samples sit. Byte j of
    // lane l: sample j / 4 of the lane, byte j % 4 of its 32-bit word; `top` puts the
    // sample in the upper 3 bytes (value * 256), otherwise in the lower 3.
    static constexpr Mask32 spreadMask(bool top) noexcept {
        Mask32 m{};
        for (int l = 0; l < 2; ++l) {
            for (int j = 0; j < 16; ++j) {
                const int s = j / 4, b = j % 4;
                const int base = (l == 0 ? 0 : 4) + 3 * s;  // offset of the sample in the lane
                const int k = top ? b - 1 : b;              // which byte of the 3, LSB first
                m.b[16 * l + j] =
                    (k < 0 || k > 2) ? -1 : static_cast<std::int8_t>(base + (kBig ? 2 - k : k));
            }
        }
        return m;
    }
    // low 3 bytes of each 32-bit word -> 12 packed bytes per lane, in the type's order
    static constexpr Mask32 packMask() noexcept {
        Mask32 m{};
        for (int l = 0; l < 2; ++l) {
            for (int j = 0; j < 16; ++j) {
                const int s = j / 3, k = j % 3;  // output sample and its byte (storage order)
                m.b[16 * l + j] =
                    j >= 12 ? -1 : static_cast<std::int8_t>(4 * s + (kBig ? 2 - k : k));
            }
        }
        return m;
    }
    static constexpr Mask32 kSpreadTop = spreadMask(true);
    static constexpr Mask32 kSpreadLow = spreadMask(false);
    static constexpr Mask32 kPack = packMask();

    FOLDBACK_SIMD_INLINE static F load(const std::uint8_t* p) noexcept {
        if constexpr (kInfo.kind == Kind::Int) {
            if constexpr (kInfo.bytes == 2) {
                __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
                if (kBig) x = bswap16x8(x);
                return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi16_epi32(x)),
                                     _mm256_set1_ps(0x1p-15f));
            } else {
                __m256i top;
                if constexpr (kInfo.bytes == 3) {
                    top = _mm256_shuffle_epi8(load24x8(p), kSpreadTop.v());
                } else {
                    top = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
                    if (kBig) top = bswap32x8(top);
                    if (kBits != 32) top = _mm256_slli_epi32(top, 32 - kBits);
                }
                return _mm256_mul_ps(_mm256_cvtepi32_ps(top), _mm256_set1_ps(0x1p-31f));
            }
        } else if constexpr (kInfo.kind == Kind::Float32) {
            __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
            if (kBig) x = bswap32x8(x);
            return _mm256_castsi256_ps(x);
        } else {
            __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
            __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
            if (kBig) {
                a = bswap64x4(a);
                b = bswap64x4(b);
            }
            return _mm256_set_m128(_mm256_cvtpd_ps(_mm256_castsi256_pd(b)),
                                   _mm256_cvtpd_ps(_mm256_castsi256_pd(a)));
        }
    }

    FOLDBACK_SIMD_INLINE static void store(std::uint8_t* p, F x) noexcept {
        if constexpr (kInfo.kind == Kind::Int) {
            __m256 t = _mm256_mul_ps(x, _mm256_set1_ps(ScalarCodec<T>::kScaleF));
            t = _mm256_and_ps(t, _mm256_cmp_ps(t, t, _CMP_ORD_Q));  // NaN -> 0
            __m256i i;
            if constexpr (kBits == 32) {
                const __m256 over = _mm256_cmp_ps(t, _mm256_set1_ps(0x1p31f), _CMP_GE_OQ);
                i = _mm256_xor_si256(_mm256_cvtps_epi32(t), _mm256_castps_si256(over));
            } else if constexpr (kInfo.bytes == 2) {
                // the signed pack saturates below; only +overflow (cvt gives 0x80000000)
                // needs the clamp
                t = _mm256_min_ps(t, _mm256_set1_ps(32767.0f));
                i = _mm256_cvtps_epi32(t);
            } else {
                t = _mm256_max_ps(t, _mm256_set1_ps(-ScalarCodec<T>::kScaleF));
                t = _mm256_min_ps(t, _mm256_set1_ps(ScalarCodec<T>::kScaleF - 1.0f));
                i = _mm256_cvtps_epi32(t);
            }
            if constexpr (kInfo.bytes == 2) {
                __m128i s =
                    _mm_packs_epi32(_mm256_castsi256_si128(i), _mm256_extracti128_si256(i, 1));
                if (kBig) s = bswap16x8(s);
                _mm_storeu_si128(reinterpret_cast<__m128i*>(p), s);
            } else if constexpr (kInfo.bytes == 3) {
                store24x8(p, _mm256_shuffle_epi8(i, kPack.v()));
            } else {
                if (kBig) i = bswap32x8(i);
                _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), i);
            }
        } else if constexpr (kInfo.kind == Kind::Float32) {
            __m256i i = _mm256_castps_si256(x);
            if (kBig) i = bswap32x8(i);
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), i);
        } else {
            __m256i a = _mm256_castpd_si256(_mm256_cvtps_pd(_mm256_castps256_ps128(x)));
            __m256i b = _mm256_castpd_si256(_mm256_cvtps_pd(_mm256_extractf128_ps(x, 1)));
            if (kBig) {
                a = bswap64x4(a);
                b = bswap64x4(b);
            }
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), a);
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(p + 32), b);
        }
    }

    FOLDBACK_SIMD_INLINE static F loadRaw(const std::uint8_t* p) noexcept {
        if constexpr (kInfo.bytes == 2) {
            return _mm256_castsi256_ps(
                _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
        } else if constexpr (kInfo.bytes == 3) {
            // byte order does not matter for a move: spread as if little-endian
            return _mm256_castsi256_ps(
                _mm256_shuffle_epi8(load24x8(p), X256::Codec<ASIOSTInt24LSB>::kSpreadLow.v()));
        } else {
            return _mm256_loadu_ps(reinterpret_cast<const float*>(p));
        }
    }

    FOLDBACK_SIMD_INLINE static void storeRaw(std::uint8_t* p, F x) noexcept {
        const __m256i i = _mm256_castps_si256(x);
        if constexpr (kInfo.bytes == 2) {
            const __m256i packed = _mm256_shuffle_epi8(
                i, _mm256_setr_epi8(0, 1, 4, 5, 8, 9, 12, 13, -1, -1, -1, -1, -1, -1, -1, -1, 0, 1,
                                    4, 5, 8, 9, 12, 13, -1, -1, -1, -1, -1, -1, -1, -1));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(p),
                             _mm256_castsi256_si128(_mm256_permute4x64_epi64(packed, 0x08)));
        } else if constexpr (kInfo.bytes == 3) {
            store24x8(p, _mm256_shuffle_epi8(i, X256::Codec<ASIOSTInt24LSB>::kPack.v()));
        } else {
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), i);
        }
    }
};

// ---- 4 lanes of 64 bits: raw moves of 8-byte samples ------------------------------------

struct X256d {
    using F = __m256d;
    static constexpr std::size_t kLanes = 4;
    FOLDBACK_SIMD_INLINE static F zero() noexcept { return _mm256_setzero_pd(); }
    FOLDBACK_SIMD_INLINE static void transpose(F* r) noexcept {
        const F t0 = _mm256_unpacklo_pd(r[0], r[1]), t1 = _mm256_unpackhi_pd(r[0], r[1]);
        const F t2 = _mm256_unpacklo_pd(r[2], r[3]), t3 = _mm256_unpackhi_pd(r[2], r[3]);
        r[0] = _mm256_permute2f128_pd(t0, t2, 0x20);
        r[1] = _mm256_permute2f128_pd(t1, t3, 0x20);
        r[2] = _mm256_permute2f128_pd(t0, t2, 0x31);
        r[3] = _mm256_permute2f128_pd(t1, t3, 0x31);
    }
    FOLDBACK_SIMD_INLINE static void unzip(F a, F b, F& l, F& r) noexcept {
        l = _mm256_permute4x64_pd(_mm256_unpacklo_pd(a, b), 0xD8);
        r = _mm256_permute4x64_pd(_mm256_unpackhi_pd(a, b), 0xD8);
    }
    FOLDBACK_SIMD_INLINE static void zip(F l, F r, F& a, F& b) noexcept {
        const F lo = _mm256_unpacklo_pd(l, r), hi = _mm256_unpackhi_pd(l, r);
        a = _mm256_permute2f128_pd(lo, hi, 0x20);
        b = _mm256_permute2f128_pd(lo, hi, 0x31);
    }
    template <ASIOSampleType T>
    struct Codec {
        FOLDBACK_SIMD_INLINE static F loadRaw(const std::uint8_t* p) noexcept {
            return _mm256_loadu_pd(reinterpret_cast<const double*>(p));
        }
        FOLDBACK_SIMD_INLINE static void storeRaw(std::uint8_t* p, F x) noexcept {
            _mm256_storeu_pd(reinterpret_cast<double*>(p), x);
        }
    };
};

#endif  // __AVX2__

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512DQ__) && \
    defined(__AVX512VL__) && defined(__AVX512VBMI__)

// ---- 16 lanes of 32 bits (AVX-512 F/BW/DQ/VL/VBMI) -------------------------------------

struct alignas(64) Mask64 {
    std::int8_t b[64];
    __m512i v() const noexcept { return _mm512_load_si512(b); }
};

constexpr Mask64 byteSwapMask(int width) noexcept {
    Mask64 m{};
    for (int j = 0; j < 64; ++j)
        m.b[j] = static_cast<std::int8_t>(j - j % width + width - 1 - j % width);
    return m;
}
inline constexpr Mask64 kSwap16x32 = byteSwapMask(2);  // used on 256 bits
inline constexpr Mask64 kSwap32x16 = byteSwapMask(4);
inline constexpr Mask64 kSwap64x8 = byteSwapMask(8);
// In each 128-bit lane, words a0 a1 a2 a3 b0 b1 b2 b3 -> a0 b0 a1 b1 a2 b2 a3 b3.
constexpr Mask64 pairUpMask() noexcept {
    Mask64 m{};
    for (int j = 0; j < 64; ++j) {
        const int w = (j % 16) / 2;                         // output word w of the lane
        const int from = (w % 2 == 0 ? w / 2 : 4 + w / 2);  // a(w/2) or b(w/2)
        m.b[j] = static_cast<std::int8_t>(2 * from + j % 2);
    }
    return m;
}
inline constexpr Mask64 kPairUp = pairUpMask();

// Lanes 16 apart in two registers: even/odd elements, and their inverse.
struct Idx16 {
    alignas(64) std::int32_t even[16], odd[16], lo[16], hi[16];
};
constexpr Idx16 makeIdx16() noexcept {
    Idx16 x{};
    for (int i = 0; i < 16; ++i) {
        x.even[i] = 2 * i;
        x.odd[i] = 2 * i + 1;
        x.lo[i] = i / 2 + (i % 2) * 16;
        x.hi[i] = 8 + i / 2 + (i % 2) * 16;
    }
    return x;
}
inline constexpr Idx16 kIdx16 = makeIdx16();

// 128-bit chunks {0, 4, 2, 6} and {1, 5, 3, 7} of two registers (a: 0-3, b: 4-7), in floats.
struct HalfIdx {
    alignas(64) std::int32_t lo[16], hi[16];
};
constexpr HalfIdx makeHalfIdx() noexcept {
    HalfIdx x{};
    const int lo[4] = {0, 4, 2, 6}, hi[4] = {1, 5, 3, 7};
    for (int i = 0; i < 16; ++i) {
        x.lo[i] = 4 * lo[i / 4] + i % 4;
        x.hi[i] = 4 * hi[i / 4] + i % 4;
    }
    return x;
}
inline constexpr HalfIdx kHalfIdx = makeHalfIdx();

// Controls for 16 x 16 blocks of 16-bit samples (X512::transposeWords): where channel m
// (h = 0) or m + 8 (h = 1) sits after the transpose, and how two channels are joined into
// that layout again.
struct WordIdx {
    alignas(64) std::int16_t top[2][32];  // vpermw: channel -> upper halves of 16 dwords
    alignas(64) std::int16_t pack[32];    // vpermt2w: low halves of two dword vectors -> layout
    alignas(64) std::int64_t half[2][8];  // vpermq: channel -> 16 words in the low 256 bits
    alignas(64) std::int64_t join[8];     // vpermt2q: two 16-word channels -> layout
};
constexpr WordIdx makeWordIdx() noexcept {
    WordIdx x{};
    for (int h = 0; h < 2; ++h) {
        for (int i = 0; i < 16; ++i) {
            x.top[h][2 * i] = 0;  // masked to zero
            x.top[h][2 * i + 1] = static_cast<std::int16_t>((i < 8 ? i : i + 8) + 8 * h);
        }
        const std::int64_t q[4] = {0, 1, 4, 5};
        for (int i = 0; i < 8; ++i) x.half[h][i] = i < 4 ? q[i] + 2 * h : 0;
    }
    for (int p = 0; p < 32; ++p) {
        const int frame = (p % 16) % 8 + 8 * (p / 16);
        x.pack[p] = static_cast<std::int16_t>(((p % 16) < 8 ? 0 : 32) + 2 * frame);
    }
    const std::int64_t j[8] = {0, 1, 8, 9, 2, 3, 10, 11};
    for (int i = 0; i < 8; ++i) x.join[i] = j[i];
    return x;
}
inline constexpr WordIdx kWordIdx = makeWordIdx();

// Controls for 16 frames x 8 channels of 16-bit samples (X512::deinterleaveEight and
// interleaveEight). Device side, register k holds frames 4k..4k+3 (word 8j + ch for frame
// 4k + j). gather[h]: channels 4h..4h+3 of frames 0-7 from two such registers (word 8ch +
// frame); top[ch]: channel ch's 16 frames from two gathered registers into the upper
// halves of 16 dwords; scatter[h]: frames 4h..4h+3 of 8 channels from the two
// lane-shuffled pack registers (see interleaveEight).
struct EightIdx {
    alignas(64) std::int16_t gather[2][32];
    alignas(64) std::int16_t top[4][32];
    alignas(64) std::int16_t scatter[2][32];
};
constexpr EightIdx makeEightIdx() noexcept {
    EightIdx x{};
    for (int h = 0; h < 2; ++h) {
        for (int p = 0; p < 32; ++p) {
            const int ch = p / 8 + 4 * h, fr = p % 8;
            x.gather[h][p] = static_cast<std::int16_t>((fr < 4 ? 0 : 32) + 8 * (fr % 4) + ch);
        }
        for (int p = 0; p < 32; ++p) {
            const int j = p / 8, ch = p % 8, r = 4 * h + j;
            x.scatter[h][p] = static_cast<std::int16_t>(
                (ch < 4 ? 0 : 32) + 8 * ((ch % 4) / 2 * 2 + r / 4) + 4 * (ch % 2) + r % 4);
        }
    }
    for (int ch = 0; ch < 4; ++ch) {
        for (int i = 0; i < 16; ++i) {
            x.top[ch][2 * i] = 0;  // masked to zero
            x.top[ch][2 * i + 1] = static_cast<std::int16_t>((i < 8 ? 0 : 32) + 8 * ch + i % 8);
        }
    }
    return x;
}
inline constexpr EightIdx kEightIdx = makeEightIdx();

// Controls for X512::rowsFromChannels / channelsFromRows: 8 registers of one channel's 16
// frames <-> 8 registers of two whole frames (frames 2k, 2k + 1 of 8 channels: 64
// contiguous bytes of an 8-channel device buffer of 32-bit samples). Element (c, f) moves
// through four layouts; each step exchanges one register bit for one position bit, so
// every output register takes its lanes from one pair of registers (one vpermt2ps):
//   0: register c2 c1 c0, position f3 f2 f1 f0     (channels)
//   1: register c2 c1 f1, position f3 f2 f0 c0
//   2: register c2 f2 f1, position f3 f0 c1 c0
//   3: register f3 f2 f1, position f0 c2 c1 c0     (rows)
constexpr int bitOf(int x, int i) noexcept {
    return (x >> i) & 1;
}
constexpr int eightReg(int layout, int c, int f) noexcept {
    switch (layout) {
        case 0:
            return c;
        case 1:
            return (c & 6) | bitOf(f, 1);
        case 2:
            return (c & 4) | bitOf(f, 2) << 1 | bitOf(f, 1);
        default:
            return f >> 1;
    }
}
constexpr int eightPos(int layout, int c, int f) noexcept {
    switch (layout) {
        case 0:
            return f;
        case 1:
            return bitOf(f, 3) << 3 | bitOf(f, 2) << 2 | bitOf(f, 0) << 1 | bitOf(c, 0);
        case 2:
            return bitOf(f, 3) << 3 | bitOf(f, 0) << 2 | (c & 3);
        default:
            return bitOf(f, 0) << 3 | c;
    }
}
struct RowIdx {
    // [step][v]: step s (layout s -> s + 1, register bit s) forward, or back (s + 1 -> s);
    // v: the value of that bit in the output register
    alignas(64) std::int32_t fwd[3][2][16];
    alignas(64) std::int32_t back[3][2][16];
};
constexpr RowIdx makeRowIdx() noexcept {
    RowIdx x{};
    for (int s = 0; s < 3; ++s) {
        for (int c = 0; c < 8; ++c) {
            for (int f = 0; f < 16; ++f) {
                const int ra = eightReg(s, c, f), rb = eightReg(s + 1, c, f);
                // representatives: the register of the pair with every other bit zero
                if ((rb & ~(1 << s)) == 0)
                    x.fwd[s][bitOf(rb, s)][eightPos(s + 1, c, f)] =
                        eightPos(s, c, f) + 16 * bitOf(ra, s);
                if ((ra & ~(1 << s)) == 0)
                    x.back[s][bitOf(ra, s)][eightPos(s, c, f)] =
                        eightPos(s + 1, c, f) + 16 * bitOf(rb, s);
            }
        }
    }
    return x;
}
inline constexpr RowIdx kRowIdx = makeRowIdx();

// vpermt2b controls that pack 16 samples, each in the low 3 bytes of a dword, into 48
// bytes while they move ([big]: byte order reversed):
//   line[big][l]: 8 registers of rows of 2 frames x 8 channels -> 6 cache lines (line l,
//     and l + 3 four registers on, takes bytes from registers l and l + 1);
//   pick[big][odd]: X512::storeBlock24, the last round of the 16 x 16 transpose (lanes
//     0 and 2, or 1 and 3, of two registers) and the packing in one permute.
struct Pack24Idx {
    alignas(64) std::int8_t line[2][3][64];
    alignas(64) std::int8_t pick[2][2][64];
};
constexpr Pack24Idx makePack24Idx() noexcept {
    Pack24Idx x{};
    for (int big = 0; big < 2; ++big) {
        for (int b = 0; b < 64 * 3; ++b) {  // byte b of the 192 packed bytes of 4 rows
            const int row = b / 48, j = b % 48, t = j / 3, k = big ? 2 - j % 3 : j % 3;
            const int l = b / 64;
            x.line[big][l][b % 64] = static_cast<std::int8_t>(4 * t + k + (row == l ? 0 : 64));
            if (row != 0) continue;
            for (int odd = 0; odd < 2; ++odd) {
                const int lane = 2 * ((t / 4) % 2) + odd;
                x.pick[big][odd][j] =
                    static_cast<std::int8_t>((t / 8) * 64 + lane * 16 + (t % 4) * 4 + k);
            }
        }
    }
    return x;
}
inline constexpr Pack24Idx kPack24Idx = makePack24Idx();

struct X512 {
    using F = __m512;
    static constexpr std::size_t kLanes = 16;
    FOLDBACK_SIMD_INLINE static F zero() noexcept { return _mm512_setzero_ps(); }
    // 16 x 16 in four stages of 16 shuffles: 2x2 and 4x4 blocks inside each 128-bit lane
    // (transposeInLanes), then two rounds of 128-bit lane shuffles.
    FOLDBACK_SIMD_INLINE static void transposeInLanes(const F* r, F* u) noexcept {
        F t[16];
#pragma GCC unroll 8
        for (int k = 0; k < 8; ++k) {
            t[2 * k] = _mm512_unpacklo_ps(r[2 * k], r[2 * k + 1]);
            t[2 * k + 1] = _mm512_unpackhi_ps(r[2 * k], r[2 * k + 1]);
        }
#pragma GCC unroll 4
        for (int k = 0; k < 4; ++k) {
            u[4 * k + 0] = _mm512_shuffle_ps(t[4 * k], t[4 * k + 2], 0x44);
            u[4 * k + 1] = _mm512_shuffle_ps(t[4 * k], t[4 * k + 2], 0xEE);
            u[4 * k + 2] = _mm512_shuffle_ps(t[4 * k + 1], t[4 * k + 3], 0x44);
            u[4 * k + 3] = _mm512_shuffle_ps(t[4 * k + 1], t[4 * k + 3], 0xEE);
        }
        // u[4k+m], 128-bit lane L: column 4L+m, rows 4k..4k+3
    }
    FOLDBACK_SIMD_INLINE static void transpose(F* r) noexcept {
        F u[16];
        transposeInLanes(r, u);
#pragma GCC unroll 4
        for (int m = 0; m < 4; ++m) {
            const F s0 = _mm512_shuffle_f32x4(u[m], u[4 + m], 0x88);
            const F s1 = _mm512_shuffle_f32x4(u[m], u[4 + m], 0xDD);
            const F s2 = _mm512_shuffle_f32x4(u[8 + m], u[12 + m], 0x88);
            const F s3 = _mm512_shuffle_f32x4(u[8 + m], u[12 + m], 0xDD);
            r[m] = _mm512_shuffle_f32x4(s0, s2, 0x88);
            r[4 + m] = _mm512_shuffle_f32x4(s1, s3, 0x88);
            r[8 + m] = _mm512_shuffle_f32x4(s0, s2, 0xDD);
            r[12 + m] = _mm512_shuffle_f32x4(s1, s3, 0xDD);
        }
    }
    // 16 channels x 16 frames of 3-byte samples (each in the low 3 bytes of a dword, as
    // Codec::ints24 or a raw load leaves them) -> 16 packed rows of 48 bytes, stride
    // apart: the transpose above with its last round of lane shuffles and the 16 packs
    // (vpermb) merged into 16 vpermt2b: 64 shuffles per block instead of 80.
    static constexpr bool kBlock24 = true;
    template <bool Big>
    FOLDBACK_SIMD_INLINE static void storeBlock24(std::uint8_t* row, std::size_t stride,
                                                  F* r) noexcept {
        F u[16];
        transposeInLanes(r, u);
        const __m512i even = _mm512_load_si512(kPack24Idx.pick[Big][0]);
        const __m512i odd = _mm512_load_si512(kPack24Idx.pick[Big][1]);
        constexpr __mmask64 kRow = 0x0000FFFFFFFFFFFFull;
#pragma GCC unroll 4
        for (int m = 0; m < 4; ++m) {
            const __m512i s0 = _mm512_castps_si512(_mm512_shuffle_f32x4(u[m], u[4 + m], 0x88));
            const __m512i s1 = _mm512_castps_si512(_mm512_shuffle_f32x4(u[m], u[4 + m], 0xDD));
            const __m512i s2 = _mm512_castps_si512(_mm512_shuffle_f32x4(u[8 + m], u[12 + m], 0x88));
            const __m512i s3 = _mm512_castps_si512(_mm512_shuffle_f32x4(u[8 + m], u[12 + m], 0xDD));
            _mm512_mask_storeu_epi8(row + m * stride, kRow, _mm512_permutex2var_epi8(s0, even, s2));
            _mm512_mask_storeu_epi8(row + (4 + m) * stride, kRow,
                                    _mm512_permutex2var_epi8(s1, even, s3));
            _mm512_mask_storeu_epi8(row + (8 + m) * stride, kRow,
                                    _mm512_permutex2var_epi8(s0, odd, s2));
            _mm512_mask_storeu_epi8(row + (12 + m) * stride, kRow,
                                    _mm512_permutex2var_epi8(s1, odd, s3));
        }
    }
    FOLDBACK_SIMD_INLINE static void unzip(F a, F b, F& l, F& r) noexcept {
        l = _mm512_permutex2var_ps(a, _mm512_load_si512(kIdx16.even), b);
        r = _mm512_permutex2var_ps(a, _mm512_load_si512(kIdx16.odd), b);
    }
    FOLDBACK_SIMD_INLINE static void zip(F l, F r, F& a, F& b) noexcept {
        a = _mm512_permutex2var_ps(l, _mm512_load_si512(kIdx16.lo), r);
        b = _mm512_permutex2var_ps(l, _mm512_load_si512(kIdx16.hi), r);
    }
    template <ASIOSampleType T>
    struct Codec;

    // ---- 8 channels x 16 frames: two 8 x 8 transposes side by side ----
    // Eight channels would otherwise take the 8-lane path (24 shuffles per 64 samples);
    // with two rows per register the same 24 shuffles move 128. Register k holds
    // [frame k | frame k+8] (8 samples each) before, register j [ch j f0-7 | ch j f8-15]
    // after, and the same steps map back.
    static constexpr bool kHalfBlocks = true;
    FOLDBACK_SIMD_INLINE static F join(__m256 lo, __m256 hi) noexcept {
        return _mm512_insertf32x8(_mm512_castps256_ps512(lo), hi, 1);
    }
    FOLDBACK_SIMD_INLINE static __m256 low(F x) noexcept {
        return _mm512_castps512_ps256(x);
    }
    FOLDBACK_SIMD_INLINE static __m256 high(F x) noexcept {
        return _mm512_extractf32x8_ps(x, 1);
    }
    FOLDBACK_SIMD_INLINE static void transposeHalves(F* r) noexcept {
        const F t0 = _mm512_unpacklo_ps(r[0], r[1]), t1 = _mm512_unpackhi_ps(r[0], r[1]);
        const F t2 = _mm512_unpacklo_ps(r[2], r[3]), t3 = _mm512_unpackhi_ps(r[2], r[3]);
        const F t4 = _mm512_unpacklo_ps(r[4], r[5]), t5 = _mm512_unpackhi_ps(r[4], r[5]);
        const F t6 = _mm512_unpacklo_ps(r[6], r[7]), t7 = _mm512_unpackhi_ps(r[6], r[7]);
        const F u[8] = {_mm512_shuffle_ps(t0, t2, 0x44), _mm512_shuffle_ps(t0, t2, 0xEE),
                        _mm512_shuffle_ps(t1, t3, 0x44), _mm512_shuffle_ps(t1, t3, 0xEE),
                        _mm512_shuffle_ps(t4, t6, 0x44), _mm512_shuffle_ps(t4, t6, 0xEE),
                        _mm512_shuffle_ps(t5, t7, 0x44), _mm512_shuffle_ps(t5, t7, 0xEE)};
        const __m512i lo = _mm512_load_si512(kHalfIdx.lo), hi = _mm512_load_si512(kHalfIdx.hi);
#pragma GCC unroll 4
        for (int m = 0; m < 4; ++m) {
            r[m] = _mm512_permutex2var_ps(u[m], lo, u[m + 4]);
            r[m + 4] = _mm512_permutex2var_ps(u[m], hi, u[m + 4]);
        }
    }

    // ---- 8 channels x 16 frames <-> 8 rows of 2 frames (kRowIdx) ----
    // For exactly 8 channels of 24- and 32-bit device formats: each row register is 2
    // whole frames, so one 16-sample load or store per register and no joins, against
    // two 8-sample rows per register (transposeHalves) otherwise.
    static constexpr bool kEightRows = true;
    // One round: registers paired across bit s, each output from one vpermt2ps.
    FOLDBACK_SIMD_INLINE static void rowRound(F* r, int s,
                                              const std::int32_t (&idx)[2][16]) noexcept {
        const __m512i i0 = _mm512_load_si512(idx[0]);
        const __m512i i1 = _mm512_load_si512(idx[1]);
        F t[8];
#pragma GCC unroll 8
        for (int a = 0; a < 8; ++a) {
            if (bitOf(a, s) != 0) continue;
            const int b = a | 1 << s;
            t[a] = _mm512_permutex2var_ps(r[a], i0, r[b]);
            t[b] = _mm512_permutex2var_ps(r[a], i1, r[b]);
        }
#pragma GCC unroll 8
        for (int a = 0; a < 8; ++a) r[a] = t[a];
    }
    FOLDBACK_SIMD_INLINE static void rowsFromChannels(F* r) noexcept {
#pragma GCC unroll 3
        for (int s = 0; s < 3; ++s) rowRound(r, s, kRowIdx.fwd[s]);
    }
    FOLDBACK_SIMD_INLINE static void channelsFromRows(F* r) noexcept {
#pragma GCC unroll 3
        for (int s = 2; s >= 0; --s) rowRound(r, s, kRowIdx.back[s]);
    }

    // 8 rows of 3-byte samples (ints24 or raw) -> 384 bytes at p: 6 whole-line stores
    // (non-temporal when streaming; p 64-byte aligned then) instead of 8 packs and 8
    // masked 48-byte stores.
    template <bool Big, bool Stream>
    FOLDBACK_SIMD_INLINE static void storeRows24(std::uint8_t* p, const __m512i* w) noexcept {
#pragma GCC unroll 2
        for (int h = 0; h < 2; ++h) {
#pragma GCC unroll 3
            for (int l = 0; l < 3; ++l) {
                const __m512i x = _mm512_permutex2var_epi8(
                    w[4 * h + l], _mm512_load_si512(kPack24Idx.line[Big][l]), w[4 * h + l + 1]);
                auto* q = p + 64 * (3 * h + l);
                if constexpr (Stream) {
                    _mm512_stream_si512(reinterpret_cast<__m512i*>(q), x);
                } else {
                    _mm512_storeu_si512(q, x);
                }
            }
        }
    }

    // ---- 16-bit samples: transpose the words themselves ----
    // Widening 16 rows to floats first and transposing 32-bit lanes costs 80 shuffles per
    // 16 x 16 block; transposing the 16-bit words (two frames per register) and widening
    // each channel once costs 48. Register k holds [frame k | frame k+8] before, register m
    // [ch m f0-7 | ch m+8 f0-7 | ch m f8-15 | ch m+8 f8-15] after; the same three rounds
    // of unpacks map either layout to the other.
    static constexpr bool kWordTranspose = true;
    FOLDBACK_SIMD_INLINE static void transposeWords(__m512i* z) noexcept {
        __m512i u[8], v[8];
#pragma GCC unroll 4
        for (int j = 0; j < 4; ++j) {
            u[2 * j] = _mm512_unpacklo_epi16(z[2 * j], z[2 * j + 1]);
            u[2 * j + 1] = _mm512_unpackhi_epi16(z[2 * j], z[2 * j + 1]);
        }
#pragma GCC unroll 2
        for (int i = 0; i < 2; ++i) {
            v[4 * i] = _mm512_unpacklo_epi32(u[4 * i], u[4 * i + 2]);
            v[4 * i + 1] = _mm512_unpackhi_epi32(u[4 * i], u[4 * i + 2]);
            v[4 * i + 2] = _mm512_unpacklo_epi32(u[4 * i + 1], u[4 * i + 3]);
            v[4 * i + 3] = _mm512_unpackhi_epi32(u[4 * i + 1], u[4 * i + 3]);
        }
#pragma GCC unroll 4
        for (int m = 0; m < 4; ++m) {
            z[2 * m] = _mm512_unpacklo_epi64(v[m], v[4 + m]);
            z[2 * m + 1] = _mm512_unpackhi_epi64(v[m], v[4 + m]);
        }
    }

    // Frames f.. f+15 of channels c.. c+15: 16-bit device samples -> Float32LSB, or moved.
    template <ASIOSampleType From, ASIOSampleType To>
    FOLDBACK_SIMD_INLINE static void deinterleaveWords(const std::uint8_t* s, std::size_t channels,
                                                       void* const* dst, std::size_t f,
                                                       std::size_t c) noexcept {
        constexpr bool raw = From == To;
        const std::size_t stride = channels * 2;
        const std::uint8_t* row = s + (f * channels + c) * 2;
        __m512i z[8];
#pragma GCC unroll 8
        for (int k = 0; k < 8; ++k) {
            const __m256i lo =
                _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + k * stride));
            const __m256i hi =
                _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + (k + 8) * stride));
            z[k] = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
            if constexpr (!raw && typeInfo(From).bigEndian)
                z[k] = _mm512_shuffle_epi8(z[k], kSwap16x32.v());
        }
        transposeWords(z);
#pragma GCC unroll 8
        for (int m = 0; m < 8; ++m) {
#pragma GCC unroll 2
            for (int h = 0; h < 2; ++h) {
                auto* d = static_cast<std::uint8_t*>(dst[c + m + 8 * h]);
                if (d == nullptr) continue;
                if constexpr (raw) {
                    const __m512i w =
                        _mm512_permutexvar_epi64(_mm512_load_si512(kWordIdx.half[h]), z[m]);
                    _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + f * 2),
                                        _mm512_castsi512_si256(w));
                } else {
                    const __m512i top = _mm512_maskz_permutexvar_epi16(
                        0xAAAAAAAAu, _mm512_load_si512(kWordIdx.top[h]), z[m]);
                    Codec<To>::store(
                        d + f * kBytesOfType<To>,
                        _mm512_mul_ps(_mm512_cvtepi32_ps(top), _mm512_set1_ps(0x1p-31f)));
                }
            }
        }
    }

    // Float32LSB (or the same 16-bit type) of channels c.. c+15 -> frames f.. f+15 of a
    // 16-bit device format.
    template <ASIOSampleType From, ASIOSampleType To>
    FOLDBACK_SIMD_INLINE static void interleaveWords(const void* const* src, std::size_t channels,
                                                     std::uint8_t* d, std::size_t f,
                                                     std::size_t c) noexcept {
        constexpr bool raw = From == To;
        __m512i z[8];
#pragma GCC unroll 8
        for (int m = 0; m < 8; ++m) {
            const auto* a = static_cast<const std::uint8_t*>(src[c + m]);
            const auto* b = static_cast<const std::uint8_t*>(src[c + m + 8]);
            if constexpr (raw) {
                const __m512i va = a != nullptr ? _mm512_castsi256_si512(_mm256_loadu_si256(
                                                      reinterpret_cast<const __m256i*>(a + f * 2)))
                                                : _mm512_setzero_si512();
                const __m512i vb = b != nullptr ? _mm512_castsi256_si512(_mm256_loadu_si256(
                                                      reinterpret_cast<const __m256i*>(b + f * 2)))
                                                : _mm512_setzero_si512();
                z[m] = _mm512_permutex2var_epi64(va, _mm512_load_si512(kWordIdx.join), vb);
            } else {
                const __m512i ia = a != nullptr
                                       ? toWords(Codec<From>::load(a + f * kBytesOfType<From>))
                                       : _mm512_setzero_si512();
                const __m512i ib = b != nullptr
                                       ? toWords(Codec<From>::load(b + f * kBytesOfType<From>))
                                       : _mm512_setzero_si512();
                z[m] = _mm512_permutex2var_epi16(ia, _mm512_load_si512(kWordIdx.pack), ib);
            }
        }
        transposeWords(z);
        const std::size_t stride = channels * 2;
        std::uint8_t* row = d + (f * channels + c) * 2;
#pragma GCC unroll 8
        for (int k = 0; k < 8; ++k) {
            __m512i x = z[k];
            if constexpr (!raw && typeInfo(To).bigEndian)
                x = _mm512_shuffle_epi8(x, kSwap16x32.v());
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(row + k * stride),
                                _mm512_castsi512_si256(x));
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(row + (k + 8) * stride),
                                _mm512_extracti64x4_epi64(x, 1));
        }
    }

    // ---- 16-bit samples <-> Float32LSB, 32 channels at a time ----
    // A 64-byte row of a 16-bit device buffer is 32 channels of one frame, or 16 dwords,
    // each holding two neighbouring channels (c + 2i low, c + 2i + 1 high). Transposing 16
    // such rows as 32-bit lanes (64 shuffles) leaves register i with frames f.. f+15 of both
    // channels of pair i; each channel then comes out with a shift or a mask, no shuffle.
    // That is 32 shuffles per 256 samples against 48 for the word transpose above (which
    // stays for a remainder of 16 channels), and no 256-bit inserts.
    static constexpr bool kPairTranspose = true;

    // Frames f.. f+15 of channels c.. c+31: 16-bit device samples -> Float32LSB.
    template <ASIOSampleType From, ASIOSampleType To>
    FOLDBACK_SIMD_INLINE static void deinterleavePairs(const std::uint8_t* s, std::size_t channels,
                                                       void* const* dst, std::size_t f,
                                                       std::size_t c) noexcept {
        const std::size_t stride = channels * 2;
        const std::uint8_t* row = s + (f * channels + c) * 2;
        F r[16];
#pragma GCC unroll 16
        for (int k = 0; k < 16; ++k) {
            __m512i x = _mm512_loadu_si512(row + k * stride);
            if constexpr (typeInfo(From).bigEndian) x = _mm512_shuffle_epi8(x, kSwap16x32.v());
            r[k] = _mm512_castsi512_ps(x);
        }
        transpose(r);
        // Each word becomes a float with integer operations and one subtraction, off the
        // conversion unit: its bits, sign flipped (u = w + 32768), go to the top of the
        // mantissa of 2.0, which gives 2 + u / 2^15 exactly; minus 3.0 that is w / 2^15
        // exactly. (A & mask) ^ (exponent | sign flip) is one vpternlogd (0x6A). Measured
        // +1-3% at 64 ch x 256 frames (Zen 5) against a conversion and a multiplication.
        const __m512i mask = _mm512_set1_epi32(0x007FFF80);
        const __m512i bits = _mm512_set1_epi32(0x40400000);
        const __m512 three = _mm512_set1_ps(3.0f);
#pragma GCC unroll 16
        for (int i = 0; i < 16; ++i) {
            const __m512i x = _mm512_castps_si512(r[i]);
            auto* d0 = static_cast<std::uint8_t*>(dst[c + 2 * i]);
            auto* d1 = static_cast<std::uint8_t*>(dst[c + 2 * i + 1]);
            if (d0 != nullptr)  // low word: bits 0..15 -> 7..22
                Codec<To>::store(d0 + f * kBytesOfType<To>,
                                 _mm512_sub_ps(_mm512_castsi512_ps(_mm512_ternarylogic_epi32(
                                                   _mm512_slli_epi32(x, 7), mask, bits, 0x6A)),
                                               three));
            if (d1 != nullptr)  // high word: bits 16..31 -> 7..22
                Codec<To>::store(d1 + f * kBytesOfType<To>,
                                 _mm512_sub_ps(_mm512_castsi512_ps(_mm512_ternarylogic_epi32(
                                                   _mm512_srli_epi32(x, 9), mask, bits, 0x6A)),
                                               three));
        }
    }

    // Float32LSB of channels c.. c+31 -> frames f.. f+15 of a 16-bit device format.
    // Two channels' words are joined with one saturating pack (vpackssdw: which also
    // clamps -Inf and large negatives, see toDwords) and one in-lane byte shuffle into the
    // (low: c + 2i, high: c + 2i + 1) dwords the pair transpose takes: 2 ops per pair, and
    // no max: measured +5-8% at 64 ch x 256 frames (Zen 5) against the blend of two
    // vectors clamped on both sides.
    template <ASIOSampleType From, ASIOSampleType To>
    FOLDBACK_SIMD_INLINE static void interleavePairs(const void* const* src, std::size_t channels,
                                                     std::uint8_t* d, std::size_t f,
                                                     std::size_t c) noexcept {
        F r[16];
        const __m512i pairUp = kPairUp.v();
#pragma GCC unroll 16
        for (int i = 0; i < 16; ++i) {
            const auto* a = static_cast<const std::uint8_t*>(src[c + 2 * i]);
            const auto* b = static_cast<const std::uint8_t*>(src[c + 2 * i + 1]);
            const __m512i ia = a != nullptr
                                   ? toDwords(Codec<From>::load(a + f * kBytesOfType<From>))
                                   : _mm512_setzero_si512();
            const __m512i ib = b != nullptr
                                   ? toDwords(Codec<From>::load(b + f * kBytesOfType<From>))
                                   : _mm512_setzero_si512();
            // per 128-bit lane: words a0 a1 a2 a3 b0 b1 b2 b3 -> a0 b0 a1 b1 a2 b2 a3 b3
            r[i] = _mm512_castsi512_ps(_mm512_shuffle_epi8(_mm512_packs_epi32(ia, ib), pairUp));
        }
        transpose(r);
        const std::size_t stride = channels * 2;
        std::uint8_t* row = d + (f * channels + c) * 2;
#pragma GCC unroll 16
        for (int k = 0; k < 16; ++k) {
            __m512i x = _mm512_castps_si512(r[k]);
            if constexpr (typeInfo(To).bigEndian) x = _mm512_shuffle_epi8(x, kSwap16x32.v());
            _mm512_storeu_si512(row + k * stride, x);
        }
    }

    // ---- 16-bit samples <-> Float32LSB, 8 channels at a time ----
    // Eight channels (the most common interface, and the remainder of 24, 40 or 56) would
    // otherwise take two 8-lane rows per register through transposeHalves: 16 row loads,
    // 8 joins and 24 shuffles per 128 samples, plus a conversion per 8-sample row. Sixteen
    // frames of 8 16-bit channels are 256 bytes: four registers of 4 frames each, and two
    // rounds of word permutes (vpermt2w) take them apart (4 + 8) or put them together
    // (4 packs, 4 lane shuffles, 4 permutes). Measured (Zen 5, 8 ch): see docs/convert.md.
    template <bool Contiguous>
    FOLDBACK_SIMD_INLINE static __m512i loadFrames4(const std::uint8_t* p,
                                                    std::size_t stride) noexcept {
        if constexpr (Contiguous) {
            return _mm512_loadu_si512(p);
        } else {
            __m512i x =
                _mm512_castsi128_si512(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
            x = _mm512_inserti32x4(x, _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + stride)),
                                   1);
            x = _mm512_inserti32x4(
                x, _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 2 * stride)), 2);
            return _mm512_inserti32x4(
                x, _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 3 * stride)), 3);
        }
    }
    template <bool Contiguous, bool Stream = false>
    FOLDBACK_SIMD_INLINE static void storeFrames4(std::uint8_t* p, std::size_t stride,
                                                  __m512i x) noexcept {
        if constexpr (Stream) {
            _mm512_stream_si512(reinterpret_cast<__m512i*>(p), x);
        } else if constexpr (Contiguous) {
            _mm512_storeu_si512(p, x);
        } else {
            _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm512_castsi512_si128(x));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(p + stride),
                             _mm512_extracti32x4_epi32(x, 1));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(p + 2 * stride),
                             _mm512_extracti32x4_epi32(x, 2));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(p + 3 * stride),
                             _mm512_extracti32x4_epi32(x, 3));
        }
    }

    // Frames f.. f+15 of channels c.. c+7: 16-bit device samples -> Float32LSB.
    template <ASIOSampleType From, ASIOSampleType To, bool Contiguous, bool Stream = false>
    FOLDBACK_SIMD_INLINE static void deinterleaveEightAs(const std::uint8_t* s,
                                                         std::size_t channels, void* const* dst,
                                                         std::size_t f, std::size_t c) noexcept {
        const std::size_t stride = channels * 2;
        const std::uint8_t* row = s + (f * channels + c) * 2;
        __m512i in[4];
#pragma GCC unroll 4
        for (int k = 0; k < 4; ++k) {
            in[k] = loadFrames4<Contiguous>(row + 4 * k * stride, stride);
            if constexpr (typeInfo(From).bigEndian)
                in[k] = _mm512_shuffle_epi8(in[k], kSwap16x32.v());
        }
        const __m512i g0 = _mm512_load_si512(kEightIdx.gather[0]);
        const __m512i g1 = _mm512_load_si512(kEightIdx.gather[1]);
        // [h][half]: channels 4h..4h+3, frames 0-7 (half 0) or 8-15 (half 1)
        const __m512i q[2][2] = {{_mm512_permutex2var_epi16(in[0], g0, in[1]),
                                  _mm512_permutex2var_epi16(in[2], g0, in[3])},
                                 {_mm512_permutex2var_epi16(in[0], g1, in[1]),
                                  _mm512_permutex2var_epi16(in[2], g1, in[3])}};
#pragma GCC unroll 8
        for (int ch = 0; ch < 8; ++ch) {
            auto* d = static_cast<std::uint8_t*>(dst[c + ch]);
            if (d == nullptr) continue;
            const __m512i top = _mm512_maskz_permutex2var_epi16(
                0xAAAAAAAAu, q[ch / 4][0], _mm512_load_si512(kEightIdx.top[ch % 4]), q[ch / 4][1]);
            const __m512 x = _mm512_mul_ps(_mm512_cvtepi32_ps(top), _mm512_set1_ps(0x1p-31f));
            if constexpr (Stream) {
                _mm512_stream_ps(reinterpret_cast<float*>(d + f * 4), x);
            } else {
                Codec<To>::store(d + f * kBytesOfType<To>, x);
            }
        }
    }
    // Exactly 8 channels, with non-temporal stores: each channel's 16 floats are one whole
    // cache line of its buffer (the buffers 64-byte aligned).
    template <ASIOSampleType From>
    FOLDBACK_SIMD_INLINE static void deinterleaveEightStream(const std::uint8_t* s,
                                                             void* const* dst,
                                                             std::size_t f) noexcept {
        deinterleaveEightAs<From, ASIOSTFloat32LSB, true, true>(s, 8, dst, f, 0);
    }
    template <ASIOSampleType From, ASIOSampleType To>
    FOLDBACK_SIMD_INLINE static void deinterleaveEight(const std::uint8_t* s, std::size_t channels,
                                                       void* const* dst, std::size_t f,
                                                       std::size_t c) noexcept {
        if (channels == 8) {
            deinterleaveEightAs<From, To, true>(s, channels, dst, f, c);
        } else {
            deinterleaveEightAs<From, To, false>(s, channels, dst, f, c);
        }
    }

    // Float32LSB of channels c.. c+7 -> frames f.. f+15 of a 16-bit device format. Packs
    // join channels (0, 1), (2, 3), (4, 5), (6, 7) 4 frames per 128-bit lane; a lane shuffle
    // puts frames 0-7 (lo) and 8-15 (hi) of four channels in one register; one permute per
    // 4 frames then takes all 8 channels from two of those.
    template <ASIOSampleType From, ASIOSampleType To, bool Contiguous, bool Stream = false>
    FOLDBACK_SIMD_INLINE static void interleaveEightAs(const void* const* src, std::size_t channels,
                                                       std::uint8_t* d, std::size_t f,
                                                       std::size_t c) noexcept {
        __m512i i[8];
#pragma GCC unroll 8
        for (int ch = 0; ch < 8; ++ch) {
            const auto* a = static_cast<const std::uint8_t*>(src[c + ch]);
            i[ch] = a != nullptr ? toDwords(Codec<From>::load(a + f * kBytesOfType<From>))
                                 : _mm512_setzero_si512();
        }
        const __m512i p0 = _mm512_packs_epi32(i[0], i[1]), p1 = _mm512_packs_epi32(i[2], i[3]);
        const __m512i p2 = _mm512_packs_epi32(i[4], i[5]), p3 = _mm512_packs_epi32(i[6], i[7]);
        const __m512i aLo = _mm512_shuffle_i64x2(p0, p1, 0x44),
                      aHi = _mm512_shuffle_i64x2(p0, p1, 0xEE);
        const __m512i bLo = _mm512_shuffle_i64x2(p2, p3, 0x44),
                      bHi = _mm512_shuffle_i64x2(p2, p3, 0xEE);
        const __m512i s0 = _mm512_load_si512(kEightIdx.scatter[0]);
        const __m512i s1 = _mm512_load_si512(kEightIdx.scatter[1]);
        __m512i out[4] = {
            _mm512_permutex2var_epi16(aLo, s0, bLo), _mm512_permutex2var_epi16(aLo, s1, bLo),
            _mm512_permutex2var_epi16(aHi, s0, bHi), _mm512_permutex2var_epi16(aHi, s1, bHi)};
        const std::size_t stride = channels * 2;
        std::uint8_t* row = d + (f * channels + c) * 2;
#pragma GCC unroll 4
        for (int k = 0; k < 4; ++k) {
            if constexpr (typeInfo(To).bigEndian)
                out[k] = _mm512_shuffle_epi8(out[k], kSwap16x32.v());
            storeFrames4<Contiguous, Stream>(row + 4 * k * stride, stride, out[k]);
        }
    }
    // The same for exactly 8 channels with non-temporal stores: every register is one
    // whole cache line of the device buffer (d + 16 f must be 64-byte aligned).
    template <ASIOSampleType From, ASIOSampleType To>
    FOLDBACK_SIMD_INLINE static void interleaveEightStream(const void* const* src, std::uint8_t* d,
                                                           std::size_t f) noexcept {
        interleaveEightAs<From, To, true, true>(src, 8, d, f, 0);
    }
    template <ASIOSampleType From, ASIOSampleType To>
    FOLDBACK_SIMD_INLINE static void interleaveEight(const void* const* src, std::size_t channels,
                                                     std::uint8_t* d, std::size_t f,
                                                     std::size_t c) noexcept {
        if (channels == 8) {
            interleaveEightAs<From, To, true>(src, channels, d, f, c);
        } else {
            interleaveEightAs<From, To, false>(src, channels, d, f, c);
        }
    }

    // Floats -> 32-bit integers whose saturation to 16 bits (vpackssdw) is the numeric
    // model's (formats.hpp): scaled, clamped above only (a NaN lane is zeroed by the mask;
    // -Inf and anything below -2^31 convert to 0x80000000, which saturates to -32768 like
    // every value below -32768), rounded to nearest by the conversion.
    FOLDBACK_SIMD_INLINE static __m512i toDwords(__m512 x) noexcept {
        const __m512 t0 = _mm512_mul_ps(x, _mm512_set1_ps(32768.0f));
        const __mmask16 ord = _mm512_cmp_ps_mask(t0, t0, _CMP_ORD_Q);
        return _mm512_maskz_cvtps_epi32(ord, _mm512_min_ps(t0, _mm512_set1_ps(32767.0f)));
    }

    // Floats -> 16-bit integers in 32-bit lanes, by the numeric model (formats.hpp).
    FOLDBACK_SIMD_INLINE static __m512i toWords(__m512 x) noexcept {
        const __m512 t0 = _mm512_mul_ps(x, _mm512_set1_ps(32768.0f));
        const __mmask16 ord = _mm512_cmp_ps_mask(t0, t0, _CMP_ORD_Q);  // NaN lanes -> 0
        const __m512 t =
            _mm512_min_ps(_mm512_max_ps(t0, _mm512_set1_ps(-32768.0f)), _mm512_set1_ps(32767.0f));
        return _mm512_maskz_cvtps_epi32(ord, t);
    }
};

template <ASIOSampleType T>
struct X512::Codec {
    static constexpr TypeInfo kInfo = typeInfo(T);
    static constexpr bool kBig = kInfo.bigEndian;
    static constexpr int kBits = kInfo.bits;
    using F = __m512;

    // vpermb controls for 16 packed 3-byte samples (48 bytes) <-> 16 x 32-bit words
    static constexpr Mask64 spreadIdx(bool top) noexcept {
        Mask64 m{};
        for (int j = 0; j < 64; ++j) {
            const int s = j / 4, k = top ? j % 4 - 1 : j % 4;  // sample, byte (LSB first)
            m.b[j] = (k < 0 || k > 2) ? 0 : static_cast<std::int8_t>(3 * s + (kBig ? 2 - k : k));
        }
        return m;
    }
    static constexpr Mask64 packIdx() noexcept {
        Mask64 m{};
        for (int j = 0; j < 64; ++j) {
            const int s = j / 3, k = j % 3;
            m.b[j] = j >= 48 ? 0 : static_cast<std::int8_t>(4 * s + (kBig ? 2 - k : k));
        }
        return m;
    }
    static constexpr Mask64 kSpreadTop = spreadIdx(true);
    static constexpr Mask64 kSpreadLow = spreadIdx(false);
    static constexpr Mask64 kPack = packIdx();
    static constexpr __mmask64 kBytes48 = 0x0000FFFFFFFFFFFFull;
    // Packed 24-bit rows are 48 bytes. The exact load is masked, which AMD cores serve
    // slowly from DRAM (measured: half the rate); loops use the plain 64-byte load instead
    // wherever the 16 bytes past the row are known to be inside the caller's buffer.
    static constexpr std::size_t kOverRead = kInfo.bytes == 3 ? 16 : 0;

    // One masked store, not a 32- and a 16-byte store with an extract (a shuffle) between:
    // measured +5-8% for Float32 -> S24_3LE / Int24LSB at 64 ch x 256 frames (Zen 5).
    FOLDBACK_SIMD_INLINE static void store48(std::uint8_t* p, __m512i packed) noexcept {
        _mm512_mask_storeu_epi8(p, kBytes48, packed);
    }

    FOLDBACK_SIMD_INLINE static __m512i bytes48(const std::uint8_t* p) noexcept {
        return _mm512_maskz_loadu_epi8(kBytes48, p);
    }
    FOLDBACK_SIMD_INLINE static __m512i bytes64(const std::uint8_t* p) noexcept {
        return _mm512_loadu_si512(p);
    }
    FOLDBACK_SIMD_INLINE static F load(const std::uint8_t* p) noexcept { return load<false>(p); }
    FOLDBACK_SIMD_INLINE static F loadWide(const std::uint8_t* p) noexcept { return load<true>(p); }
    FOLDBACK_SIMD_INLINE static F loadRaw(const std::uint8_t* p) noexcept {
        return loadRaw<false>(p);
    }
    FOLDBACK_SIMD_INLINE static F loadRawWide(const std::uint8_t* p) noexcept {
        return loadRaw<true>(p);
    }

    template <bool Wide>
    FOLDBACK_SIMD_INLINE static F load(const std::uint8_t* p) noexcept {
        if constexpr (kInfo.kind == Kind::Int) {
            if constexpr (kInfo.bytes == 2) {
                __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
                if (kBig) x = _mm256_shuffle_epi8(x, _mm512_castsi512_si256(kSwap16x32.v()));
                return _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi16_epi32(x)),
                                     _mm512_set1_ps(0x1p-15f));
            } else {
                __m512i top;
                if constexpr (kInfo.bytes == 3) {
                    top = _mm512_maskz_permutexvar_epi8(0xEEEEEEEEEEEEEEEEull, kSpreadTop.v(),
                                                        Wide ? bytes64(p) : bytes48(p));
                } else {
                    top = _mm512_loadu_si512(p);
                    if (kBig) top = _mm512_shuffle_epi8(top, kSwap32x16.v());
                    if (kBits != 32) top = _mm512_slli_epi32(top, 32 - kBits);
                }
                return _mm512_mul_ps(_mm512_cvtepi32_ps(top), _mm512_set1_ps(0x1p-31f));
            }
        } else if constexpr (kInfo.kind == Kind::Float32) {
            __m512i x = _mm512_loadu_si512(p);
            if (kBig) x = _mm512_shuffle_epi8(x, kSwap32x16.v());
            return _mm512_castsi512_ps(x);
        } else {
            __m512i a = _mm512_loadu_si512(p);
            __m512i b = _mm512_loadu_si512(p + 64);
            if (kBig) {
                a = _mm512_shuffle_epi8(a, kSwap64x8.v());
                b = _mm512_shuffle_epi8(b, kSwap64x8.v());
            }
            return _mm512_insertf32x8(
                _mm512_castps256_ps512(_mm512_cvtpd_ps(_mm512_castsi512_pd(a))),
                _mm512_cvtpd_ps(_mm512_castsi512_pd(b)), 1);
        }
    }

    FOLDBACK_SIMD_INLINE static void store(std::uint8_t* p, F x) noexcept {
        if constexpr (kInfo.bytes == 4) {
            _mm512_storeu_si512(p, encode4(x));
        } else if constexpr (kInfo.kind == Kind::Int) {
            const __m512 t0 = _mm512_mul_ps(x, _mm512_set1_ps(ScalarCodec<T>::kScaleF));
            const __mmask16 ord = _mm512_cmp_ps_mask(t0, t0, _CMP_ORD_Q);  // NaN lanes -> 0
            if constexpr (kInfo.bytes == 2) {
                // vpmovsdw saturates; only +overflow (cvt gives 0x80000000) needs the clamp
                const __m512 t = _mm512_min_ps(t0, _mm512_set1_ps(32767.0f));
                __m256i s = _mm512_cvtsepi32_epi16(_mm512_maskz_cvtps_epi32(ord, t));
                if (kBig) s = _mm256_shuffle_epi8(s, _mm512_castsi512_si256(kSwap16x32.v()));
                _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), s);
            } else {
                store48(p, _mm512_permutexvar_epi8(kPack.v(), clampedInts(t0, ord)));
            }
        } else {
            __m512i a = _mm512_castpd_si512(_mm512_cvtps_pd(_mm512_castps512_ps256(x)));
            __m512i b = _mm512_castpd_si512(_mm512_cvtps_pd(_mm512_extractf32x8_ps(x, 1)));
            if (kBig) {
                a = _mm512_shuffle_epi8(a, kSwap64x8.v());
                b = _mm512_shuffle_epi8(b, kSwap64x8.v());
            }
            _mm512_storeu_si512(p, a);
            _mm512_storeu_si512(p + 64, b);
        }
    }

    // 4-byte formats: the 64 bytes store writes.
    FOLDBACK_SIMD_INLINE static __m512i encode4(F x) noexcept {
        static_assert(kInfo.bytes == 4);
        __m512i i;
        if constexpr (kInfo.kind == Kind::Int) {
            const __m512 t0 = _mm512_mul_ps(x, _mm512_set1_ps(ScalarCodec<T>::kScaleF));
            const __mmask16 ord = _mm512_cmp_ps_mask(t0, t0, _CMP_ORD_Q);  // NaN lanes -> 0
            if constexpr (kBits == 32) {
                const __mmask16 over = _mm512_cmp_ps_mask(t0, _mm512_set1_ps(0x1p31f), _CMP_GE_OQ);
                i = _mm512_mask_mov_epi32(_mm512_maskz_cvtps_epi32(ord, t0), over,
                                          _mm512_set1_epi32(0x7FFFFFFF));
            } else {
                i = clampedInts(t0, ord);
            }
        } else {
            i = _mm512_castps_si512(x);
        }
        if (kBig) i = _mm512_shuffle_epi8(i, kSwap32x16.v());
        return i;
    }

    // Scaled samples of fewer than 32 bits (t0, NaN lanes cleared in ord) -> integers
    // clamped to full scale, rounded to nearest.
    FOLDBACK_SIMD_INLINE static __m512i clampedInts(__m512 t0, __mmask16 ord) noexcept {
        __m512 t = _mm512_max_ps(t0, _mm512_set1_ps(-ScalarCodec<T>::kScaleF));
        t = _mm512_min_ps(t, _mm512_set1_ps(ScalarCodec<T>::kScaleF - 1.0f));
        return _mm512_maskz_cvtps_epi32(ord, t);
    }
    // 3-byte formats: what store writes, before packing: each sample in the low 3 bytes
    // of a dword (X512::storeRows24 packs 8 such registers into 6 cache lines).
    FOLDBACK_SIMD_INLINE static __m512i ints24(F x) noexcept {
        static_assert(kInfo.kind == Kind::Int && kInfo.bytes == 3);
        const __m512 t0 = _mm512_mul_ps(x, _mm512_set1_ps(ScalarCodec<T>::kScaleF));
        return clampedInts(t0, _mm512_cmp_ps_mask(t0, t0, _CMP_ORD_Q));
    }

    template <bool Wide>
    FOLDBACK_SIMD_INLINE static F loadRaw(const std::uint8_t* p) noexcept {
        if constexpr (kInfo.bytes == 2) {
            return _mm512_castsi512_ps(
                _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))));
        } else if constexpr (kInfo.bytes == 3) {
            // a move: byte order does not matter, spread as if little-endian
            return _mm512_castsi512_ps(_mm512_maskz_permutexvar_epi8(
                0x7777777777777777ull, X512::Codec<ASIOSTInt24LSB>::kSpreadLow.v(),
                Wide ? bytes64(p) : bytes48(p)));
        } else {
            return _mm512_loadu_ps(p);
        }
    }

    FOLDBACK_SIMD_INLINE static void storeRaw(std::uint8_t* p, F x) noexcept {
        const __m512i i = _mm512_castps_si512(x);
        if constexpr (kInfo.bytes == 2) {
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), _mm512_cvtepi32_epi16(i));
        } else if constexpr (kInfo.bytes == 3) {
            store48(p, _mm512_permutexvar_epi8(X512::Codec<ASIOSTInt24LSB>::kPack.v(), i));
        } else {
            _mm512_storeu_si512(p, i);
        }
    }
};

// ---- 8 lanes of 64 bits: raw moves of 8-byte samples ------------------------------------

struct Idx8 {
    alignas(64) std::int64_t even[8], odd[8], lo[8], hi[8], unpackLo[8], unpackHi[8];
};
constexpr Idx8 makeIdx8() noexcept {
    Idx8 x{};
    for (int i = 0; i < 8; ++i) {
        x.even[i] = 2 * i;
        x.odd[i] = 2 * i + 1;
        x.lo[i] = i / 2 + (i % 2) * 8;
        x.hi[i] = 4 + i / 2 + (i % 2) * 8;
        x.unpackLo[i] = (i / 2) * 2 + (i % 2) * 8;  // as unpacklo_pd: a0 b0 a2 b2 ...
        x.unpackHi[i] = (i / 2) * 2 + 1 + (i % 2) * 8;
    }
    return x;
}
inline constexpr Idx8 kIdx8 = makeIdx8();

struct X512d {
    using F = __m512d;
    static constexpr std::size_t kLanes = 8;
    FOLDBACK_SIMD_INLINE static F zero() noexcept { return _mm512_setzero_pd(); }
    // 128-bit lane shuffle
    template <int Imm>
    FOLDBACK_SIMD_INLINE static F lanes(F a, F b) noexcept {
        return _mm512_castps_pd(
            _mm512_shuffle_f32x4(_mm512_castpd_ps(a), _mm512_castpd_ps(b), Imm));
    }
    FOLDBACK_SIMD_INLINE static void transpose(F* r) noexcept {
        const __m512i lo = _mm512_load_si512(kIdx8.unpackLo),
                      hi = _mm512_load_si512(kIdx8.unpackHi);
        F t[8];
#pragma GCC unroll 4
        for (int k = 0; k < 4; ++k) {
            t[2 * k] = _mm512_permutex2var_pd(r[2 * k], lo, r[2 * k + 1]);
            t[2 * k + 1] = _mm512_permutex2var_pd(r[2 * k], hi, r[2 * k + 1]);
        }
        // t[m + 2k], 128-bit lane L: column 2L+m, rows 2k, 2k+1
#pragma GCC unroll 2
        for (int m = 0; m < 2; ++m) {
            const F s0 = lanes<0x88>(t[m], t[2 + m]);
            const F s1 = lanes<0xDD>(t[m], t[2 + m]);
            const F s2 = lanes<0x88>(t[4 + m], t[6 + m]);
            const F s3 = lanes<0xDD>(t[4 + m], t[6 + m]);
            r[m] = lanes<0x88>(s0, s2);
            r[2 + m] = lanes<0x88>(s1, s3);
            r[4 + m] = lanes<0xDD>(s0, s2);
            r[6 + m] = lanes<0xDD>(s1, s3);
        }
    }
    FOLDBACK_SIMD_INLINE static void unzip(F a, F b, F& l, F& r) noexcept {
        l = _mm512_permutex2var_pd(a, _mm512_load_si512(kIdx8.even), b);
        r = _mm512_permutex2var_pd(a, _mm512_load_si512(kIdx8.odd), b);
    }
    FOLDBACK_SIMD_INLINE static void zip(F l, F r, F& a, F& b) noexcept {
        a = _mm512_permutex2var_pd(l, _mm512_load_si512(kIdx8.lo), r);
        b = _mm512_permutex2var_pd(l, _mm512_load_si512(kIdx8.hi), r);
    }
    template <ASIOSampleType T>
    struct Codec {
        FOLDBACK_SIMD_INLINE static F loadRaw(const std::uint8_t* p) noexcept {
            return _mm512_loadu_pd(p);
        }
        FOLDBACK_SIMD_INLINE static void storeRaw(std::uint8_t* p, F x) noexcept {
            _mm512_storeu_pd(p, x);
        }
    };
};

#endif  // AVX-512

}  // namespace
}  // namespace foldback::convert::detail
