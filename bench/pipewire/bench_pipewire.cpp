// Per-period CPU cost of a PipeWire client that copies 8 inputs to 8 outputs, three ways,
// side by side on one private PipeWire (the rig's null source and sink, 8 channels, the
// quantum pinned with clock.force-quantum) per period size:
//
//   foldback   a Foldback host (foldback::Driver, FloatHandler) through the PipeWire driver
//   raw        a plain pw_filter client (raw_client.c: DSP ports, memcpy per port)
//   jack       a Foldback host through the JACK driver over pipewire-jack
//
// All three are linked the same way: rig-source's 8 channels -> the inputs, the outputs ->
// rig-sink. Each client runs in a process of its own (this program, re-executed with
// --child), so CLOCK_PROCESS_CPUTIME_ID is its whole cost: the callback, PipeWire's data
// thread and loop thread, the library around them and the driver. A run streams for
// --seconds after a 0.5 s warm-up; the child samples (process CPU, callbacks) every 250 ms.
// Per run: CPU ns / period over the whole run. Reported per client: the median of the runs
// and the p99 of the 250 ms windows of all runs; ratios of the medians and the median of the
// per-run ratios. The clients take
// turns within each run (the order rotates), so drift in the machine's load is shared.
// The measuring, the runs' bookkeeping and the table are bench/common/period_bench.*,
// shared with bench_jack.
//
//   bench_pipewire [--runs 7] [--seconds 3] [--periods 64,256] [--clients foldback,raw,jack]
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "period_bench.hpp"
#include "raw_client.h"

#ifndef FOLDBACK_BENCH_PW_DRIVER
#error "FOLDBACK_BENCH_PW_DRIVER must name the PipeWire driver module"
#endif
#ifndef FOLDBACK_BENCH_RIGS_DIR
#error "FOLDBACK_BENCH_RIGS_DIR must name the shared rigs folder"
#endif

namespace {

using namespace foldback::bench;

constexpr const char* kPipeWireJack = "/usr/lib/x86_64-linux-gnu/pipewire-0.3/jack/libjack.so.0";

// ---- the clients (child side) ------------------------------------------------------------

struct RawClient final : Client {
    bool opened = false;
    std::string open(long) override {
        char err[256] = {};
        if (bench_raw_open("bench-raw", kChannels, err, sizeof err) != 0) return err;
        opened = true;
        // The same links the drivers make.
        std::string cmd;
        for (int c = 0; c < kChannels; ++c) {
            const std::string n = std::to_string(c + 1), aux = "AUX" + std::to_string(c);
            cmd += "pw-link rig-source:capture_" + aux + " bench-raw:in_" + n + "; ";
            cmd += "pw-link bench-raw:out_" + n + " rig-sink:playback_" + aux + "; ";
        }
        run("(" + cmd + ") >/dev/null 2>&1");
        return "";
    }
    long long callbacks() const override { return bench_raw_callbacks(); }
    ~RawClient() override {
        if (opened) bench_raw_close();
    }
};

int child(const std::string& kind, double seconds) {
    std::unique_ptr<Client> c;
    if (kind == "raw")
        c = std::make_unique<RawClient>();
    else if (kind == "foldback")
        c = std::make_unique<FoldbackClient>("bench-pipewire");
    else if (kind == "jack")
        c = std::make_unique<FoldbackClient>("bench-pw-jack");
    else
        return 2;
    return measureChild(std::move(c), 0, seconds, 0, false);
}

}  // namespace
int main(int argc, char** argv) {
    int runs = 7;
    double seconds = 3;
    std::vector<std::string> periods{"64", "256"}, clients{"foldback", "raw"};
#ifdef FOLDBACK_BENCH_JACK_DRIVER
    clients.push_back("jack");
#endif
    std::string childKind;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
        if (a == "--runs")
            runs = std::max(1, std::atoi(next().c_str()));
        else if (a == "--seconds")
            seconds = std::max(0.5, std::atof(next().c_str()));
        else if (a == "--periods")
            periods = split(next());
        else if (a == "--clients")
            clients = split(next());
        else if (a == "--child")
            childKind = next();
        else {
            std::fprintf(stderr,
                         "usage: %s [--runs N] [--seconds S] [--periods 64,256] [--clients "
                         "foldback,raw,jack]\n",
                         argv[0]);
            return 2;
        }
    }
    if (!childKind.empty()) return child(childKind, seconds);

    namespace fs = std::filesystem;
    const char* rigsEnv = std::getenv("FOLDBACK_RIGS_DIR");
    const std::string rigs = rigsEnv && *rigsEnv ? rigsEnv : FOLDBACK_BENCH_RIGS_DIR;
    std::string tmpl = (fs::temp_directory_path() / "foldback-bench-pw-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) return 1;
    const fs::path rigDir = fs::path(tmpl) / "rig";
    // The Foldback instances, in a private registry.
    const fs::path reg = fs::path(tmpl) / "drivers";
    addInstance(reg, "bench-pipewire", FOLDBACK_BENCH_PW_DRIVER,
                "[pipewire]\ninputs = 8\noutputs = 8\n");
#ifdef FOLDBACK_BENCH_JACK_DRIVER
    std::string connect;
    for (int c = 0; c < kChannels; ++c) {
        const std::string n = std::to_string(c + 1), aux = "AUX" + std::to_string(c);
        connect += "[\"Rig null source:capture_" + aux + "\", \"in_" + n + "\"], ";
        connect += "[\"out_" + n + "\", \"Rig null sink:playback_" + aux + "\"], ";
    }
    addInstance(reg, "bench-pw-jack", FOLDBACK_BENCH_JACK_DRIVER,
                std::string("[jack]\ninputs = 8\noutputs = 8\nauto_connect = false\nlibrary = \"") +
                    kPipeWireJack + "\"\nconnect = [" + connect + "]\n");
#endif
    setenv("FOLDBACK_DRIVER_PATH", reg.c_str(), 1);
    setenv("XDG_CONFIG_HOME", (fs::path(tmpl) / "xdg").c_str(), 1);
    setenv("JACK_NO_START_SERVER", "1", 1);

    std::printf(
        "bench_pipewire: %d runs x %.1f s per client, 8 in / 8 out copy, PipeWire null "
        "source/sink, 48 kHz\n",
        runs, seconds);
    std::printf(
        "CPU per period = process CPU time (all threads) / periods; median of runs, p99 of %.0f ms "
        "windows\n\n",
        kWindow * 1000);
    bool ok = true;
    for (const auto& period : periods) {
        int status = 0;
        const std::string up =
            run("PW_RIG_DIR='" + rigDir.string() + "' PW_RIG_QUANTUM=" + period +
                    " PW_RIG_FORCE=1 PW_RIG_CHANNELS=8 bash '" + rigs + "/pipewire-up.sh' 2>&1",
                &status);
        const auto at = up.find("PIPEWIRE_RUNTIME_DIR=");
        if (status != 0 || at == std::string::npos) {
            std::fprintf(stderr, "pipewire-up.sh failed:\n%s\n", up.c_str());
            return 1;
        }
        const auto end = up.find_first_of(" \n", at);
        setenv("PIPEWIRE_RUNTIME_DIR", up.substr(at + 21, end - at - 21).c_str(), 1);
        Runs results;
        for (int r = 0; r < runs; ++r) {
            for (std::size_t k = 0; k < clients.size(); ++k) {
                const std::string& kind =
                    clients[(k + static_cast<std::size_t>(r)) % clients.size()];
                results.add(r, kind,
                            run("'" + std::string(argv[0]) + "' --child " + kind + " --seconds " +
                                std::to_string(seconds) + " 2>/dev/null"),
                            false);
            }
        }
        run("PW_RIG_DIR='" + rigDir.string() + "' bash '" + rigs +
            "/pipewire-down.sh' >/dev/null 2>&1");

        ok &= results.print(period, clients);
        const double fb = results.median("foldback");
        if (!std::isnan(fb) && results.has("raw")) {
            const double vsRaw = fb / results.median("raw");
            std::printf("  target: Foldback/raw %.3f (<= 1.10: %s)", vsRaw,
                        vsRaw <= 1.10 ? "yes" : "NO");
            if (results.has("jack"))
                std::printf(", Foldback/JACK-over-pipewire-jack %.3f", fb / results.median("jack"));
            std::printf("\n\n");
            ok &= vsRaw <= 1.10;
        }
    }
    std::error_code ec;
    fs::remove_all(tmpl, ec);
    return ok ? 0 : 1;
}
