// foldback monitor: inputs straight to outputs (the foldback path), with gain; prints the
// end-to-end latency the driver reports and counts overloads and drop-outs.
#include <fmt/format.h>
#include <toml++/toml.h>

#include <cmath>
#include <iostream>

#include "common.hpp"

namespace foldback::cli {

namespace {

struct Options {
    std::string name = "loopback";
    std::string in = "1-2", out = "1-2";
    double gainDb = 0;
    double seconds = 0;
    long bufferSize = 0;
    double rate = 0;
    bool json = false, quiet = false;
};

// Input half i is processed into output half i in the same switch: the only delay is the
// driver's input + output latency.
class Passthrough final : public FloatHandler {
  public:
    Passthrough(std::size_t inputs, std::size_t outputs, float gain, std::int64_t stopAt,
                double rate)
        : inputs_(inputs),
          outputs_(outputs),
          gain_(gain),
          stopAt_(stopAt > 0 ? stopAt : INT64_MAX) {
        meters.resize(inputs, rate);
    }
    Meters meters;

    void processFloat(const Block& b) override {
        const std::int64_t pos = b.position >= 0 ? b.position : (started_ ? expected_ : 0);
        if (!started_) {
            started_ = true;
            base_ = expected_ = pos;
        }
        if (pos > expected_) dropped_.fetch_add(pos - expected_, std::memory_order_relaxed);
        expected_ = pos + b.frames;
        for (std::size_t o = 0; o < b.out.size(); ++o) {
            const float* src = b.in[inputs_ == outputs_ ? o : 0];
            float* dst = b.out[o];
            for (long i = 0; i < b.frames; ++i) dst[i] = src[i] * gain_;
        }
        for (std::size_t c = 0; c < b.in.size(); ++c) meters.feed(c, b.in[c], b.frames);
        const std::int64_t rel = pos + b.frames - base_;
        position_.store(rel, std::memory_order_relaxed);
        if (rel >= stopAt_) done_.store(true, std::memory_order_release);
    }
    void notify(long selector, long) noexcept override {
        if (selector == kAsioResetRequest) reset_.store(true, std::memory_order_relaxed);
    }

    bool done() const noexcept { return done_.load(std::memory_order_acquire); }
    bool reset() const noexcept { return reset_.load(std::memory_order_relaxed); }
    std::int64_t position() const noexcept { return position_.load(std::memory_order_relaxed); }
    std::int64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }

  private:
    std::size_t inputs_, outputs_;
    float gain_;
    std::int64_t stopAt_;
    bool started_ = false;
    std::int64_t base_ = 0, expected_ = 0;
    std::atomic<bool> done_{false}, reset_{false};
    std::atomic<std::int64_t> position_{0}, dropped_{0};
};

int run(const Options& o) {
    Driver driver = loadDriver(o.name);
    applyRate(driver, o.rate);
    const long frames = chooseBufferSize(driver, o.bufferSize);
    const double rate = driver.sampleRate();
    const auto ins = parseChannels(o.in, "--in", driver.inputCount(), "input");
    const auto outs = parseChannels(o.out, "--out", driver.outputCount(), "output");
    if (ins.size() != outs.size() && ins.size() != 1) {
        error(fmt::format(
            "--in names {} inputs and --out {} outputs; name as many of each (input k feeds "
            "output k), or one input to feed every output",
            ins.size(), outs.size()));
        throw kUsage;
    }
    const float gain = static_cast<float>(std::pow(10.0, o.gainDb / 20.0));
    Passthrough thru(ins.size(), outs.size(), gain,
                     o.seconds > 0 ? std::llround(o.seconds * rate) : 0, rate);
    Stream stream =
        openStream(driver, {.inputs = ins, .outputs = outs, .bufferSize = frames}, thru);
    const Latencies lat = stream.latencies();
    const long total = lat.input + lat.output;
    if (!o.json) {
        std::cout << fmt::format(
            "monitor {}: inputs {} -> outputs {}, gain {:+.1f} dB, {} frames at {:g} Hz\n", o.name,
            formatChannels(ins), formatChannels(outs), o.gainDb, frames, rate);
        std::cout << fmt::format(
            "end-to-end latency {} frames = {:.3f} ms (input {} + output {})\n", total,
            1000.0 * total / rate, lat.input, lat.output);
        std::cout << (o.seconds > 0
                          ? fmt::format("runs {:.3f} s; Ctrl-C stops earlier\n", o.seconds)
                          : std::string("Ctrl-C stops\n"))
                  << std::flush;
    }
    installStopSignals();
    try {
        stream.start();
    } catch (const std::exception& e) {
        error(e.what());
        throw kDriverError;
    }
    StatusLine status(!o.quiet && !o.json);
    std::int64_t lastPos = -1, lastMove = nowNs();
    bool stalled = false;
    for (int tick = 0;; ++tick) {
        sleepMs(20);
        if (thru.done() || stopRequested() || thru.reset()) break;
        const std::int64_t pos = thru.position();
        if (pos != lastPos) {
            lastPos = pos;
            lastMove = nowNs();
        } else if (nowNs() - lastMove > 3'000'000'000LL) {
            stalled = true;
            break;
        }
        if (status.enabled() && tick % 5 == 0)
            status.show(fmt::format("MON {}  {}  overloads {}  dropped {}", clockText(pos / rate),
                                    thru.meters.bars(ins), stream.events().overloads,
                                    thru.dropped()));
    }
    stream.stop();
    status.clear();
    const StreamEvents ev = stream.events();
    const double secs = static_cast<double>(thru.position()) / rate;
    if (o.json) {
        toml::array ia, oa;
        for (long c : ins) ia.push_back(c + 1);
        for (long c : outs) oa.push_back(c + 1);
        printJson(toml::table{
            {"command", "monitor"},
            {"instance", o.name},
            {"inputs", std::move(ia)},
            {"outputs", std::move(oa)},
            {"gain_db", o.gainDb},
            {"rate", rate},
            {"buffer_size", frames},
            {"latency", toml::table{{"input", lat.input},
                                    {"output", lat.output},
                                    {"total", total},
                                    {"ms", 1000.0 * total / rate}}},
            {"frames", thru.position()},
            {"seconds", secs},
            {"overloads", ev.overloads},
            {"dropped_frames", thru.dropped()},
        });
    } else {
        std::cout << fmt::format(
            "monitored {:.3f} s: {} overload{}, {} frames dropped by the driver\n", secs,
            ev.overloads, ev.overloads == 1 ? "" : "s", thru.dropped());
    }
    if (thru.reset() || stalled) {
        error(fmt::format("{} {}; check the device and run again", o.name,
                          stalled ? "delivered no period for 3 s"
                                  : "asked to be reset (device lost or reconfigured)"));
        return kDriverError;
    }
    if (thru.dropped() > 0) {
        error(
            fmt::format("the driver dropped {} frames (audible gaps); allow real-time scheduling "
                        "or use a larger "
                        "--buffer-size",
                        thru.dropped()));
        return kAudioLost;
    }
    return kOk;
}

}  // namespace

void addMonitor(CLI::App& app) {
    static Options o;
    auto* cmd = app.add_subcommand("monitor",
                                   "Hear the inputs on the outputs (the foldback path), with gain");
    cmd->footer(fmt::format(
        "Input half i is processed into output half i in the same switch, so what you hear is "
        "late\n"
        "by exactly the driver's input + output latency, which is printed. Overloads (late "
        "periods)\n"
        "and frames the driver dropped are counted; exit 5 when frames were dropped.\n"
        "One input may feed several outputs (--in 1 --out 1-2: a mono mic on both ears).\n"
        "Examples:\n"
        "  foldback monitor --in 1-2 --out 1-2\n"
        "  foldback monitor studio --in 1 --out 3-4 --gain -6 --buffer-size 32\n"
        "  foldback monitor studio --in 1-2 --out 1-2 --seconds 30 --json\n"
        "{}",
        kExitHelp));
    cmd->add_option("name", o.name, "Instance (default: loopback)");
    cmd->add_option("--in", o.in, "Inputs, from 1 (default 1-2)");
    cmd->add_option("--out", o.out, "Outputs, from 1 (default 1-2)");
    cmd->add_option("-g,--gain", o.gainDb, "Gain in dB (default 0)")
        ->check(CLI::Range(-120.0, 40.0));
    cmd->add_option("--seconds", o.seconds, "Stop after this long (default: until Ctrl-C)")
        ->check(CLI::Range(0.001, 1e7));
    cmd->add_option("-b,--buffer-size", o.bufferSize,
                    "Frames per period (default: the driver's preferred size)");
    cmd->add_option("-r,--rate", o.rate, "Run the device at this rate (default: leave it)");
    cmd->add_flag("--json", o.json, "Print the summary as JSON (no live line)");
    cmd->add_flag("-q,--quiet", o.quiet, "No live line");
    cmd->callback([] { throw static_cast<Exit>(run(o)); });
}

}  // namespace foldback::cli
