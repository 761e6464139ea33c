// src/convert/simd_loops.hpp: internal. The kernel loops, written once for any vector
// width. A "width" V (simd_x86.hpp) supplies a vector type F of kLanes lanes, an in-register
// kLanes x kLanes transpose, stereo zip/unzip, and per-format codecs. Every kernel takes a
// list of widths, widest first: the widest does the bulk, narrower ones the channel and
// frame remainders, and one-sample scalar code (formats.hpp) the rest, so every tail is
// exact and nothing is read or written outside the caller's samples.
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
#include "convert/simd_x86.hpp"
#include "convert/tiers.hpp"

namespace foldback::convert::detail {
namespace {

template <ASIOSampleType T>
inline constexpr std::size_t kBytesOf = kBytesOfType<T>;

// Widths with a 16-bit word transpose (X512) use it for 16-bit device formats.
template <class V>
concept WordTranspose = requires {
    V::kWordTranspose;
};

// Widths that can hold two narrower rows per register (X512) use that for a remainder of
// 8 channels (simd_x86.hpp, transposeHalves).
template <class V>
concept HalfBlocks = requires {
    V::kHalfBlocks;
};

// Widths with the 8-channel row transpose (X512) use it for exactly 8 channels of 24- and
// 32-bit device formats (simd_x86.hpp, rowsFromChannels).
template <class V>
concept EightRows = requires {
    V::kEightRows;
};

// Widths whose transpose can end in packed 24-bit rows (X512::storeBlock24).
template <class V>
concept Block24 = requires {
    V::kBlock24;
};

// Widths with the 32-channel pair transpose (X512) use it for 16-bit device formats <->
// Float32LSB (simd_x86.hpp, deinterleavePairs).
template <class V>
concept PairTranspose = requires {
    V::kPairTranspose;
};

template <class V, ASIOSampleType Dev, ASIOSampleType Asio>
inline constexpr bool kPairBlocks =
    PairTranspose<V>&& kBytesOf<Dev> == 2 && Asio == ASIOSTFloat32LSB;

template <class A, class...>
struct FirstOf {
    using type = A;
};

template <class V, ASIOSampleType Dev, ASIOSampleType Asio>
inline constexpr bool kWordBlocks = WordTranspose<V>&& kBytesOf<Dev> == 2 &&
                                    (Asio == Dev || Asio == ASIOSTFloat32LSB);

// Native pairs move bits (loadRaw/storeRaw); all others go through floats. A codec may
// offer a faster load that reads kOverRead bytes past its samples (loadWide/loadRawWide);
// loops call it only where those bytes are known to lie inside the caller's buffer.
template <class V, ASIOSampleType From, ASIOSampleType To>
struct IO {
    using F = typename V::F;
    using In = typename V::template Codec<From>;
    using Out = typename V::template Codec<To>;
    static constexpr std::size_t kOverRead = [] {
        if constexpr (requires { In::kOverRead; }) {
            return In::kOverRead;
        } else {
            return std::size_t{0};
        }
    }();
    FOLDBACK_SIMD_INLINE static F load(const std::uint8_t* p) noexcept {
        if constexpr (From == To) {
            return In::loadRaw(p);
        } else {
            return In::load(p);
        }
    }
    FOLDBACK_SIMD_INLINE static F loadWide(const std::uint8_t* p) noexcept {
        if constexpr (kOverRead == 0) {
            return load(p);
        } else if constexpr (From == To) {
            return In::loadRawWide(p);
        } else {
            return In::loadWide(p);
        }
    }
    FOLDBACK_SIMD_INLINE static void store(std::uint8_t* p, F x) noexcept {
        if constexpr (From == To) {
            Out::storeRaw(p, x);
        } else {
            Out::store(p, x);
        }
    }
};

// A list of vector widths, widest first; each kernel runs the widest that fits and hands
// what is left to the next, then to one-sample code.
template <class... Vs>
struct Widths {};

template <ASIOSampleType From, ASIOSampleType To, class V, class... Rest>
inline std::size_t contiguousVectors(const std::uint8_t* s, std::uint8_t* d, std::size_t i,
                                     std::size_t n) noexcept {
    using I = IO<V, From, To>;
    constexpr std::size_t L = V::kLanes, bi = kBytesOf<From>, bo = kBytesOf<To>;
    // vectors starting below `wide` may use the over-reading load
    const std::size_t slack = (I::kOverRead + bi - 1) / bi;
    const std::size_t wide = n > slack ? n - slack : 0;
    if constexpr (sizeof...(Rest) > 0) {
        for (; i + 2 * L <= wide; i += 2 * L) {
            const auto a = I::loadWide(s + i * bi);
            const auto b = I::loadWide(s + (i + L) * bi);
            I::store(d + i * bo, a);
            I::store(d + (i + L) * bo, b);
        }
    }
    for (; i + L <= wide; i += L) I::store(d + i * bo, I::loadWide(s + i * bi));
    for (; i + L <= n; i += L) I::store(d + i * bo, I::load(s + i * bi));
    if constexpr (sizeof...(Rest) > 0) i = contiguousVectors<From, To, Rest...>(s, d, i, n);
    return i;
}

// ---- streaming stores --------------------------------------------------------------------
// A call whose output is larger than a good part of the last-level cache (streamBytes(),
// set by the dispatcher) cannot leave it in cache for whoever reads it next, and ordinary
// stores would first read every destination line from memory. Such calls convert in
// chunks into an L1-resident bounce buffer on the stack and copy each chunk out with
// non-temporal stores, as memcpy does for large copies. Real-time periods are far below
// the threshold and never take this path.
// Chunk size: small, because the source stream from memory pauses while a chunk is copied
// out (measured: 2 KiB beats 8 KiB by 10-20% on the DRAM-bound cases).
inline constexpr std::size_t kBounceBytes = 2048;

inline std::size_t streamBytes() noexcept {
    return gStreamBytes.load(std::memory_order_relaxed);
}

inline bool aligned64(const void* p) noexcept {
    return (reinterpret_cast<std::uintptr_t>(p) & 63) == 0;
}

// n bytes (a multiple of 64) from the 64-aligned s to the 64-aligned d, bypassing the cache.
FOLDBACK_SIMD_INLINE void streamCopy(std::uint8_t* d, const std::uint8_t* s,
                                     std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; i += 64) {
#if defined(__AVX512F__)
        _mm512_stream_si512(reinterpret_cast<__m512i*>(d + i), _mm512_load_si512(s + i));
#elif defined(__AVX2__)
        _mm256_stream_si256(reinterpret_cast<__m256i*>(d + i),
                            _mm256_load_si256(reinterpret_cast<const __m256i*>(s + i)));
        _mm256_stream_si256(reinterpret_cast<__m256i*>(d + i + 32),
                            _mm256_load_si256(reinterpret_cast<const __m256i*>(s + i + 32)));
#else
        for (std::size_t j = 0; j < 64; j += 16)
            _mm_stream_si128(reinterpret_cast<__m128i*>(d + i + j),
                             _mm_load_si128(reinterpret_cast<const __m128i*>(s + i + j)));
#endif
    }
}

// The contiguous streaming loop prefetches its source kPrefetchAhead bytes ahead: while a
// chunk is copied out with non-temporal stores the hardware prefetcher's stream stalls.
// Measured from DRAM (Zen 5, Float32 -> Int16LSB): 36 GB/s without, 38-44 GB/s with 4 KiB
// ahead, 39-40 GB/s with 16 KiB. The driver-side streaming loops measured slower with it
// (S16_LE -> Float32LSB 37-40 GB/s without, 29-34 with), so they do without.
inline constexpr std::size_t kPrefetchAhead = 4096;
FOLDBACK_SIMD_INLINE void prefetchRange(const std::uint8_t* p, std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; i += 64)
        _mm_prefetch(reinterpret_cast<const char*>(p + i), _MM_HINT_T0);
}

constexpr std::size_t gcd(std::size_t a, std::size_t b) noexcept {
    return b == 0 ? a : gcd(b, a % b);
}

// Frames per bounce chunk: channels x frames x bytes must fit the bounce buffer, frames must
// be a multiple of 16 (every vector width, so chunks have no scalar tails) and
// frames x lineBytes a multiple of 64 (so every chunk starts on a cache line). 0 if none fits.
constexpr std::size_t chunkFrames(std::size_t channels, std::size_t bytes, std::size_t lineBytes,
                                  std::size_t budget = kBounceBytes) noexcept {
    const std::size_t m = 64 / gcd(lineBytes, 64);
    const std::size_t step = m > 16 ? m : 16;  // both are powers of two
    return budget / (channels * bytes) / step * step;
}

template <ASIOSampleType From, ASIOSampleType To, class... Vs>
void contiguousPlain(const std::uint8_t* s, std::uint8_t* d, std::size_t n) noexcept {
    constexpr std::size_t bi = kBytesOf<From>, bo = kBytesOf<To>;
    std::size_t i = contiguousVectors<From, To, Vs...>(s, d, 0, n);
    for (; i < n; ++i) convertSample<From, To>(s + i * bi, d + i * bo);
}

// The streaming part of a contiguous call: returns how many samples it converted. Kept
// out of line so that the common (cached) path has no 2 KiB frame to set up.
template <ASIOSampleType From, ASIOSampleType To, class... Vs>
[[gnu::noinline]] std::size_t contiguousStreaming(const std::uint8_t* s, std::uint8_t* d,
                                                  std::size_t n) noexcept {
    constexpr std::size_t bi = kBytesOf<From>, bo = kBytesOf<To>;
    constexpr std::size_t K = chunkFrames(1, bo, bo, kBounceBytes);
    std::size_t i = 0;
    // one sample at a time up to a cache-line boundary, if there is one to reach
    while (i < 64 && i < n && !aligned64(d + i * bo)) {
        convertSample<From, To>(s + i * bi, d + i * bo);
        ++i;
    }
    if (aligned64(d + i * bo)) {
        alignas(64) std::uint8_t bounce[kBounceBytes];
        for (; i + K <= n; i += K) {
            if ((i + K) * bi + kPrefetchAhead <= n * bi)
                prefetchRange(s + i * bi + kPrefetchAhead, K * bi);
            contiguousVectors<From, To, Vs...>(s + i * bi, bounce, 0, K);
            streamCopy(d + i * bo, bounce, K * bo);
        }
        _mm_sfence();  // order the streaming stores before anything the caller does next
    }
    return i;
}

template <ASIOSampleType From, ASIOSampleType To, class... Vs>
void runContiguous(Widths<Vs...>, const std::uint8_t* s, std::uint8_t* d, std::size_t n) noexcept {
    constexpr std::size_t bi = kBytesOf<From>, bo = kBytesOf<To>;
    if constexpr (From == To) {
        std::memcpy(d, s, n * bi);  // glibc streams large copies itself
    } else {
        const std::size_t i =
            n * bo >= streamBytes() ? contiguousStreaming<From, To, Vs...>(s, d, n) : 0;
        contiguousPlain<From, To, Vs...>(s + i * bi, d + i * bo, n - i);
    }
}

template <class Ws, ASIOSampleType T>
void toFloatV(const void* src, float* dst, std::size_t frames) noexcept {
    runContiguous<T, ASIOSTFloat32LSB>(Ws{}, static_cast<const std::uint8_t*>(src),
                                       reinterpret_cast<std::uint8_t*>(dst), frames);
}

template <class Ws, ASIOSampleType T>
void fromFloatV(const float* src, void* dst, std::size_t frames) noexcept {
    runContiguous<ASIOSTFloat32LSB, T>(Ws{}, reinterpret_cast<const std::uint8_t*>(src),
                                       static_cast<std::uint8_t*>(dst), frames);
}

// ---- deinterleave -----------------------------------------------------------------------

// Frames f.. f+L-1 of channels c.. c+L-1. Wide: the rows may be read with the
// over-reading load (a frame follows the block, and a frame is at least a row long).
template <class V, ASIOSampleType From, ASIOSampleType To, bool Wide = false>
FOLDBACK_SIMD_INLINE void deinterleaveBlock(const std::uint8_t* s, std::size_t channels,
                                            void* const* dst, std::size_t f,
                                            std::size_t c) noexcept {
    using I = IO<V, From, To>;
    constexpr std::size_t L = V::kLanes, bi = kBytesOf<From>, bo = kBytesOf<To>;
    typename V::F r[L];
    const std::uint8_t* row = s + (f * channels + c) * bi;
#pragma GCC unroll 16
    for (std::size_t k = 0; k < L; ++k)
        r[k] = Wide ? I::loadWide(row + k * channels * bi) : I::load(row + k * channels * bi);
    V::transpose(r);
#pragma GCC unroll 16
    for (std::size_t k = 0; k < L; ++k)
        if (dst[c + k] != nullptr) I::store(static_cast<std::uint8_t*>(dst[c + k]) + f * bo, r[k]);
}

// Frames f.. f+15 of channels c.. c+7: rows of the narrow width N, two to a V register.
template <class V, class N, ASIOSampleType From, ASIOSampleType To, bool Wide>
FOLDBACK_SIMD_INLINE void deinterleaveHalfBlock(const std::uint8_t* s, std::size_t channels,
                                                void* const* dst, std::size_t f,
                                                std::size_t c) noexcept {
    using I = IO<N, From, To>;
    constexpr std::size_t bi = kBytesOf<From>, bo = kBytesOf<To>;
    typename V::F r[8];
    const std::uint8_t* row = s + (f * channels + c) * bi;
    const std::size_t stride = channels * bi;
#pragma GCC unroll 8
    for (std::size_t k = 0; k < 8; ++k) {
        const auto* a = row + k * stride;
        const auto* b = row + (k + 8) * stride;
        r[k] = Wide ? V::join(I::loadWide(a), I::loadWide(b)) : V::join(I::load(a), I::load(b));
    }
    V::transposeHalves(r);
#pragma GCC unroll 8
    for (std::size_t j = 0; j < 8; ++j) {
        auto* d = static_cast<std::uint8_t*>(dst[c + j]);
        if (d == nullptr) continue;
        I::store(d + f * bo, V::low(r[j]));
        I::store(d + (f + 8) * bo, V::high(r[j]));
    }
}

// Frames f.. f+15 of exactly 8 channels: 8 rows of two frames each.
template <class V, ASIOSampleType From, ASIOSampleType To, bool Wide, bool Stream = false>
FOLDBACK_SIMD_INLINE void deinterleaveEightRows(const std::uint8_t* s, void* const* dst,
                                                std::size_t f) noexcept {
    using I = IO<V, From, To>;
    constexpr std::size_t bi = kBytesOf<From>, bo = kBytesOf<To>;
    typename V::F r[8];
    const std::uint8_t* row = s + f * 8 * bi;
    // a row's over-read lands in the next row; only the last one needs a frame after it
#pragma GCC unroll 8
    for (std::size_t k = 0; k < 7; ++k) r[k] = I::loadWide(row + k * 16 * bi);
    r[7] = Wide ? I::loadWide(row + 7 * 16 * bi) : I::load(row + 7 * 16 * bi);
    V::channelsFromRows(r);
#pragma GCC unroll 8
    for (std::size_t c = 0; c < 8; ++c) {
        auto* d = static_cast<std::uint8_t*>(dst[c]);
        if (d == nullptr) continue;
        if constexpr (Stream) {
            static_assert(To == ASIOSTFloat32LSB);
            _mm512_stream_ps(reinterpret_cast<float*>(d + f * 4), r[c]);
        } else {
            I::store(d + f * bo, r[c]);
        }
    }
}

template <class V, ASIOSampleType From, ASIOSampleType To, bool Stream = false>
FOLDBACK_SIMD_INLINE void interleaveEightRows(const void* const* src, std::uint8_t* d,
                                              std::size_t f) noexcept {
    using I = IO<V, From, To>;
    constexpr std::size_t bi = kBytesOf<From>, bo = kBytesOf<To>;
    typename V::F r[8];
#pragma GCC unroll 8
    for (std::size_t c = 0; c < 8; ++c) {
        const auto* p = static_cast<const std::uint8_t*>(src[c]);
        r[c] = p != nullptr ? I::load(p + f * bi) : V::zero();  // zero bits: silence
    }
    V::rowsFromChannels(r);
    std::uint8_t* row = d + f * 8 * bo;
    if constexpr (bo == 3) {
        __m512i w[8];
#pragma GCC unroll 8
        for (std::size_t k = 0; k < 8; ++k) {
            if constexpr (From == To) {
                w[k] = _mm512_castps_si512(r[k]);  // raw moves are spread little-endian
            } else {
                w[k] = V::template Codec<To>::ints24(r[k]);
            }
        }
        V::template storeRows24<From != To && typeInfo(To).bigEndian, Stream>(row, w);
    } else if constexpr (Stream) {  // 4-byte samples: each row is one whole line
#pragma GCC unroll 8
        for (std::size_t k = 0; k < 8; ++k) {
            if constexpr (From == To) {
                _mm512_stream_si512(reinterpret_cast<__m512i*>(row + k * 64),
                                    _mm512_castps_si512(r[k]));
            } else {
                _mm512_stream_si512(reinterpret_cast<__m512i*>(row + k * 64),
                                    V::template Codec<To>::encode4(r[k]));
            }
        }
    } else {
#pragma GCC unroll 8
        for (std::size_t k = 0; k < 8; ++k) I::store(row + k * 16 * bo, r[k]);
    }
}

template <class V, ASIOSampleType Dev>
inline constexpr bool kEightRowBlocks = EightRows<V> && (kBytesOf<Dev> == 3 || kBytesOf<Dev> == 4);

// Frames per tile of the device buffer, for 16-bit device formats. Inside a tile the loops
// run channel groups outer, frames inner, so each group writes (or reads) a few
// consecutive cache lines of each of its ASIO buffers before moving on, instead of one
// line in every buffer per block; the tile of device frames (about kTileBytes) stays in L1
// while the groups pass over it. Measured at 64 ch x 256 frames (Zen 5): +5-8% for
// S16_LE <-> Float32LSB, but -8-11% for S24_3LE (whose 48-byte rows then leave device
// lines half written between groups) and nothing for 32-bit formats, so only 16-bit
// formats tile; the others keep one block of frames (L) per pass.
inline constexpr std::size_t kTileBytes = 8192;
template <std::size_t L, std::size_t DeviceBytes>
inline std::size_t tileFrames(std::size_t frameBytes) noexcept {
    if constexpr (DeviceBytes != 2) {
        return L;
    } else {
        const std::size_t t = kTileBytes / frameBytes / L * L;
        return t > L ? t : L;
    }
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

// Channels c.. in groups of each width, for frames f.. f+nf-1 (nf a multiple of every
// width used); returns the first channel left over.
template <ASIOSampleType From, ASIOSampleType To, bool Streaming, class V, class... Rest>
inline std::size_t deinterleaveChannels(const std::uint8_t* s, std::size_t channels,
                                        void* const* dst, std::size_t f, std::size_t nf,
                                        std::size_t c, bool wide) noexcept {
    constexpr std::size_t L = V::kLanes;
    if constexpr (kPairBlocks<V, From, To>) {
        for (; c + 2 * L <= channels; c += 2 * L)
            for (std::size_t g = 0; g < nf; g += L)
                V::template deinterleavePairs<From, To>(s, channels, dst, f + g, c);
    }
    for (; c + L <= channels; c += L) {
        for (std::size_t g = 0; g < nf; g += L) {
            if constexpr (kWordBlocks<V, From, To>) {
                V::template deinterleaveWords<From, To>(s, channels, dst, f + g, c);
            } else if (wide) {
                deinterleaveBlock<V, From, To, true>(s, channels, dst, f + g, c);
            } else {
                deinterleaveBlock<V, From, To, false>(s, channels, dst, f + g, c);
            }
        }
    }
    if constexpr (kPairBlocks<V, From, To>) {
        if (c + 8 <= channels) {
            for (std::size_t g = 0; g < nf; g += L)
                V::template deinterleaveEight<From, To>(s, channels, dst, f + g, c);
            c += 8;
        }
    }
    // not for 32-bit rows from DRAM: measured (Zen 5, S32_LE -> Float32LSB, 8 channels)
    // 28-42 GB/s with them, 43-46 with the half blocks below; 65 -> 85 GB/s in cache.
    if constexpr (kEightRowBlocks<V, From> && (kBytesOf<From> == 3 || !Streaming)) {
        if (c == 0 && channels == 8) {
            for (std::size_t g = 0; g < nf; g += L) {
                if (wide) {
                    deinterleaveEightRows<V, From, To, true>(s, dst, f + g);
                } else {
                    deinterleaveEightRows<V, From, To, false>(s, dst, f + g);
                }
            }
            c = 8;
        }
    }
    if constexpr (HalfBlocks<V> && sizeof...(Rest) > 0) {
        using N = typename FirstOf<Rest...>::type;
        if (nf % L == 0 && c + N::kLanes <= channels && 2 * N::kLanes == L) {
            for (std::size_t g = 0; g < nf; g += L) {
                if (wide) {
                    deinterleaveHalfBlock<V, N, From, To, true>(s, channels, dst, f + g, c);
                } else {
                    deinterleaveHalfBlock<V, N, From, To, false>(s, channels, dst, f + g, c);
                }
            }
            c += N::kLanes;
        }
    }
    if constexpr (sizeof...(Rest) > 0)
        c = deinterleaveChannels<From, To, Streaming, Rest...>(s, channels, dst, f, nf, c, wide);
    return c;
}

template <ASIOSampleType From, ASIOSampleType To, bool Streaming, class V, class... Rest>
inline std::size_t deinterleaveFrames(const std::uint8_t* s, std::size_t channels, void* const* dst,
                                      std::size_t f, std::size_t n) noexcept {
    constexpr std::size_t L = V::kLanes;
    // tiles of T frames, channel groups outer inside a tile (see tileFrames)
    const std::size_t T = tileFrames<L, kBytesOf<From>>(channels * kBytesOf<From>);
    for (; f + L <= n; f += T) {
        const std::size_t nf = f + T <= n ? T : (n - f) / L * L;
        // rows are at most a frame long; the frame after the block covers any over-read
        const std::size_t c = deinterleaveChannels<From, To, Streaming, V, Rest...>(
            s, channels, dst, f, nf, 0, f + nf < n);
        if (c < channels) deinterleaveScalar<From, To>(s, channels, dst, f, f + nf, c);
        if (nf < T) {
            f += nf;
            break;
        }
    }
    if constexpr (sizeof...(Rest) > 0)
        f = deinterleaveFrames<From, To, Streaming, Rest...>(s, channels, dst, f, n);
    return f;
}

template <ASIOSampleType From, ASIOSampleType To, class V, class... Rest>
inline std::size_t deinterleaveStereo(const std::uint8_t* s, void* const* dst, std::size_t f,
                                      std::size_t n) noexcept {
    using I = IO<V, From, To>;
    constexpr std::size_t L = V::kLanes, bi = kBytesOf<From>, bo = kBytesOf<To>;
    auto* d0 = static_cast<std::uint8_t*>(dst[0]);
    auto* d1 = static_cast<std::uint8_t*>(dst[1]);
    // frames below `wide`: the second vector's over-read stays inside the buffer
    const std::size_t slack = (I::kOverRead + 2 * bi - 1) / (2 * bi);
    const std::size_t wide = n > slack ? n - slack : 0;
    for (; f + L <= n; f += L) {
        typename V::F l, r;
        if (f + L <= wide) {
            V::unzip(I::loadWide(s + 2 * f * bi), I::loadWide(s + (2 * f + L) * bi), l, r);
        } else {
            V::unzip(I::load(s + 2 * f * bi), I::load(s + (2 * f + L) * bi), l, r);
        }
        if (d0 != nullptr) I::store(d0 + f * bo, l);
        if (d1 != nullptr) I::store(d1 + f * bo, r);
    }
    if constexpr (sizeof...(Rest) > 0) f = deinterleaveStereo<From, To, Rest...>(s, dst, f, n);
    return f;
}

// Frames f.. n-1 of two or more channels. Streaming: called from deinterleaveStreaming
// (the source comes from DRAM; see kEightRowBlocks there).
template <ASIOSampleType From, ASIOSampleType To, bool Streaming, class... Vs>
void deinterleaveRange(const std::uint8_t* s, std::size_t channels, void* const* dst, std::size_t f,
                       std::size_t n) noexcept {
    f = channels == 2 ? deinterleaveStereo<From, To, Vs...>(s, dst, f, n)
                      : deinterleaveFrames<From, To, Streaming, Vs...>(s, channels, dst, f, n);
    deinterleaveScalar<From, To>(s, channels, dst, f, n, 0);
}

// The streaming part of a driver-side call (see runContiguous): returns the first frame it
// left. Every active buffer must start on a cache line (ASIO buffers from an aligned
// allocator do); chunks of K frames then keep them there.
template <ASIOSampleType From, ASIOSampleType To, class... Vs>
[[gnu::noinline]] std::size_t deinterleaveStreaming(const std::uint8_t* s, std::size_t channels,
                                                    void* const* dst, std::size_t frames,
                                                    std::size_t K) noexcept {
    constexpr std::size_t bi = kBytesOf<From>, bo = kBytesOf<To>;
    for (std::size_t c = 0; c < channels; ++c)
        if (dst[c] != nullptr && !aligned64(dst[c])) return 0;
    std::size_t f = 0;
    // 8 channels to Float32LSB: every channel register is a whole line of its buffer,
    // streamed from there without the bounce buffer (measured from DRAM, Zen 5: S16_LE
    // 45-47 -> 49-50 GB/s, S24_3LE 44-48 -> 47-50; S32_LE through the 8-row blocks the
    // same way 36, so 32-bit rows keep the half blocks and the bounce buffer)
    using V = typename FirstOf<Vs...>::type;
    if constexpr (To == ASIOSTFloat32LSB &&
                  (kPairBlocks<V, From, To> || (kEightRowBlocks<V, From> && bi == 3))) {
        if (channels == 8) {
            for (; f + V::kLanes <= frames; f += V::kLanes) {
                if constexpr (kPairBlocks<V, From, To>) {
                    V::template deinterleaveEightStream<From>(s, dst, f);
                } else if (f + V::kLanes < frames) {
                    deinterleaveEightRows<V, From, To, true, true>(s, dst, f);
                } else {
                    deinterleaveEightRows<V, From, To, false, true>(s, dst, f);
                }
            }
            _mm_sfence();
            return f;
        }
    }
    alignas(64) std::uint8_t bounce[kBounceBytes];
    void* planes[kBounceBytes / 32] = {};  // K >= 16, bo >= 2: channels <= 64
    for (std::size_t c = 0; c < channels; ++c)
        planes[c] = dst[c] != nullptr ? bounce + c * K * bo : nullptr;
    for (; f + K <= frames; f += K) {
        deinterleaveRange<From, To, true, Vs...>(s + f * channels * bi, channels, planes, 0, K);
        for (std::size_t c = 0; c < channels; ++c)
            if (dst[c] != nullptr)
                streamCopy(static_cast<std::uint8_t*>(dst[c]) + f * bo,
                           static_cast<const std::uint8_t*>(planes[c]), K * bo);
    }
    _mm_sfence();
    return f;
}

template <ASIOSampleType From, ASIOSampleType To, class... Vs>
void deinterleaveRun(Widths<Vs...> ws, const std::uint8_t* s, std::size_t channels,
                     void* const* dst, std::size_t frames) noexcept {
    constexpr std::size_t bo = kBytesOf<To>;
    if (channels == 1) {
        if (dst[0] != nullptr)
            runContiguous<From, To>(ws, s, static_cast<std::uint8_t*>(dst[0]), frames);
        return;
    }
    const std::size_t K = chunkFrames(channels, bo, bo, kBounceBytes);
    const std::size_t f = K != 0 && frames * channels * bo >= streamBytes()
                              ? deinterleaveStreaming<From, To, Vs...>(s, channels, dst, frames, K)
                              : 0;
    deinterleaveRange<From, To, false, Vs...>(s, channels, dst, f, frames);
}

template <class Ws, ASIOSampleType From, ASIOSampleType To>
void deinterleaveV(const void* src, std::size_t channels, void* const* dst,
                   std::size_t frames) noexcept {
    deinterleaveRun<From, To>(Ws{}, static_cast<const std::uint8_t*>(src), channels, dst, frames);
}

// ---- interleave -------------------------------------------------------------------------

template <class V, ASIOSampleType From, ASIOSampleType To>
FOLDBACK_SIMD_INLINE void interleaveBlock(const void* const* src, std::size_t channels,
                                          std::uint8_t* d, std::size_t f, std::size_t c) noexcept {
    using I = IO<V, From, To>;
    constexpr std::size_t L = V::kLanes, bi = kBytesOf<From>, bo = kBytesOf<To>;
    typename V::F r[L];
#pragma GCC unroll 16
    for (std::size_t k = 0; k < L; ++k) {
        const auto* p = static_cast<const std::uint8_t*>(src[c + k]);
        r[k] = p != nullptr ? I::load(p + f * bi) : V::zero();  // zero bits: silence
    }
    if constexpr (Block24<V> && bo == 3) {
        // packed 24-bit: converted first, packed inside the transpose's last round
        if constexpr (From != To) {
#pragma GCC unroll 16
            for (std::size_t k = 0; k < L; ++k)
                r[k] = _mm512_castsi512_ps(V::template Codec<To>::ints24(r[k]));
        }
        V::template storeBlock24<From != To && typeInfo(To).bigEndian>(d + (f * channels + c) * bo,
                                                                       channels * bo, r);
        return;
    }
    V::transpose(r);
    std::uint8_t* row = d + (f * channels + c) * bo;
#pragma GCC unroll 16
    for (std::size_t k = 0; k < L; ++k) I::store(row + k * channels * bo, r[k]);
}

// Channels c.. c+7 -> frames f.. f+15: rows of the narrow width N, two to a V register.
template <class V, class N, ASIOSampleType From, ASIOSampleType To>
FOLDBACK_SIMD_INLINE void interleaveHalfBlock(const void* const* src, std::size_t channels,
                                              std::uint8_t* d, std::size_t f,
                                              std::size_t c) noexcept {
    using I = IO<N, From, To>;
    constexpr std::size_t bi = kBytesOf<From>, bo = kBytesOf<To>;
    typename V::F r[8];
#pragma GCC unroll 8
    for (std::size_t j = 0; j < 8; ++j) {
        const auto* p = static_cast<const std::uint8_t*>(src[c + j]);
        r[j] = p != nullptr ? V::join(I::load(p + f * bi), I::load(p + (f + 8) * bi)) : V::zero();
    }
    V::transposeHalves(r);
    std::uint8_t* row = d + (f * channels + c) * bo;
    const std::size_t stride = channels * bo;
#pragma GCC unroll 8
    for (std::size_t k = 0; k < 8; ++k) {
        I::store(row + k * stride, V::low(r[k]));
        I::store(row + (k + 8) * stride, V::high(r[k]));
    }
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

template <ASIOSampleType From, ASIOSampleType To, class V, class... Rest>
inline std::size_t interleaveChannels(const void* const* src, std::size_t channels, std::uint8_t* d,
                                      std::size_t f, std::size_t nf, std::size_t c) noexcept {
    constexpr std::size_t L = V::kLanes;
    if constexpr (kPairBlocks<V, To, From>) {
        for (; c + 2 * L <= channels; c += 2 * L)
            for (std::size_t g = 0; g < nf; g += L)
                V::template interleavePairs<From, To>(src, channels, d, f + g, c);
    }
    for (; c + L <= channels; c += L)
        for (std::size_t g = 0; g < nf; g += L)
            if constexpr (kWordBlocks<V, To, From>) {
                V::template interleaveWords<From, To>(src, channels, d, f + g, c);
            } else {
                interleaveBlock<V, From, To>(src, channels, d, f + g, c);
            }
    if constexpr (kPairBlocks<V, To, From>) {
        if (c + 8 <= channels) {
            for (std::size_t g = 0; g < nf; g += L)
                V::template interleaveEight<From, To>(src, channels, d, f + g, c);
            c += 8;
        }
    }
    if constexpr (kEightRowBlocks<V, To>) {
        if (c == 0 && channels == 8) {
            for (std::size_t g = 0; g < nf; g += L) interleaveEightRows<V, From, To>(src, d, f + g);
            c = 8;
        }
    }
    if constexpr (HalfBlocks<V> && sizeof...(Rest) > 0) {
        using N = typename FirstOf<Rest...>::type;
        if (nf % L == 0 && c + N::kLanes <= channels && 2 * N::kLanes == L) {
            for (std::size_t g = 0; g < nf; g += L)
                interleaveHalfBlock<V, N, From, To>(src, channels, d, f + g, c);
            c += N::kLanes;
        }
    }
    if constexpr (sizeof...(Rest) > 0)
        c = interleaveChannels<From, To, Rest...>(src, channels, d, f, nf, c);
    return c;
}

template <ASIOSampleType From, ASIOSampleType To, class V, class... Rest>
inline std::size_t interleaveFrames(const void* const* src, std::size_t channels, std::uint8_t* d,
                                    std::size_t f, std::size_t n) noexcept {
    constexpr std::size_t L = V::kLanes;
    const std::size_t T = tileFrames<L, kBytesOf<To>>(channels * kBytesOf<To>);
    for (; f + L <= n; f += T) {
        const std::size_t nf = f + T <= n ? T : (n - f) / L * L;
        const std::size_t c = interleaveChannels<From, To, V, Rest...>(src, channels, d, f, nf, 0);
        if (c < channels) interleaveScalar<From, To>(src, channels, d, f, f + nf, c);
        if (nf < T) {
            f += nf;
            break;
        }
    }
    if constexpr (sizeof...(Rest) > 0)
        f = interleaveFrames<From, To, Rest...>(src, channels, d, f, n);
    return f;
}

template <ASIOSampleType From, ASIOSampleType To, class V, class... Rest>
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
    if constexpr (sizeof...(Rest) > 0) f = interleaveStereo<From, To, Rest...>(src, d, f, n);
    return f;
}

// Frames f.. n-1 of two or more channels.
template <ASIOSampleType From, ASIOSampleType To, class... Vs>
void interleaveRange(const void* const* src, std::size_t channels, std::uint8_t* d, std::size_t f,
                     std::size_t n) noexcept {
    f = channels == 2 ? interleaveStereo<From, To, Vs...>(src, d, f, n)
                      : interleaveFrames<From, To, Vs...>(src, channels, d, f, n);
    interleaveScalar<From, To>(src, channels, d, f, n, 0);
}

// The streaming part of an interleave call: returns the first frame it left.
template <ASIOSampleType From, ASIOSampleType To, class... Vs>
[[gnu::noinline]] std::size_t interleaveStreaming(const void* const* src, std::size_t channels,
                                                  std::uint8_t* d, std::size_t frames,
                                                  std::size_t K) noexcept {
    constexpr std::size_t bi = kBytesOf<From>, bo = kBytesOf<To>;
    const std::size_t frameBytes = channels * bo;
    // a few frames the ordinary way up to a cache-line boundary, if there is one
    std::size_t f = 0;
    while (f < 64 && !aligned64(d + f * frameBytes)) ++f;
    if (f == 64 || f + K > frames) return 0;
    interleaveRange<From, To, Vs...>(src, channels, d, 0, f);
    // 8 channels of 16-, packed 24- or 32-bit samples: whole cache lines come out of the
    // registers, so they are streamed from there, without the bounce buffer
    using V = typename FirstOf<Vs...>::type;
    if constexpr (kPairBlocks<V, To, From>) {
        if (channels == 8) {
            for (; f + V::kLanes <= frames; f += V::kLanes)
                V::template interleaveEightStream<From, To>(src, d, f);
            _mm_sfence();
            return f;
        }
    } else if constexpr (kEightRowBlocks<V, To>) {
        if (channels == 8) {
            for (; f + V::kLanes <= frames; f += V::kLanes)
                interleaveEightRows<V, From, To, true>(src, d, f);
            _mm_sfence();
            return f;
        }
    }
    alignas(64) std::uint8_t bounce[kBounceBytes];
    const void* planes[kBounceBytes / 32] = {};  // K >= 16, bo >= 2: channels <= 64
    for (; f + K <= frames; f += K) {
        for (std::size_t c = 0; c < channels; ++c)
            planes[c] =
                src[c] != nullptr ? static_cast<const std::uint8_t*>(src[c]) + f * bi : nullptr;
        interleaveRange<From, To, Vs...>(planes, channels, bounce, 0, K);
        streamCopy(d + f * frameBytes, bounce, K * frameBytes);
    }
    _mm_sfence();
    return f;
}

template <ASIOSampleType From, ASIOSampleType To, class... Vs>
void interleaveRun(Widths<Vs...> ws, const void* const* src, std::size_t channels, std::uint8_t* d,
                   std::size_t frames) noexcept {
    constexpr std::size_t bo = kBytesOf<To>;
    if (channels == 1) {
        if (src[0] == nullptr) {
            std::memset(d, 0, frames * bo);
        } else {
            runContiguous<From, To>(ws, static_cast<const std::uint8_t*>(src[0]), d, frames);
        }
        return;
    }
    const std::size_t frameBytes = channels * bo;
    const std::size_t K = chunkFrames(channels, bo, frameBytes, kBounceBytes);
    const std::size_t f = K != 0 && frames * frameBytes >= streamBytes()
                              ? interleaveStreaming<From, To, Vs...>(src, channels, d, frames, K)
                              : 0;
    interleaveRange<From, To, Vs...>(src, channels, d, f, frames);
}

template <class Ws, ASIOSampleType From, ASIOSampleType To>
void interleaveV(const void* const* src, std::size_t channels, void* dst,
                 std::size_t frames) noexcept {
    interleaveRun<From, To>(Ws{}, src, channels, static_cast<std::uint8_t*>(dst), frames);
}

// ---- the tier's tables ------------------------------------------------------------------
// W32: the 32-bit-lane widths; W64: 64-bit-lane widths (raw moves of Float64 only). The
// vector kernels cover the host side (every type) and, on the driver side, the pairs the
// kit uses: native (a pure de/interleave) and Float32LSB. Other pairs fall back to the
// scalar tier.
template <class W32, class W64>
struct VectorTier {
    template <ASIOSampleType D, ASIOSampleType T>
    static constexpr DeinterleaveFn deinterleaveKernel() {
        if constexpr (D == T && kBytesOf<T> == 8) {
            return &deinterleaveV<W64, D, T>;
        } else if constexpr (D == T || T == ASIOSTFloat32LSB) {
            return &deinterleaveV<W32, D, T>;
        } else {
            return nullptr;
        }
    }
    template <ASIOSampleType T, ASIOSampleType D>
    static constexpr InterleaveFn interleaveKernel() {
        if constexpr (D == T && kBytesOf<T> == 8) {
            return &interleaveV<W64, T, D>;
        } else if constexpr (D == T || T == ASIOSTFloat32LSB) {
            return &interleaveV<W32, T, D>;
        } else {
            return nullptr;
        }
    }

    template <std::size_t... I>
    static constexpr auto makeToFloat(std::index_sequence<I...>) {
        return std::array<ToFloatFn, kNumPcm>{&toFloatV<W32, kPcmTypes[I]>...};
    }
    template <std::size_t... I>
    static constexpr auto makeFromFloat(std::index_sequence<I...>) {
        return std::array<FromFloatFn, kNumPcm>{&fromFloatV<W32, kPcmTypes[I]>...};
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
