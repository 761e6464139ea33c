// `foldback latency --plot`: the loop's impulse response around the measured round trip,
// measured vs reported marked, and the spread over the repeats. Cairo draws both SVG and
// PNG (chosen by the file name).
#pragma once

#include <string>
#include <vector>

namespace foldback::cli {

struct LatencyPlot {
    std::string title;  // first line of the heading
    double rate = 48000;
    std::vector<double> impulse;  // one period of the normalized impulse response
    double measured = 0;          // frames (mean over the repeats)
    long reported = 0;            // frames
    std::string reportedDetail;   // "input 32 + output 32"
    std::vector<double> repeats;  // frames, one per repeat
};

// Writes path (.svg or .png). Returns "" or what went wrong.
std::string drawLatencyPlot(const LatencyPlot& plot, const std::string& path);

}  // namespace foldback::cli
