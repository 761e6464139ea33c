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
// and the p99 of the 250 ms windows of all runs; ratios are of medians. The clients take
// turns within each run (the order rotates), so drift in the machine's load is shared.
//
//   bench_pipewire [--runs 7] [--seconds 3] [--periods 64,256] [--clients foldback,raw,jack]
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "foldback/host.hpp"
#include "raw_client.h"

#ifndef FOLDBACK_BENCH_PW_DRIVER
#error "FOLDBACK_BENCH_PW_DRIVER must name the PipeWire driver module"
#endif
#ifndef FOLDBACK_BENCH_RIGS_DIR
#error "FOLDBACK_BENCH_RIGS_DIR must name the shared rigs folder"
#endif

namespace {

constexpr int kChannels = 8;
constexpr double kWarmup = 0.5;
constexpr double kWindow = 0.25;
constexpr const char* kPipeWireJack = "/usr/lib/x86_64-linux-gnu/pipewire-0.3/jack/libjack.so.0";

std::int64_t cpuNs() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void sleepSeconds(double s) {
    timespec ts{static_cast<time_t>(s), static_cast<long>((s - std::floor(s)) * 1e9)};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

std::string run(const std::string& cmd, int* status = nullptr) {
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return out;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    const int st = pclose(p);
    if (status) *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return out;
}

// ---- the clients (child side) ------------------------------------------------------------

std::atomic<long long> gCallbacks{0};

struct Client {
    virtual ~Client() = default;
    virtual std::string open() = 0;  // "" or an error
    virtual long long callbacks() const { return gCallbacks.load(std::memory_order_relaxed); }
};

struct RawClient final : Client {
    bool opened = false;
    std::string open() override {
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

// A Foldback host (instance `name` of the private registry).
struct FoldbackClient final : Client, foldback::FloatHandler {
    explicit FoldbackClient(std::string n) : name(std::move(n)) {}
    std::string name;
    std::unique_ptr<foldback::Driver> driver;
    std::unique_ptr<foldback::Stream> stream;
    void processFloat(const Block& b) override {
        for (std::size_t c = 0; c < b.out.size(); ++c)
            std::memcpy(b.out[c], b.in[c], static_cast<std::size_t>(b.frames) * sizeof(float));
        gCallbacks.fetch_add(1, std::memory_order_relaxed);
    }
    std::string open() override {
        try {
            driver = std::make_unique<foldback::Driver>(foldback::Driver::load(name));
            foldback::Request r;
            for (long c = 0; c < kChannels; ++c) {
                r.inputs.push_back(c);
                r.outputs.push_back(c);
            }
            stream = std::make_unique<foldback::Stream>(driver->open(r, *this));
            stream->start();
        } catch (const std::exception& e) {
            return e.what();
        }
        return "";
    }
    ~FoldbackClient() override {
        stream.reset();
        driver.reset();
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
    const std::string err = c->open();
    if (!err.empty()) {
        std::printf("ERROR %s\n", err.c_str());
        return 3;
    }
    sleepSeconds(kWarmup);
    const std::int64_t cpu0 = cpuNs();
    const long long cb0 = c->callbacks();
    std::int64_t cpuPrev = cpu0;
    long long cbPrev = cb0;
    std::string windows;
    const int n = static_cast<int>(std::lround(seconds / kWindow));
    for (int i = 0; i < n; ++i) {
        sleepSeconds(kWindow);
        const std::int64_t cpu = cpuNs();
        const long long cb = c->callbacks();
        if (cb > cbPrev)
            windows += " " + std::to_string(static_cast<double>(cpu - cpuPrev) /
                                            static_cast<double>(cb - cbPrev));
        cpuPrev = cpu;
        cbPrev = cb;
    }
    const double perPeriod =
        static_cast<double>(cpuPrev - cpu0) / static_cast<double>(std::max(1LL, cbPrev - cb0));
    std::printf("RESULT %.1f %lld\nWINDOWS%s\n", perPeriod, cbPrev - cb0, windows.c_str());
    std::fflush(stdout);
    c.reset();
    return 0;
}

// ---- the parent: the daemon, turns, statistics ---------------------------------------------

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return NAN;
    std::sort(v.begin(), v.end());
    const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(v.size())));
    return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    for (std::string item; std::getline(ss, item, ',');)
        if (!item.empty()) out.push_back(item);
    return out;
}

void addInstance(const std::filesystem::path& root, const std::string& name,
                 const std::string& driver, const std::string& config) {
    const auto dir = root / name;
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "driver") << driver << "\n";
    std::ofstream(dir / "description") << "bench\n";
    std::ofstream(dir / "config.toml") << config;
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
        std::map<std::string, std::vector<double>> perRun, windows;
        std::map<std::string, std::string> errors;
        for (int r = 0; r < runs; ++r) {
            for (std::size_t k = 0; k < clients.size(); ++k) {
                const std::string& kind =
                    clients[(k + static_cast<std::size_t>(r)) % clients.size()];
                const std::string out =
                    run("'" + std::string(argv[0]) + "' --child " + kind + " --seconds " +
                        std::to_string(seconds) + " 2>/dev/null");
                std::istringstream in(out);
                std::string line;
                bool got = false;
                while (std::getline(in, line)) {
                    std::istringstream ls(line);
                    std::string tag;
                    ls >> tag;
                    if (tag == "RESULT") {
                        double v = 0;
                        ls >> v;
                        perRun[kind].push_back(v);
                        got = true;
                    } else if (tag == "WINDOWS") {
                        for (double v; ls >> v;) windows[kind].push_back(v);
                    } else if (tag == "ERROR") {
                        errors[kind] = line.substr(6);
                    }
                }
                if (!got && errors[kind].empty()) errors[kind] = "no result";
            }
        }
        run("PW_RIG_DIR='" + rigDir.string() + "' bash '" + rigs +
            "/pipewire-down.sh' >/dev/null 2>&1");

        std::printf("period %s frames (%.3f ms)\n", period.c_str(),
                    std::atof(period.c_str()) / 48.0);
        std::printf("  %-10s %14s %14s %8s   %s\n", "client", "median ns/per", "p99 ns/per", "runs",
                    "Foldback / this");
        const double fb = perRun.count("foldback") ? percentile(perRun["foldback"], 0.5) : NAN;
        for (const auto& kind : clients) {
            if (perRun[kind].empty()) {
                std::printf("  %-10s unavailable: %s\n", kind.c_str(), errors[kind].c_str());
                ok = false;
                continue;
            }
            const double med = percentile(perRun[kind], 0.5);
            const double p99 = percentile(windows[kind], 0.99);
            std::printf("  %-10s %14.0f %14.0f %8zu   %.3f\n", kind.c_str(), med, p99,
                        perRun[kind].size(), fb / med);
        }
        if (!std::isnan(fb) && !perRun["raw"].empty()) {
            const double vsRaw = fb / percentile(perRun["raw"], 0.5);
            std::printf("  target: Foldback/raw %.3f (<= 1.10: %s)", vsRaw,
                        vsRaw <= 1.10 ? "yes" : "NO");
            if (!perRun["jack"].empty())
                std::printf(", Foldback/JACK-over-pipewire-jack %.3f",
                            fb / percentile(perRun["jack"], 0.5));
            std::printf("\n\n");
            ok &= vsRaw <= 1.10;
        }
    }
    std::error_code ec;
    fs::remove_all(tmpl, ec);
    return ok ? 0 : 1;
}
