// src/convert/simd_sse2.cpp: the SSE2 tier, the x86-64 baseline: 4 lanes, no byte shuffle
// instruction (24-bit and byte swaps are done with shifts and masks).
#include "convert/simd_loops.hpp"
#include "convert/simd_x86.hpp"

namespace foldback::convert::detail {

const Tier kSse2Tier = VectorTier<Widths<X128>, Widths<X128d>>::kTier;

}  // namespace foldback::convert::detail
