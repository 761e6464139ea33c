// src/convert: sample-format kernels, chosen once (when buffers are created), never per
// sample. Two families:
//   host side   one ASIO channel buffer  <-> float32 (the host's float layer)
//   driver side interleaved device frames <-> per-channel ASIO buffers (the kit)
// Numerics are defined in docs/convert.md. Every kernel is real-time safe: no
// allocation, no locks, no system calls ([rt-thread]); the selectors and names may be
// called from any thread, the first selector call measures the CPU once.
// Kernels never read or write outside the samples they are given; source and destination
// must not overlap. Buffers aligned to 64 bytes are fastest but no alignment is required.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "foldback/asio.h"

namespace foldback::convert {

// Bytes per sample of an ASIO PCM type; 0 for DSD and unknown types.
std::size_t sampleBytes(ASIOSampleType type) noexcept;
// "Int24LSB", "Float32LSB", ... ; "unknown" for anything else.
std::string_view sampleTypeName(ASIOSampleType type) noexcept;
// True for every PCM type of spec §3.2 (not DSD, not unknown values).
bool isPcm(ASIOSampleType type) noexcept;

// ---- host side ------------------------------------------------------------------------
// frames samples of one channel. Pointers need no particular alignment.
using ToFloatFn = void (*)(const void* src, float* dst, std::size_t frames);
using FromFloatFn = void (*)(const float* src, void* dst, std::size_t frames);

enum class Dither { Off, Tpdf };  // TPDF applies to float -> 16-bit types only

// nullptr when the type is DSD or unknown.
ToFloatFn toFloat(ASIOSampleType type) noexcept;
FromFloatFn fromFloat(ASIOSampleType type, Dither dither = Dither::Off) noexcept;

// ---- driver side ----------------------------------------------------------------------
// Formats a device (an ALSA PCM) delivers.
enum class DeviceFormat {
    S16_LE,
    S16_BE,
    S24_3LE,
    S24_3BE,
    S24_LE /* 24 in the low bits of 32 */,
    S32_LE,
    S32_BE,
    FLOAT_LE,
    FLOAT_BE,
    FLOAT64_LE
};
std::size_t deviceBytes(DeviceFormat f) noexcept;
std::string_view deviceFormatName(DeviceFormat f) noexcept;

// Interleaved device frames (channels per frame) -> one ASIO buffer per channel.
// dst[c] == nullptr skips channel c (inactive).
using DeinterleaveFn = void (*)(const void* src, std::size_t channels, void* const* dst,
                                std::size_t frames);
// One ASIO buffer per channel -> interleaved device frames. src[c] == nullptr writes
// silence to channel c.
using InterleaveFn = void (*)(const void* const* src, std::size_t channels, void* dst,
                              std::size_t frames);

// nullptr when the pair is not supported: either side DSD or unknown. Every device format
// pairs with every ASIO PCM type; the native pair (same bytes: S16_LE/Int16LSB,
// S24_LE/Int32LSB24, FLOAT_LE/Float32LSB, ...) is a pure de/interleave and every device
// format <-> Float32LSB is vectorised; other pairs convert exactly through double, one
// sample at a time. A non-interleaved device is the special case channels == 1, called
// once per channel.
DeinterleaveFn deinterleave(DeviceFormat from, ASIOSampleType to) noexcept;
InterleaveFn interleave(ASIOSampleType from, DeviceFormat to) noexcept;

// The instruction set the dispatcher chose ("avx2", "sse2", "scalar"), for logs and bench.
std::string_view isaName() noexcept;

}  // namespace foldback::convert
