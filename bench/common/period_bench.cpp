#include "period_bench.hpp"

#include <sys/wait.h>
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace foldback::bench {

std::atomic<long long> gCallbacks{0};

namespace {

std::int64_t clockNs(clockid_t id) {
    timespec ts{};
    clock_gettime(id, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Per-thread CPU (ns on CPU, /proc/self/task/*/schedstat) by "tid:name".
std::map<std::string, std::int64_t> threadCpu() {
    std::map<std::string, std::int64_t> out;
    namespace fs = std::filesystem;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/proc/self/task", ec)) {
        std::ifstream stat(e.path() / "schedstat"), comm(e.path() / "comm");
        std::int64_t ns = 0;
        std::string name;
        stat >> ns;
        std::getline(comm, name);
        out[e.path().filename().string() + ":" + name] = ns;
    }
    return out;
}

}  // namespace

std::int64_t cpuNs() {
    return clockNs(CLOCK_PROCESS_CPUTIME_ID);
}

std::int64_t monoNs() {
    return clockNs(CLOCK_MONOTONIC);
}

void sleepSeconds(double s) {
    timespec ts{static_cast<time_t>(s), static_cast<long>((s - std::floor(s)) * 1e9)};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

void sleepUntil(std::int64_t ns) {
    timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) != 0) {
    }
}

std::string run(const std::string& cmd, int* status) {
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

std::pair<double, double> medianInterval(std::vector<double> v) {
    // [x(j), x(n+1-j)] (ranks from 1) holds the median with probability 1 - 2 P(B < j),
    // B ~ binomial(n, 1/2): j is the largest rank that keeps that at 95 % or more.
    const std::size_t n = v.size();
    // log P(B = k), so that no term underflows however many runs there are.
    double logPmf = static_cast<double>(n) * std::log(0.5), below = 0;  // below: P(B < k)
    std::size_t j = 0;
    for (std::size_t k = 0; k < n / 2; ++k) {
        below += std::exp(logPmf);  // now P(B <= k) = P(B < k + 1)
        if (below > 0.025) break;
        j = k + 1;
        logPmf += std::log(static_cast<double>(n - k)) - std::log(static_cast<double>(k + 1));
    }
    if (j == 0) return {NAN, NAN};  // n < 6: no 95 % interval
    std::sort(v.begin(), v.end());
    return {v[j - 1], v[n - j]};
}

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
                 const std::string& driverPath, const std::string& configToml) {
    const auto dir = root / name;
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "driver") << driverPath << "\n";
    std::ofstream(dir / "description") << "bench\n";
    std::ofstream(dir / "config.toml") << configToml;
}

// ---- the Foldback client ------------------------------------------------------------------

FoldbackClient::~FoldbackClient() {
    stream.reset();
    driver.reset();
}

[[gnu::hot]] void FoldbackClient::processFloat(const Block& b) {
    for (std::size_t c = 0; c < b.out.size(); ++c)
        std::memcpy(b.out[c], b.in[c], static_cast<std::size_t>(b.frames) * sizeof(float));
    gCallbacks.fetch_add(1, std::memory_order_relaxed);
}

std::string FoldbackClient::open(long) {
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

// ---- the child ----------------------------------------------------------------------------

int measureChild(std::unique_ptr<Client> c, long period, double seconds, std::int64_t startAt,
                 bool threads) {
    const std::string err = c->open(period);
    if (!err.empty()) {
        std::printf("ERROR %s\n", err.c_str());
        return 3;
    }
    if (startAt > 0)
        sleepUntil(startAt);
    else
        sleepSeconds(kWarmup);
    const std::int64_t t0 = monoNs();
    const auto threads0 = threads ? threadCpu() : std::map<std::string, std::int64_t>{};
    const std::int64_t cpu0 = cpuNs();
    const long long cb0 = c->callbacks();
    std::int64_t cpuPrev = cpu0;
    long long cbPrev = cb0;
    std::string windows;
    const int n = static_cast<int>(std::lround(seconds / kWindow));
    for (int i = 0; i < n; ++i) {
        sleepUntil(t0 + static_cast<std::int64_t>((i + 1) * kWindow * 1e9));
        const std::int64_t cpu = cpuNs();
        const long long cb = c->callbacks();
        if (cb > cbPrev)
            windows += " " + std::to_string(static_cast<double>(cpu - cpuPrev) /
                                            static_cast<double>(cb - cbPrev));
        cpuPrev = cpu;
        cbPrev = cb;
    }
    const long long periods = std::max(1LL, cbPrev - cb0);
    std::printf("RESULT %.1f %lld\nWINDOWS%s\n",
                static_cast<double>(cpuPrev - cpu0) / static_cast<double>(periods), cbPrev - cb0,
                windows.c_str());
    if (threads)
        for (const auto& [name, ns] : threadCpu())
            if (threads0.count(name))
                std::printf(
                    "THREAD %-28s %9.1f ns/period\n", name.c_str(),
                    static_cast<double>(ns - threads0.at(name)) / static_cast<double>(periods));
    std::fflush(stdout);
    c.reset();
    return 0;
}

// ---- the parent ---------------------------------------------------------------------------

void Runs::add(int run, const std::string& kind, const std::string& out, bool echoThreads) {
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
            perRun_[kind].push_back(v);
            byRun_[kind][run] = v;
            got = true;
            if (echoThreads) std::printf("  run %d %-10s %.0f ns/period\n", run, kind.c_str(), v);
        } else if (tag == "THREAD" && echoThreads) {
            std::printf("      %s\n", line.c_str());
        } else if (tag == "WINDOWS") {
            for (double v; ls >> v;) windows_[kind].push_back(v);
        } else if (tag == "ERROR") {
            errors_[kind] = line.substr(6);
        }
    }
    if (!got && errors_[kind].empty()) errors_[kind] = "no result";
}

bool Runs::has(const std::string& kind) const {
    const auto it = perRun_.find(kind);
    return it != perRun_.end() && !it->second.empty();
}

double Runs::median(const std::string& kind) const {
    return has(kind) ? percentile(perRun_.at(kind), 0.5) : NAN;
}

Runs::Ratio Runs::ratio(const std::string& a, const std::string& b) const {
    std::vector<double> paired;
    const auto fa = byRun_.find(a), fb = byRun_.find(b);
    if (fa != byRun_.end() && fb != byRun_.end())
        for (const auto& [run, v] : fb->second)
            if (const auto it = fa->second.find(run); it != fa->second.end())
                paired.push_back(it->second / v);
    const auto [lo, hi] = medianInterval(paired);
    return {percentile(paired, 0.5), lo, hi};
}

bool Runs::print(const std::string& period, const std::vector<std::string>& clients) const {
    std::printf("period %s frames (%.3f ms)\n", period.c_str(), std::atof(period.c_str()) / 48.0);
    std::printf("  %-10s %14s %14s %6s   %-24s %s\n", "client", "median ns/per", "p99 ns/per",
                "runs", "Foldback / this (medians)",
                "median of per-run ratios [its 95 % interval]");
    const double fb = median("foldback");
    bool ok = true;
    for (const auto& kind : clients) {
        if (!has(kind)) {
            const auto e = errors_.find(kind);
            std::printf("  %-10s unavailable: %s\n", kind.c_str(),
                        e != errors_.end() ? e->second.c_str() : "no result");
            ok = false;
            continue;
        }
        const double med = median(kind);
        const auto w = windows_.find(kind);
        const double p99 = w != windows_.end() ? percentile(w->second, 0.99) : NAN;
        const Ratio r = ratio("foldback", kind);
        std::printf("  %-10s %14.0f %14.0f %6zu   %-24.3f %.3f", kind.c_str(), med, p99,
                    perRun_.at(kind).size(), fb / med, r.median);
        if (kind != "foldback" && !std::isnan(r.lo)) std::printf(" [%.3f, %.3f]", r.lo, r.hi);
        std::printf("\n");
    }
    return ok;
}

}  // namespace foldback::bench
