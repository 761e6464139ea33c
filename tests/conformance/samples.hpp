// Sample types as the round-trip check needs them: the size of a half, a full-scale
// impulse, and a normalized reading. Only the little-endian PCM family is handled; the
// round trip is skipped (with a reason) for any other type.
#pragma once

#include <cstddef>
#include <string>

#include "foldback/asio.h"

namespace foldback::conformance::detail {

// Bytes of `frames` frames of one channel; 0 when the type is unknown.
std::size_t halfBytes(ASIOSampleType type, long frames);

// True for the types writeImpulse/readSample handle.
bool impulseSupported(ASIOSampleType type);

// Writes one full-scale positive sample at `frame` of a half.
void writeImpulse(void* half, ASIOSampleType type, long frame);

// The sample at `frame`, scaled to [-1, 1].
double readSample(const void* half, ASIOSampleType type, long frame);

// "Float32LSB", "Int24LSB", ... or "type 99".
std::string sampleTypeName(ASIOSampleType type);

}  // namespace foldback::conformance::detail
