// foldback latency: measure the round trip through a loop (a cable on hardware, the routing
// of a virtual device) with sub-sample resolution, compare it with what the driver reports,
// and optionally store the difference in the instance's config so the driver reports the
// measured truth from then on (docs/cli.md).
#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iostream>
#include <numeric>

#include "common.hpp"
#include "latency_math.hpp"
#include "plot.hpp"
#include "registry/registry.hpp"

namespace foldback::cli {

namespace {

struct Options {
    std::string name = "loopback";
    std::string in = "1", out = "1";
    long bufferSize = 0;
    double rate = 0;
    int repeats = 5;
    double levelDb = -12;
    bool calibrate = false, force = false, json = false;
    std::string split = "half";
    double tolerance = 1.0;
    std::string plot;
};

// Plays the excitation (indexed by the take position, so it is periodic on the device's
// timeline) on one output and records one input into memory allocated before start.
class Prober final : public FloatHandler {
  public:
    void setup(const latency::Excitation* x, std::size_t frames) {
        x_ = x;
        recording.assign(frames, 0.0f);
    }
    // [control] between runs (the stream is stopped).
    void reset() {
        std::fill(recording.begin(), recording.end(), 0.0f);
        started_ = false;
        done_.store(false);
        jumped_.store(false);
        position_.store(0);
    }
    void processFloat(const Block& b) override {
        const std::int64_t pos = b.position >= 0 ? b.position : (started_ ? expected_ : 0);
        if (!started_) {
            started_ = true;
            base_ = expected_ = pos;
        }
        if (pos != expected_) jumped_.store(true, std::memory_order_relaxed);
        expected_ = pos + b.frames;
        const std::int64_t rel = pos - base_;
        const std::size_t n = x_->period;
        for (long i = 0; i < b.frames; ++i)
            b.out[0][i] = x_->signal[static_cast<std::size_t>(rel + i) % n];
        const std::size_t total = recording.size();
        for (long i = 0; i < b.frames; ++i) {
            const auto at = static_cast<std::size_t>(rel + i);
            if (at < total) recording[at] = b.in[0][i];
        }
        position_.store(rel + b.frames, std::memory_order_relaxed);
        if (static_cast<std::size_t>(rel + b.frames) >= total)
            done_.store(true, std::memory_order_release);
    }
    bool done() const noexcept { return done_.load(std::memory_order_acquire); }
    bool jumped() const noexcept { return jumped_.load(std::memory_order_relaxed); }
    std::int64_t position() const noexcept { return position_.load(std::memory_order_relaxed); }

    std::vector<float> recording;

  private:
    const latency::Excitation* x_ = nullptr;
    bool started_ = false;
    std::int64_t base_ = 0, expected_ = 0;
    std::atomic<bool> done_{false}, jumped_{false};
    std::atomic<std::int64_t> position_{0};
};

class Silence final : public FloatHandler {
  public:
    void processFloat(const Block& b) override {
        for (float* o : b.out)
            std::memset(o, 0, static_cast<std::size_t>(b.frames) * sizeof(float));
    }
};

struct Measurement {
    double rate = 0;
    long bufferSize = 0;
    Latencies reported;
    std::string driverName;
    std::size_t period = 0;
    std::vector<latency::Estimate> runs;
    long retries = 0;
};

long single(const std::string& text, const std::string& what, long count, const std::string& kind) {
    const auto v = parseChannels(text, what, count, kind);
    if (v.size() != 1) {
        error(fmt::format("{} {}: name one {} (the loop is measured one channel at a time)", what,
                          text, kind));
        throw kUsage;
    }
    return v[0];
}

Measurement measure(const Options& o, long& inCh, long& outCh) {
    Measurement m;
    Driver driver = loadDriver(o.name);
    applyRate(driver, o.rate);
    m.bufferSize = chooseBufferSize(driver, o.bufferSize);
    m.rate = driver.sampleRate();
    m.driverName = driver.driverName();
    inCh = single(o.in, "--in", driver.inputCount(), "input");
    outCh = single(o.out, "--out", driver.outputCount(), "output");
    Prober prober;
    Stream stream = openStream(
        driver, {.inputs = {inCh}, .outputs = {outCh}, .bufferSize = m.bufferSize}, prober);
    m.reported = stream.latencies();
    const long reported = m.reported.input + m.reported.output;
    m.period = latency::choosePeriod(reported + m.bufferSize);
    const std::size_t settle = latency::settlePeriods(reported + m.bufferSize, m.period);
    const std::size_t windows = 2;
    const latency::Excitation x =
        latency::makeExcitation(m.period, m.rate, std::pow(10.0, o.levelDb / 20.0));
    prober.setup(&x, (settle + windows) * m.period);
    const double seconds = static_cast<double>(prober.recording.size()) / m.rate;
    if (!o.json)
        std::cout << fmt::format(
                         "latency {}: output {} -> input {}, {} frames at {:g} Hz, {} repeats of "
                         "{:.2f} s\n",
                         o.name, outCh + 1, inCh + 1, m.bufferSize, m.rate, o.repeats, seconds)
                  << std::flush;
    installStopSignals();
    for (int r = 0; r < o.repeats; ++r) {
        for (int attempt = 0;; ++attempt) {
            prober.reset();
            try {
                stream.start();
            } catch (const std::exception& e) {
                error(e.what());
                throw kDriverError;
            }
            const std::int64_t deadline =
                nowNs() + static_cast<std::int64_t>((3 * seconds + 3) * 1e9);
            while (!prober.done() && !stopRequested() && nowNs() < deadline) sleepMs(5);
            stream.stop();
            if (stopRequested()) {
                error("interrupted: nothing measured");
                throw kCheckFailed;
            }
            if (!prober.done()) {
                error(fmt::format(
                    "{} delivered only {} of {} frames in {:.1f} s; check the device "
                    "(`foldback certify {}`)",
                    o.name, prober.position(), prober.recording.size(), 3 * seconds + 3, o.name));
                throw kDriverError;
            }
            if (!prober.jumped()) break;
            ++m.retries;
            if (attempt >= 3) {
                error(fmt::format(
                    "the driver dropped frames in each of {} attempts, so the loop never settled; "
                    "allow real-time scheduling or use a larger --buffer-size",
                    attempt + 1));
                throw kCheckFailed;
            }
        }
        latency::Estimate e = latency::estimate(x, prober.recording, settle, windows);
        if (!e.ok) {
            error(fmt::format(
                "output {} -> input {}: {}. Check that output {} reaches input {} (a cable on an "
                "interface; the [loopback] routing on a loopback instance) and that nothing else "
                "plays into that input{}",
                outCh + 1, inCh + 1, e.problem, outCh + 1, inCh + 1,
                e.problem.rfind("no signal", 0) == 0 ? "; raise --level if the loop attenuates"
                                                     : ""));
            throw kCheckFailed;
        }
        if (!o.json)
            std::cout << fmt::format(
                             "  repeat {}: {:.3f} frames (impulse peak {}, {:.0f} dB above the "
                             "rest, loop "
                             "gain {:+.1f} dB{})\n",
                             r + 1, e.delay, e.peak, e.snrDb, e.gainDb,
                             e.inverted ? ", inverted" : "")
                      << std::flush;
        m.runs.push_back(std::move(e));
    }
    return m;
}

int run(const Options& o) {
    latency::Split split = latency::Split::Half;
    if (o.split == "half")
        split = latency::Split::Half;
    else if (o.split == "input")
        split = latency::Split::Input;
    else if (o.split == "output")
        split = latency::Split::Output;
    else {
        error(fmt::format("--split {}: use half, input or output", o.split));
        throw kUsage;
    }
    long inCh = 0, outCh = 0;
    const Measurement m = measure(o, inCh, outCh);
    std::vector<double> delays;
    for (const auto& e : m.runs) delays.push_back(e.delay);
    const double mean =
        std::accumulate(delays.begin(), delays.end(), 0.0) / static_cast<double>(delays.size());
    const double lo = *std::min_element(delays.begin(), delays.end());
    const double hi = *std::max_element(delays.begin(), delays.end());
    double var = 0;
    for (double d : delays) var += (d - mean) * (d - mean);
    const double sigma = std::sqrt(var / static_cast<double>(delays.size()));
    const long reported = m.reported.input + m.reported.output;
    const double diff = mean - static_cast<double>(reported);
    const double ms = 1000.0 / m.rate;

    // What the instance's config holds now (the driver's report includes it).
    latency::Offsets stored;
    try {
        auto cfg = toml::parse(registry::readConfig(o.name));
        stored.input = cfg["latency"]["input_offset"].value_or(0L);
        stored.output = cfg["latency"]["output_offset"].value_or(0L);
    } catch (const std::exception&) {
    }

    toml::table t{{"instance", o.name},
                  {"driver", m.driverName},
                  {"rate", m.rate},
                  {"buffer_size", m.bufferSize},
                  {"output_channel", outCh + 1},
                  {"input_channel", inCh + 1},
                  {"period_frames", static_cast<std::int64_t>(m.period)},
                  {"retries", m.retries}};
    toml::array reps;
    for (double d : delays) reps.push_back(d);
    t.insert("repeats", std::move(reps));
    t.insert("measured", toml::table{{"mean", mean},
                                     {"min", lo},
                                     {"max", hi},
                                     {"spread", hi - lo},
                                     {"stddev", sigma},
                                     {"ms", mean * ms},
                                     {"snr_db", m.runs.front().snrDb},
                                     {"gain_db", m.runs.front().gainDb},
                                     {"inverted", m.runs.front().inverted}});
    t.insert("reported", toml::table{{"input", m.reported.input},
                                     {"output", m.reported.output},
                                     {"total", reported},
                                     {"input_offset", stored.input},
                                     {"output_offset", stored.output}});
    t.insert("difference", diff);
    t.insert("difference_ms", diff * ms);

    int status = kOk;
    double finalDiff = diff;
    long finalReported = reported;
    std::string finalDetail =
        fmt::format("input {} + output {}", m.reported.input, m.reported.output);
    if (!o.json) {
        std::cout << fmt::format(
            "measured   {:.3f} frames = {:.3f} ms (spread {:.3f} frames over {} repeats, "
            "min {:.3f}, max {:.3f})\n",
            mean, mean * ms, hi - lo, delays.size(), lo, hi);
        std::cout << fmt::format(
            "reported   {} frames = {:.3f} ms (input {} + output {}{})\n", reported, reported * ms,
            m.reported.input, m.reported.output,
            stored.input || stored.output
                ? fmt::format(", calibrated offsets {} / {} included", stored.input, stored.output)
                : "");
        std::cout << fmt::format(
            "difference {:+.3f} frames = {:+.3f} ms{}\n", diff, diff * ms,
            std::fabs(diff) <= 0.1 ? ": the driver reports the real latency" : "");
    }

    if (o.calibrate) {
        if (hi - lo > 1.0 && !o.force) {
            error(
                fmt::format("the round trip varies by {:.2f} frames between repeats, so no single "
                            "offset is right; "
                            "find out why (another run, `foldback certify {}`) or store the mean "
                            "anyway with --force",
                            hi - lo, o.name));
            throw kCheckFailed;
        }
        const latency::Offsets next =
            latency::calibrate(mean, m.reported.input, m.reported.output, stored, split);
        std::string config;
        try {
            registry::setConfigValue(o.name, "latency", "input_offset", next.input);
            registry::setConfigValue(o.name, "latency", "output_offset", next.output);
            config = registry::configPathForWrite(o.name).string();
        } catch (const std::exception& e) {
            error(fmt::format("cannot store the offsets: {}", e.what()));
            throw kFileError;
        }
        // Load the instance again: what does it report now?
        Latencies after{};
        {
            Driver d = loadDriver(o.name);
            applyRate(d, m.rate);
            Silence quiet;
            Stream s = openStream(
                d, {.inputs = {inCh}, .outputs = {outCh}, .bufferSize = m.bufferSize}, quiet);
            after = s.latencies();
        }
        finalReported = after.input + after.output;
        finalDiff = mean - static_cast<double>(finalReported);
        finalDetail = fmt::format("input {} + output {}", after.input, after.output);
        const double residue = mean - std::round(mean);
        t.insert("calibration",
                 toml::table{{"split", o.split},
                             {"input_offset", next.input},
                             {"output_offset", next.output},
                             {"previous_input_offset", stored.input},
                             {"previous_output_offset", stored.output},
                             {"config", config},
                             {"residue", residue},
                             {"reported_after", toml::table{{"input", after.input},
                                                            {"output", after.output},
                                                            {"total", finalReported}}}});
        if (!o.json) {
            std::cout << fmt::format(
                "calibrated: [latency] input_offset = {}, output_offset = {} (were {} / {}) "
                "in {}\n",
                next.input, next.output, stored.input, stored.output, config);
            std::cout << fmt::format(
                "now reported {} frames (input {} + output {}); residue {:+.3f} frames below "
                "one frame stays unreported\n",
                finalReported, after.input, after.output, residue);
        }
    }

    if (!o.plot.empty()) {
        LatencyPlot p;
        p.title = fmt::format("foldback latency {}: output {} -> input {}, {} frames at {:g} Hz",
                              o.name, outCh + 1, inCh + 1, m.bufferSize, m.rate);
        p.rate = m.rate;
        p.impulse = m.runs.back().impulse;
        p.measured = mean;
        p.reported = finalReported;
        p.reportedDetail = finalDetail + (o.calibrate ? ", after calibration" : "");
        p.repeats = delays;
        const std::string problem = drawLatencyPlot(p, o.plot);
        if (!problem.empty()) {
            error(problem);
            throw kFileError;
        }
        t.insert("plot", o.plot);
        if (!o.json) std::cout << fmt::format("plot: {}\n", o.plot);
    }

    const bool ok = std::fabs(finalDiff) <= o.tolerance;
    t.insert("tolerance", o.tolerance);
    t.insert("ok", ok);
    if (o.json) printJson(t);
    if (!ok) {
        error(
            fmt::format("the driver reports {} frames but the loop measures {:.3f} ({:+.3f}, more "
                        "than --tolerance "
                        "{:g}); run `foldback latency {} --calibrate` to store the difference",
                        finalReported, mean, finalDiff, o.tolerance, o.name));
        status = kCheckFailed;
    }
    return status;
}

}  // namespace

void addLatency(CLI::App& app) {
    static Options o;
    auto* cmd = app.add_subcommand(
        "latency",
        "Measure the round-trip latency through a loop and compare it with the reported one");
    cmd->footer(fmt::format(
        "Plays a periodic multi-tone signal on --out and records --in, which must hear it (a "
        "cable\n"
        "from output to input on an interface; input k hears output k on the loopback driver).\n"
        "The round trip comes from the loop's impulse response (integer part) and the phase slope\n"
        "of every tone (the fraction of a frame), once per repeat, each on a fresh start.\n"
        "Prints measured vs reported (getLatencies input + output) and the difference.\n"
        "--calibrate stores the difference as [latency] input_offset / output_offset (whole "
        "frames,\n"
        "split half/half by default, odd frame on output; the offsets already stored are taken\n"
        "into account, so calibrating again changes nothing); the driver reports it from then on.\n"
        "Exit 1 when |measured - reported| > --tolerance (after calibration: the new report).\n"
        "Examples:\n"
        "  foldback latency\n"
        "  foldback latency studio --out 1 --in 1 --buffer-size 64 --repeats 10 --plot loop.svg\n"
        "  foldback latency studio --calibrate\n"
        "  foldback latency loopback --json | jq .difference\n"
        "{}",
        kExitHelp));
    cmd->add_option("name", o.name, "Instance (default: loopback)");
    cmd->add_option("--in", o.in, "The input that hears the loop, from 1 (default 1)");
    cmd->add_option("--out", o.out, "The output that feeds the loop, from 1 (default 1)");
    cmd->add_option("-b,--buffer-size", o.bufferSize,
                    "Frames per period (default: the driver's preferred size)");
    cmd->add_option("-r,--rate", o.rate, "Run the device at this rate (default: leave it)");
    cmd->add_option("-n,--repeats", o.repeats, "Measurements, each on a fresh start (default 5)")
        ->check(CLI::Range(1, 1000));
    cmd->add_option("--level", o.levelDb, "Peak level of the test signal in dBFS (default -12)")
        ->check(CLI::Range(-60.0, 0.0));
    cmd->add_flag("--calibrate", o.calibrate,
                  "Store the measured difference in the instance's config");
    cmd->add_option("--split", o.split,
                    "How --calibrate splits the round trip: half, input, output (default half)");
    cmd->add_flag("--force", o.force,
                  "Calibrate even when the repeats disagree by more than 1 frame");
    cmd->add_option("--tolerance", o.tolerance,
                    "Frames measured and reported may differ (default 1)")
        ->check(CLI::Range(0.0, 1e9));
    cmd->add_option("--plot", o.plot,
                    "Draw the impulse response and the repeats to FILE.svg or FILE.png");
    cmd->add_flag("--json", o.json, "Print the result as JSON");
    cmd->callback([] { throw static_cast<Exit>(run(o)); });
}

}  // namespace foldback::cli
