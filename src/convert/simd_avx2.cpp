// src/convert/simd_avx2.cpp: the AVX2 tier, built with -mavx2 and entered only after the
// dispatcher's CPUID check: 8 lanes for the bulk, the 4-lane codecs (with SSSE3 byte
// shuffles) for remainders of 4 channels or frames.
#include "convert/simd_loops.hpp"
#include "convert/simd_x86.hpp"

#if !defined(__AVX2__)
#error "simd_avx2.cpp must be built with -mavx2"
#endif

namespace foldback::convert::detail {

const Tier kAvx2Tier = VectorTier<Widths<X256, X128>, Widths<X256d, X128d>>::kTier;

}  // namespace foldback::convert::detail
