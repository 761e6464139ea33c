// tests/unit/convert/support.hpp: what the convert tests share: the tiers to run, random
// samples with the hard cases mixed in, and the coverage record printed at the end.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "convert/convert.hpp"
#include "convert/isa.hpp"
#include "oracle.hpp"

namespace support {

// Every tier this CPU can run; the scalar one (the reference) first.
std::vector<foldback::convert::Isa> tiers();
std::string tierName(foldback::convert::Isa isa);

// n samples of format f at p: for integers any bytes at all (garbage in the unused high
// bits of Int32xxNN included); for floats a mix of ordinary values in [-1.25, 1.25],
// exact rounding ties and grid points of every integer width, and the specials (zeros,
// denormals, NaN, infinities, huge values).
void fillRandom(const oracle::Format& f, std::uint8_t* p, std::size_t n, std::mt19937& rng);

// Only the canonical words of an integer format (high bits a copy of the sign bit).
void fillCanonical(const oracle::Format& f, std::uint8_t* p, std::size_t n, std::mt19937& rng);

// Notes that the test that is running covered `aspect` of ASIO type `type`; the table is
// printed when the test program ends, and a PCM type missing an aspect fails the run.
void cover(ASIOSampleType type, const std::string& aspect);
void coverDevice(foldback::convert::DeviceFormat f, const std::string& aspect);

}  // namespace support
