// tests/conformance: drives any Foldback/cwASIO-compatible driver through every method x
// state cell, every argument class and the streaming checks of docs/errors.md.
// `foldback certify NAME` is its front end; CI runs it on every driver.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

#include "foldback/driver.h"

namespace foldback::conformance {

struct Options {
    std::string instanceName;  // set through future(0x7F000001) on each instance
    std::function<FoldbackDriver*()>
        instantiate;             // a new raw instance (one reference), name NOT set
    double streamSeconds = 3.0;  // length of the timed streaming run
    long bufferSize = 0;         // 0 = the driver's preferred size
    std::vector<std::pair<long, long>>
        loop;                      // (output, input) pairs that loop back; empty = from config
    double rateTolerance = -1;     // relative; < 0 = from config, else 0.001
    double latencyTolerance = -1;  // frames;   < 0 = from config, else 0
    std::string configToml;        // the instance's settings (registry::readConfig), may be ""
    bool verbose = false;          // log every check's detail, also on PASS
    // Additions:
    double stopWatchSeconds = 0.05;  // how long to watch for callbacks after stop
                                     // (at least 4 periods are always watched)
};

struct Check {
    std::string id;  // the row of docs/errors.md, e.g. "S17.P", "A18.huge", "T6"
    std::string title;
    bool spec = true;  // spec row (failure fails certification) or policy row (warning)
    bool passed = false;
    bool skipped = false;
    std::string detail;  // what was seen, when it failed or was skipped
};

// One asioMessage selector as the driver sent it during the run (all instances).
struct MessageCount {
    long selector = 0;
    long long count = 0;
    long long onControlThread = 0;  // sent synchronously inside one of the suite's calls
    long long onOtherThreads = 0;   // sent from a driver thread (audio, hotplug, ...)
};

struct Report {
    std::vector<Check> checks;
    long long reportedRoundTrip = -1;  // getLatencies in + out for the loop path, frames
    long long measuredRoundTrip = -1;  // what the loop measured, frames
    double measuredRate = 0;           // frames per second over the timed run
    double nominalRate = 0;
    long long switches = 0;
    long long overloads = 0;
    // Additions (not in the first interface):
    long inputLatency = -1;  // getLatencies in the prepared state, frames
    long outputLatency = -1;
    long bufferSize = 0;          // the buffer size the streaming runs used
    long long lateCallbacks = 0;  // callbacks after stop/disposeBuffers/release returned
    std::vector<MessageCount> messages;
    std::size_t failedSpec() const;
    std::size_t failedPolicy() const;
    std::size_t passedCount() const;
    std::size_t skippedCount() const;
    bool passed() const { return failedSpec() == 0; }
};

// Runs everything; progress lines go to `log` as each check completes.
Report run(const Options& options, std::ostream& log);

// The per-check report as text (one line per check and a summary) or JSON.
void printText(const Report& report, std::ostream& out);
void printJson(const Report& report, std::ostream& out);

}  // namespace foldback::conformance
