// Shared pieces of the foldback subcommands.
#pragma once

#include <CLI/CLI.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "foldback/host.hpp"

namespace toml {
inline namespace v3 {
class table;
}
}  // namespace toml

namespace foldback::cli {

// Exit codes (documented in --help and docs/cli.md).
enum Exit : int {
    kOk = 0,           // success
    kCheckFailed = 1,  // the command ran and found a failure (certify; latency off or unmeasurable)
    kUsage = 2,        // bad command line
    kDriverError = 3,  // the instance could not be loaded, initialized or used
    kFileError = 4,    // an audio file could not be read or written
    kAudioLost = 5,    // the command finished but audio was lost (ring overflow/underrun,
                       // device drop-out); every gap is listed with its exact position
};

// The exit-status paragraph every command's --help ends with.
inline constexpr const char* kExitHelp =
    "Exit status: 0 success, 1 a check failed, 2 bad usage, 3 the driver could not be used,\n"
    "4 a file could not be read or written, 5 audio was lost (gaps listed).";

void addList(CLI::App& app);
void addInfo(CLI::App& app);
void addRegister(CLI::App& app);
void addCertify(CLI::App& app);
void addLatency(CLI::App& app);
void addRecord(CLI::App& app);
void addPlay(CLI::App& app);
void addMonitor(CLI::App& app);
void addDoctor(CLI::App& app);

// Prints "foldback: <message>" to stderr.
void error(const std::string& message);
// Prints "foldback: warning: <message>" to stderr.
void warning(const std::string& message);
// A toml table as pretty JSON on stdout.
void printJson(const toml::table& t);
// A toml table as pretty JSON text.
std::string jsonText(const toml::table& t);

// "1-4,7" -> {0,1,2,3,6}: channels as people number them (from 1), returned from 0, in the
// order given. `what` names the option in messages ("-c"); `count` is how many exist (0 =
// unknown, no range check). Throws kUsage after printing what to do.
std::vector<long> parseChannels(const std::string& text, const std::string& what, long count,
                                const std::string& kind);
// {0,1,2,3,6} -> "1-4,7"
std::string formatChannels(const std::vector<long>& zeroBased);

// Loads an instance or prints the loader's/driver's message and throws kDriverError.
Driver loadDriver(const std::string& name);
// --rate: switches the driver to rate (0 = leave it) or throws kUsage/kDriverError with the
// rates it supports.
void applyRate(Driver& driver, double rate);
// --buffer-size: 0 = the preferred size; else checks the driver accepts it (kUsage).
long chooseBufferSize(const Driver& driver, long requested);
// Driver::open with the error printed (kDriverError).
Stream openStream(Driver& driver, const Request& request, Handler& handler);

// SIGINT/SIGTERM set a flag (the first one; a second one ends the program at once).
void installStopSignals();
bool stopRequested() noexcept;

// CLOCK_MONOTONIC in ns; sleeps.
std::int64_t nowNs() noexcept;
void sleepMs(double ms);

// One status line on a terminal (stderr), redrawn in place; silent when stderr is not a
// terminal or when disabled.
class StatusLine {
  public:
    explicit StatusLine(bool enabled);
    ~StatusLine();
    bool enabled() const noexcept { return enabled_; }
    void show(const std::string& text);
    void clear();

  private:
    bool enabled_ = false;
    bool shown_ = false;
};

// "12.3 dB"-style helpers.
double toDb(double linear) noexcept;
std::string dbText(double linear);
// mm:ss.t
std::string clockText(double seconds);

// Per-channel peak meters written by the audio thread (one writer) and read by the status
// line: a peak hold that decays at 20 dB/s, plus a sticky clip flag.
class Meters {
  public:
    void resize(std::size_t channels, double rate);
    std::size_t size() const noexcept { return count_; }
    // [rt] one block of channel c.
    void feed(std::size_t c, const float* x, long frames) noexcept;
    double peak(std::size_t c) const noexcept;
    bool clipped(std::size_t c) const noexcept;
    double maxPeak() const noexcept;  // over the whole session
    // "1▆ 2▃ 3▁" (or with dB for a few channels)
    std::string bars(const std::vector<long>& numbersZeroBased) const;

  private:
    struct alignas(64) Slot {
        std::atomic<float> peak{0.0f};
        std::atomic<float> max{0.0f};
        std::atomic<bool> clip{false};
    };
    std::unique_ptr<Slot[]> peaks_;
    std::size_t count_ = 0;
    float decayPerBlockDb_ = 0;
    double rate_ = 48000;
};

}  // namespace foldback::cli
