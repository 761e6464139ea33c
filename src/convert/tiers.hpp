// src/convert/tiers.hpp: internal. What each instruction-set tier exports to the
// dispatcher (convert.cpp). Indices are positions in detail::kPcmTypes / kDeviceFormats.
// A tier returns nullptr where it has no kernel of its own; the dispatcher then asks the
// next lower tier.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "convert/convert.hpp"

namespace foldback::convert::detail {

struct Tier {
    ToFloatFn (*toFloat)(int type);
    FromFloatFn (*fromFloat)(int type, Dither dither);
    DeinterleaveFn (*deinterleave)(int device, int type);
    InterleaveFn (*interleave)(int type, int device);
};

extern const Tier kScalarTier;  // scalar.cpp, the reference; complete
#if defined(__x86_64__)
extern const Tier kSse2Tier;    // simd_sse2.cpp
extern const Tier kAvx2Tier;    // simd_avx2.cpp, built with -mavx2
extern const Tier kAvx512Tier;  // simd_avx512.cpp, built with -mavx512{f,bw,dq,vl,vbmi}
#endif

// State of the TPDF dither generator (see formats.hpp, ditherNext).
extern std::atomic<std::uint32_t> gDitherState;

// Output bytes per call from which the vector tiers use non-temporal stores: a quarter of
// the last-level cache, measured once by the dispatcher (convert.cpp), 8 MiB until then.
extern std::atomic<std::size_t> gStreamBytes;

}  // namespace foldback::convert::detail
