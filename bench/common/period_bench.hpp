// What bench_jack and bench_pipewire share: the per-period CPU measurement of one client
// process (the child side), the runs' bookkeeping and the table (the parent side).
//
// Each client runs in a process of its own (the bench re-executed with --child), so
// CLOCK_PROCESS_CPUTIME_ID is its whole cost: the callback, the audio library's threads
// and the library around them. The child streams for `seconds` after a warm-up, samples
// (process CPU, callbacks) every kWindow seconds and prints
//   RESULT <ns per period over the whole window> <callbacks>
//   WINDOWS <ns per period of each window>...
//   THREAD <tid:name> <ns per period>          (with threads = true)
// or `ERROR <text>` when the client could not open. The parent collects these per client
// and run (Runs) and prints, per client, the median of the runs, the p99 of all windows,
// and Foldback / this client both as a ratio of medians and as the median of the per-run
// ratios (the clients of one run saw the same machine, seconds apart) with that median's
// 95 % confidence interval.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "foldback/host.hpp"

namespace foldback::bench {

inline constexpr int kChannels = 8;
inline constexpr double kWarmup = 0.5;
inline constexpr double kWindow = 0.25;

std::int64_t cpuNs();   // CLOCK_PROCESS_CPUTIME_ID
std::int64_t monoNs();  // CLOCK_MONOTONIC
void sleepSeconds(double s);
void sleepUntil(std::int64_t monoNs);
// Runs a shell command; its standard output, and its exit status in *status.
std::string run(const std::string& cmd, int* status = nullptr);
double percentile(std::vector<double> v, double p);
// A distribution-free 95 % confidence interval of the median of v (order statistics; NaN
// for fewer than 6 values): where the per-run ratios' median could lie, so an A/B whose
// interval holds 1.0 reads as "not told apart" rather than as a gain or a loss.
std::pair<double, double> medianInterval(std::vector<double> v);
std::vector<std::string> split(const std::string& commaList);
// A registry entry: root/name/{driver,description,config.toml}.
void addInstance(const std::filesystem::path& root, const std::string& name,
                 const std::string& driverPath, const std::string& configToml);

// Callbacks counted by clients that have no counter of their own.
extern std::atomic<long long> gCallbacks;

struct Client {
    virtual ~Client() = default;
    virtual std::string open(long period) = 0;  // "" or an error
    virtual long long callbacks() const { return gCallbacks.load(std::memory_order_relaxed); }
};

// A Foldback host (foldback::Driver, FloatHandler) on instance `name` of the registry the
// parent set up: kChannels inputs copied to kChannels outputs.
// FloatHandler first: the driver's period reaches processFloat without a this-adjusting thunk.
struct FoldbackClient final : foldback::FloatHandler, Client {
    explicit FoldbackClient(std::string instance) : name(std::move(instance)) {}
    ~FoldbackClient() override;
    void processFloat(const Block& b) override;
    std::string open(long period) override;
    std::string name;
    std::unique_ptr<foldback::Driver> driver;
    std::unique_ptr<foldback::Stream> stream;
};

// The child: opens `client`, waits for startAt (CLOCK_MONOTONIC ns; 0: the warm-up),
// measures and prints (see the top). Returns the process's exit code.
int measureChild(std::unique_ptr<Client> client, long period, double seconds, std::int64_t startAt,
                 bool threads);

// The parent's record of all runs of one period size.
class Runs {
  public:
    // One child's output; echoThreads prints its THREAD lines (and the run's figure).
    void add(int run, const std::string& kind, const std::string& childOutput, bool echoThreads);
    // Prints the table; false when a client gave no result.
    bool print(const std::string& period, const std::vector<std::string>& clients) const;
    bool has(const std::string& kind) const;
    double median(const std::string& kind) const;
    // a / b run by run (the runs both gave a figure): the median and its 95 % interval
    // (NAN where fewer than 6 runs pair up).
    struct Ratio {
        double median, lo, hi;
    };
    Ratio ratio(const std::string& a, const std::string& b) const;

  private:
    std::map<std::string, std::vector<double>> perRun_, windows_;
    std::map<std::string, std::map<int, double>> byRun_;
    std::map<std::string, std::string> errors_;
};

}  // namespace foldback::bench
