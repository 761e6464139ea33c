// src/convert/simd_avx512.cpp: the AVX-512 tier (F, BW, DQ, VL and VBMI: Ice Lake and
// later, Zen 4 and later), entered only after the dispatcher's CPUID check: 16 lanes for
// the bulk (a 16 x 16 transpose moves 256 samples in 64 shuffles, half the AVX2 count per
// sample), vpermb for packed 24-bit, masked loads for exact 48-byte rows; the 8- and
// 4-lane codecs take the remainders.
#include "convert/simd_loops.hpp"
#include "convert/simd_x86.hpp"

#if !defined(__AVX512VBMI__)
#error "simd_avx512.cpp must be built with -mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx512vbmi"
#endif

namespace foldback::convert::detail {

const Tier kAvx512Tier = VectorTier<Widths<X512, X256, X128>, Widths<X512d, X256d, X128d>>::kTier;

}  // namespace foldback::convert::detail

namespace foldback::convert::detail {
// the specialised paths are really taken (a failed trait would silently fall back)
static_assert(kWordBlocks<X512, ASIOSTInt16LSB, ASIOSTFloat32LSB>);
static_assert(kWordBlocks<X512, ASIOSTInt16MSB, ASIOSTInt16MSB>);
static_assert(!kWordBlocks<X512, ASIOSTInt24LSB, ASIOSTFloat32LSB>);
static_assert(!kWordBlocks<X256, ASIOSTInt16LSB, ASIOSTFloat32LSB>);
static_assert(HalfBlocks<X512> && !HalfBlocks<X256> && !HalfBlocks<X512d>);
static_assert(IO<X512, ASIOSTInt24LSB, ASIOSTFloat32LSB>::kOverRead == 16);
static_assert(IO<X512, ASIOSTInt24MSB, ASIOSTInt24MSB>::kOverRead == 16);
static_assert(IO<X256, ASIOSTInt24LSB, ASIOSTFloat32LSB>::kOverRead == 0);
}  // namespace foldback::convert::detail
