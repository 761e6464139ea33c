// One streaming run of `record`, `play` or `record --play`: load, open, start, watch (live
// line, gap reports), stop, finalize, report (text or JSON, and the recording's sidecar).
#pragma once

#include <string>

namespace foldback::cli {

struct TakeSpec {
    std::string command;  // "record" or "play": wording of messages
    std::string name;     // instance
    double rate = 0;      // 0 = leave the driver's rate
    long bufferSize = 0;  // 0 = preferred
    double seconds = 0;   // 0 = until the file ends (play) or Ctrl-C (record)
    bool json = false;
    bool quiet = false;  // no live line

    // record
    std::string recordPath;      // "" = no recording
    std::string recordChannels;  // "1-16"; "" = every input
    std::string sampleFormat;    // float, s16, s24, s32 ("" = per container)
    std::string sidecar;         // "" = <recordPath>.json; "-" = none
    double recordRingSeconds = 4.0;
    double stallMs = 0, stallAt = 1.0;  // test only

    // play
    std::string playPath;      // "" = nothing to play
    std::string playChannels;  // "1-2"; "" = outputs 1..file channels
    bool resample = false;
    double playRingSeconds = 2.0;
};

// Runs it; returns the exit status (and throws Exit codes on set-up errors, printed).
int runTake(const TakeSpec& spec);

}  // namespace foldback::cli
