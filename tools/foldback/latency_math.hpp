// Round-trip latency from a periodic multi-tone excitation (docs/cli.md, "latency").
//
// One period of N = 2^p frames holds K tones on exact FFT bins (40 Hz .. ~20 kHz) with
// Schroeder phases (a low crest factor), played over and over. Once the loop is in steady
// state, one period of the input is the excitation delayed by the loop: for every tone,
// Y_k = H_k X_k, and for a pure delay D, H_k = exp(-2 pi i k D / N).
//   - the impulse response h = IFFT(H) (band-limited) peaks at D mod N: the integer part;
//   - after removing that, the phase of H_k is -2 pi k d / N: a weighted least-squares fit
//     of the phase slope over every tone gives the fraction d (the group delay), to a
//     small fraction of a frame;
//   - the multiple of N comes from where the signal first appears in the recording.
#pragma once

#include <complex>
#include <cstddef>
#include <string>
#include <vector>

namespace foldback::cli::latency {

using Complex = std::complex<double>;

// In-place radix-2 FFT (size a power of two); inverse divides by the size.
void fft(std::vector<Complex>& a, bool inverse);

struct Excitation {
    std::size_t period = 0;         // N
    std::vector<float> signal;      // one period, exactly as played
    std::vector<Complex> spectrum;  // FFT of `signal`
    std::vector<std::size_t> bins;  // the excited bins
};
// level: peak amplitude (linear).
Excitation makeExcitation(std::size_t period, double rate, double level);

// The smallest period (power of two, >= 8192) for a loop reported as `reportedFrames`.
std::size_t choosePeriod(long reportedFrames);
// Periods to let pass before analysing (covers the reported round trip + N/2).
std::size_t settlePeriods(long reportedFrames, std::size_t period);

struct Estimate {
    bool ok = false;
    std::string problem;          // why not ok, in words a person can act on
    double delay = 0;             // frames: the round trip
    long peak = 0;                // integer peak of the impulse response (absolute frames)
    double fraction = 0;          // delay - peak
    double snrDb = 0;             // impulse peak over the rest of the response
    double gainDb = 0;            // loop gain in the band
    bool inverted = false;        // the loop inverts polarity
    long onset = -1;              // first frame where the signal appeared
    std::vector<double> impulse;  // one period of h, normalized to |peak| = 1 (index = delay mod N)
};

// recording[f]: input frame f since the start of the stream (output frame 0 went out with
// input frame 0). Analyses `windows` periods from settle * N on.
Estimate estimate(const Excitation& x, const std::vector<float>& recording, std::size_t settle,
                  std::size_t windows);

// ---- calibration -------------------------------------------------------------------------

enum class Split { Half, Input, Output };
struct Offsets {
    long input = 0, output = 0;
};
// The [latency] offsets that make the driver report round(measured) in all: the driver's own
// model is what it reports minus the offsets already stored (so calibrating twice never
// counts anything twice); the correction is split as asked (Half: the odd frame on output),
// never pushing either side below 0.
Offsets calibrate(double measured, long reportedInput, long reportedOutput, Offsets stored,
                  Split split);

}  // namespace foldback::cli::latency
