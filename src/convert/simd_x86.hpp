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

// The one-sample codec of formats.hpp (inside X128::Codec the bare name means itself).
template <ASIOSampleType T>
using ScalarCodec = Codec<T>;

// ---- 128-bit helpers (SSE2; SSSE3 where the file is built with it) ---------------------

inline __m128i bswap16x8(__m128i x) noexcept {
    return _mm_or_si128(_mm_slli_epi16(x, 8), _mm_srli_epi16(x, 8));
}

inline __m128i bswap32x4(__m128i x) noexcept {
#if defined(__SSSE3__)
    return _mm_shuffle_epi8(x, _mm_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12));
#else
    x = bswap16x8(x);
    return _mm_shufflehi_epi16(_mm_shufflelo_epi16(x, 0xB1), 0xB1);
#endif
}

inline __m128i bswap64x2(__m128i x) noexcept {
#if defined(__SSSE3__)
    return _mm_shuffle_epi8(x, _mm_setr_epi8(7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8));
#else
    x = bswap16x8(x);
    return _mm_shufflehi_epi16(_mm_shufflelo_epi16(x, 0x1B), 0x1B);
#endif
}

// Exactly 12 bytes: no read past the samples this vector owns.
inline __m128i load12(const std::uint8_t* p) noexcept {
    std::int32_t w;
    std::memcpy(&w, p + 8, 4);
    return _mm_unpacklo_epi64(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)),
                              _mm_cvtsi32_si128(w));
}

inline void store12(std::uint8_t* p, __m128i v) noexcept {
    _mm_storel_epi64(reinterpret_cast<__m128i*>(p), v);
    const std::int32_t w = _mm_cvtsi128_si32(_mm_srli_si128(v, 8));
    std::memcpy(p + 8, &w, 4);
}

// Four packed 3-byte groups (bytes 0..11) -> one group in the low 3 bytes of each lane.
inline __m128i spread24(__m128i x) noexcept {
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
inline __m128i pack24(__m128i x) noexcept {
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
inline __m128i swap24(__m128i x) noexcept {
    const __m128i lo = _mm_set1_epi32(0xFF);
    return _mm_or_si128(_mm_or_si128(_mm_slli_epi32(_mm_and_si128(x, lo), 16),
                                     _mm_and_si128(x, _mm_set1_epi32(0xFF00))),
                        _mm_and_si128(_mm_srli_epi32(x, 16), lo));
}

// ---- 4 lanes of 32 bits -----------------------------------------------------------------

struct X128 {
    using F = __m128;
    static constexpr std::size_t kLanes = 4;
    static F zero() noexcept { return _mm_setzero_ps(); }
    static void transpose(F* r) noexcept { _MM_TRANSPOSE4_PS(r[0], r[1], r[2], r[3]); }
    // a = L0 R0 L1 R1, b = L2 R2 L3 R3  <->  l = L0..L3, r = R0..R3
    static void unzip(F a, F b, F& l, F& r) noexcept {
        l = _mm_shuffle_ps(a, b, 0x88);
        r = _mm_shuffle_ps(a, b, 0xDD);
    }
    static void zip(F l, F r, F& a, F& b) noexcept {
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
    static void putInts(std::uint8_t* p, __m128i i) noexcept {
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

    static F load(const std::uint8_t* p) noexcept {
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

    static void store(std::uint8_t* p, F x) noexcept {
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
    static F loadRaw(const std::uint8_t* p) noexcept {
        if constexpr (kInfo.bytes == 2) {
            return _mm_castsi128_ps(_mm_unpacklo_epi16(
                _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)), _mm_setzero_si128()));
        } else if constexpr (kInfo.bytes == 3) {
            return _mm_castsi128_ps(spread24(load12(p)));
        } else {
            return _mm_loadu_ps(reinterpret_cast<const float*>(p));
        }
    }

    static void storeRaw(std::uint8_t* p, F x) noexcept {
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
    static F zero() noexcept { return _mm_setzero_pd(); }
    static void transpose(F* r) noexcept {
        const F t = _mm_unpacklo_pd(r[0], r[1]);
        r[1] = _mm_unpackhi_pd(r[0], r[1]);
        r[0] = t;
    }
    static void unzip(F a, F b, F& l, F& r) noexcept {
        l = _mm_unpacklo_pd(a, b);
        r = _mm_unpackhi_pd(a, b);
    }
    static void zip(F l, F r, F& a, F& b) noexcept {
        a = _mm_unpacklo_pd(l, r);
        b = _mm_unpackhi_pd(l, r);
    }
    template <ASIOSampleType T>
    struct Codec {
        static F loadRaw(const std::uint8_t* p) noexcept {
            return _mm_loadu_pd(reinterpret_cast<const double*>(p));
        }
        static void storeRaw(std::uint8_t* p, F x) noexcept {
            _mm_storeu_pd(reinterpret_cast<double*>(p), x);
        }
    };
};

#if defined(__AVX2__)

// ---- 8 lanes of 32 bits -----------------------------------------------------------------

inline __m256i bswap32x8(__m256i x) noexcept {
    return _mm256_shuffle_epi8(
        x, _mm256_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12, 3, 2, 1, 0, 7, 6,
                            5, 4, 11, 10, 9, 8, 15, 14, 13, 12));
}

inline __m256i bswap64x4(__m256i x) noexcept {
    return _mm256_shuffle_epi8(
        x, _mm256_setr_epi8(7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2,
                            1, 0, 15, 14, 13, 12, 11, 10, 9, 8));
}

// Eight packed 3-byte samples: bytes 0..15 in the low lane, bytes 8..23 in the high lane,
// so each lane holds four whole samples (at offset 0 and 4) and nothing past byte 23 is read.
inline __m256i load24x8(const std::uint8_t* p) noexcept {
    const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 8));
    return _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1);
}

// Lanes holding 12 packed bytes each (bytes 0..11) -> 24 contiguous bytes at p.
inline void store24x8(std::uint8_t* p, __m256i packed) noexcept {
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
    static F zero() noexcept { return _mm256_setzero_ps(); }
    static void transpose(F* r) noexcept {
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
    static void unzip(F a, F b, F& l, F& r) noexcept {
        l = _mm256_castpd_ps(
            _mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0x88)), 0xD8));
        r = _mm256_castpd_ps(
            _mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0xDD)), 0xD8));
    }
    static void zip(F l, F r, F& a, F& b) noexcept {
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

    static F load(const std::uint8_t* p) noexcept {
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

    static void store(std::uint8_t* p, F x) noexcept {
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

    static F loadRaw(const std::uint8_t* p) noexcept {
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

    static void storeRaw(std::uint8_t* p, F x) noexcept {
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
    static F zero() noexcept { return _mm256_setzero_pd(); }
    static void transpose(F* r) noexcept {
        const F t0 = _mm256_unpacklo_pd(r[0], r[1]), t1 = _mm256_unpackhi_pd(r[0], r[1]);
        const F t2 = _mm256_unpacklo_pd(r[2], r[3]), t3 = _mm256_unpackhi_pd(r[2], r[3]);
        r[0] = _mm256_permute2f128_pd(t0, t2, 0x20);
        r[1] = _mm256_permute2f128_pd(t1, t3, 0x20);
        r[2] = _mm256_permute2f128_pd(t0, t2, 0x31);
        r[3] = _mm256_permute2f128_pd(t1, t3, 0x31);
    }
    static void unzip(F a, F b, F& l, F& r) noexcept {
        l = _mm256_permute4x64_pd(_mm256_unpacklo_pd(a, b), 0xD8);
        r = _mm256_permute4x64_pd(_mm256_unpackhi_pd(a, b), 0xD8);
    }
    static void zip(F l, F r, F& a, F& b) noexcept {
        const F lo = _mm256_unpacklo_pd(l, r), hi = _mm256_unpackhi_pd(l, r);
        a = _mm256_permute2f128_pd(lo, hi, 0x20);
        b = _mm256_permute2f128_pd(lo, hi, 0x31);
    }
    template <ASIOSampleType T>
    struct Codec {
        static F loadRaw(const std::uint8_t* p) noexcept {
            return _mm256_loadu_pd(reinterpret_cast<const double*>(p));
        }
        static void storeRaw(std::uint8_t* p, F x) noexcept {
            _mm256_storeu_pd(reinterpret_cast<double*>(p), x);
        }
    };
};

#endif  // __AVX2__

}  // namespace
}  // namespace foldback::convert::detail
