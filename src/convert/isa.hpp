// src/convert/isa.hpp: the instruction-set tiers behind convert.hpp, for tests, the
// benchmark and logs. Code that only converts needs convert.hpp alone: its selectors use
// the tier chosen once per process (activeIsa()).
//
// Every tier offers the full set of kernels: where a tier has no kernel of its own for a
// pair it hands out the next lower tier's (avx2 -> sse2 -> scalar). The scalar tier is the
// plain reference the SIMD kernels are tested and benchmarked against; it is compiled with
// auto-vectorisation off.
#pragma once

#include <cstddef>
#include <string_view>

#include "convert/convert.hpp"

namespace foldback::convert {

enum class Isa { Scalar, Sse2, Avx2, Avx512 };

// [any thread] True if this build has the tier and this CPU can run it.
bool isaSupported(Isa isa) noexcept;
// [any thread] The tier convert.hpp's selectors use: the best supported one, or a lower one
// named by the environment variable FOLDBACK_CONVERT_ISA (scalar, sse2, avx2, avx512),
// read once.
Isa activeIsa() noexcept;
std::string_view isaName(Isa isa) noexcept;

// [control thread] Output bytes per call from which the vector kernels write with
// non-temporal stores (through an L1 bounce buffer) instead of filling the cache with data
// nobody will read from it: a quarter of the last-level cache, found in sysfs once. A
// period of a real-time stream is far below it. Set SIZE_MAX to never stream, 0 to always
// (tests). Changing it while kernels run on other threads is harmless (a relaxed atomic).
std::size_t streamingThreshold() noexcept;
void setStreamingThreshold(std::size_t bytes) noexcept;

// The same selectors as convert.hpp, for one given tier; nullptr when the tier is not
// supported here or the pair has no kernel.
ToFloatFn toFloat(ASIOSampleType type, Isa isa) noexcept;
FromFloatFn fromFloat(ASIOSampleType type, Dither dither, Isa isa) noexcept;
DeinterleaveFn deinterleave(DeviceFormat from, ASIOSampleType to, Isa isa) noexcept;
InterleaveFn interleave(ASIOSampleType from, DeviceFormat to, Isa isa) noexcept;

}  // namespace foldback::convert
