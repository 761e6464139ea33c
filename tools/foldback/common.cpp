#include "common.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <time.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <sstream>

namespace foldback::cli {

void error(const std::string& message) {
    std::cerr << "foldback: " << message << "\n";
}
void warning(const std::string& message) {
    std::cerr << "foldback: warning: " << message << "\n";
}

void printJson(const toml::table& t) {
    std::cout << toml::json_formatter{t} << "\n";
}

std::string jsonText(const toml::table& t) {
    std::ostringstream s;
    s << toml::json_formatter{t} << "\n";
    return s.str();
}

// ---- channel lists -------------------------------------------------------------------------

std::vector<long> parseChannels(const std::string& text, const std::string& what, long count,
                                const std::string& kind) {
    auto bad = [&](const std::string& why) {
        error(fmt::format(
            "{} {}: {}; write channels from 1 as on the interface, e.g. {} 1-2 or {} 1,3,5-8", what,
            text, why, what, what));
        throw kUsage;
    };
    std::vector<long> out;
    std::stringstream parts(text);
    std::string part;
    while (std::getline(parts, part, ',')) {
        if (part.empty()) bad("an empty item");
        long a = 0, b = 0;
        char* end = nullptr;
        a = std::strtol(part.c_str(), &end, 10);
        if (end == part.c_str()) bad(fmt::format("'{}' is not a channel number", part));
        if (*end == '-') {
            const char* second = end + 1;
            b = std::strtol(second, &end, 10);
            if (end == second || *end) bad(fmt::format("'{}' is not a range like 1-4", part));
        } else if (*end) {
            bad(fmt::format("'{}' is not a channel number", part));
        } else {
            b = a;
        }
        if (a < 1 || b < 1) bad("channels are numbered from 1");
        if (b < a) bad(fmt::format("the range {} runs backwards", part));
        for (long c = a; c <= b; ++c) {
            if (count > 0 && c > count)
                bad(fmt::format("{} {} does not exist; there are {} (1-{})", kind, c, count,
                                count));
            if (std::find(out.begin(), out.end(), c - 1) != out.end())
                bad(fmt::format("{} {} is listed twice", kind, c));
            out.push_back(c - 1);
            if (out.size() > 4096) bad("too many channels");
        }
    }
    if (out.empty()) bad("no channels");
    return out;
}

std::string formatChannels(const std::vector<long>& ch) {
    std::string s;
    std::size_t i = 0;
    while (i < ch.size()) {
        std::size_t j = i;
        while (j + 1 < ch.size() && ch[j + 1] == ch[j] + 1) ++j;
        if (!s.empty()) s += ",";
        if (j == i)
            s += fmt::format("{}", ch[i] + 1);
        else
            s += fmt::format("{}-{}", ch[i] + 1, ch[j] + 1);
        i = j + 1;
    }
    return s;
}

// ---- driver helpers ------------------------------------------------------------------------

Driver loadDriver(const std::string& name) {
    try {
        return Driver::load(name);
    } catch (const std::exception& e) {
        error(fmt::format("{} (`foldback list` shows the instances and why one cannot be used)",
                          e.what()));
        throw kDriverError;
    }
}

void applyRate(Driver& driver, double rate) {
    if (rate <= 0) return;
    try {
        if (driver.sampleRate() == rate) return;
        if (!driver.canSampleRate(rate)) {
            const double probe[] = {44100, 48000, 88200, 96000, 176400, 192000};
            std::string list;
            for (double r : driver.supportedRates(probe))
                list += fmt::format("{}{:g}", list.empty() ? "" : ", ", r);
            error(fmt::format("{} cannot run at {:g} Hz; it supports {} (see `foldback info {}`)",
                              driver.instanceName(), rate,
                              list.empty() ? "none of the usual rates" : list,
                              driver.instanceName()));
            throw kUsage;
        }
        driver.setSampleRate(rate);
    } catch (const HostError& e) {
        error(e.what());
        throw kDriverError;
    }
}

long chooseBufferSize(const Driver& driver, long requested) {
    const BufferSizes sizes = driver.bufferSizes();
    if (requested <= 0) return sizes.preferred;
    if (!sizes.accepts(requested)) {
        std::string list;
        const auto allowed = sizes.allowed(8192);
        for (std::size_t i = 0; i < allowed.size() && i < 12; ++i)
            list += fmt::format("{}{}", i ? ", " : "", allowed[i]);
        if (allowed.size() > 12) list += ", ...";
        error(fmt::format(
            "--buffer-size {}: {} accepts min {} max {} granularity {} ({}); pick one of those",
            requested, driver.instanceName(), sizes.min, sizes.max, sizes.granularity, list));
        throw kUsage;
    }
    return requested;
}

Stream openStream(Driver& driver, const Request& request, Handler& handler) {
    try {
        return driver.open(request, handler);
    } catch (const std::exception& e) {
        error(e.what());
        throw kDriverError;
    }
}

// ---- signals and time ----------------------------------------------------------------------

namespace {
std::atomic<bool> gStop{false};
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void onStopSignal(int sig) {
    if (gStop.load(std::memory_order_relaxed)) {
        // A second Ctrl-C: the user really wants out.
        ::signal(sig, SIG_DFL);
        ::raise(sig);
        return;
    }
    gStop.store(true, std::memory_order_relaxed);
}
}  // namespace

void installStopSignals() {
    struct sigaction sa {};
    sa.sa_handler = &onStopSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

bool stopRequested() noexcept {
    return gStop.load(std::memory_order_relaxed);
}

std::int64_t nowNs() noexcept {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void sleepMs(double ms) {
    if (ms <= 0) return;
    const std::int64_t until = nowNs() + static_cast<std::int64_t>(ms * 1e6);
    struct timespec ts {
        static_cast<time_t>(until / 1'000'000'000), static_cast<long>(until % 1'000'000'000)
    };
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) != 0) {
        if (stopRequested()) return;
    }
}

// ---- status line ---------------------------------------------------------------------------

StatusLine::StatusLine(bool enabled) : enabled_(enabled && ::isatty(STDERR_FILENO)) {}
StatusLine::~StatusLine() {
    clear();
}

void StatusLine::show(const std::string& text) {
    if (!enabled_) return;
    std::cerr << "\r" << text << "\x1b[K" << std::flush;
    shown_ = true;
}

void StatusLine::clear() {
    if (!enabled_ || !shown_) return;
    std::cerr << "\r\x1b[K" << std::flush;
    shown_ = false;
}

double toDb(double linear) noexcept {
    return linear > 0 ? 20.0 * std::log10(linear) : -INFINITY;
}

std::string dbText(double linear) {
    if (linear <= 1e-10) return "-inf dB";
    return fmt::format("{:.1f} dB", toDb(linear));
}

std::string clockText(double seconds) {
    if (seconds < 0) seconds = 0;
    const long tenths = std::lround(seconds * 10);
    return fmt::format("{:02}:{:02}.{}", tenths / 600, (tenths / 10) % 60, tenths % 10);
}

// ---- meters --------------------------------------------------------------------------------

void Meters::resize(std::size_t channels, double rate) {
    peaks_ = std::make_unique<Slot[]>(channels);
    count_ = channels;
    rate_ = rate;
}

void Meters::feed(std::size_t c, const float* x, long frames) noexcept {
    if (c >= count_) return;
    float p = 0;
    for (long i = 0; i < frames; ++i) p = std::max(p, std::fabs(x[i]));
    Slot& s = peaks_[c];
    // 20 dB/s fall-off: a factor of 10 per second.
    const float decay = static_cast<float>(std::pow(10.0, -static_cast<double>(frames) / rate_));
    const float held = s.peak.load(std::memory_order_relaxed) * decay;
    s.peak.store(std::max(held, p), std::memory_order_relaxed);
    if (p > s.max.load(std::memory_order_relaxed)) s.max.store(p, std::memory_order_relaxed);
    if (p >= 1.0f) s.clip.store(true, std::memory_order_relaxed);
}

double Meters::peak(std::size_t c) const noexcept {
    return c < count_ ? peaks_[c].peak.load(std::memory_order_relaxed) : 0.0;
}
bool Meters::clipped(std::size_t c) const noexcept {
    return c < count_ && peaks_[c].clip.load(std::memory_order_relaxed);
}
double Meters::maxPeak() const noexcept {
    double m = 0;
    for (std::size_t c = 0; c < count_; ++c)
        m = std::max<double>(m, peaks_[c].max.load(std::memory_order_relaxed));
    return m;
}

std::string Meters::bars(const std::vector<long>& numbers) const {
    static const char* const kLevels[] = {" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
    std::string s;
    for (std::size_t c = 0; c < count_; ++c) {
        const double db = toDb(peak(c));
        // -60 dB .. 0 dB over 8 steps
        int level = std::isfinite(db) ? static_cast<int>(std::ceil((db + 60.0) / 60.0 * 8.0)) : 0;
        level = std::clamp(level, 0, 8);
        const long n = c < numbers.size() ? numbers[c] + 1 : static_cast<long>(c) + 1;
        if (!s.empty()) s += " ";
        if (count_ <= 4)
            s += fmt::format("{}{}{:>6}", n, kLevels[level],
                             std::isfinite(db) ? fmt::format("{:.1f}", db) : std::string("-inf"));
        else
            s += fmt::format("{}{}", n, kLevels[level]);
        if (clipped(c)) s += "!";
    }
    return s;
}

}  // namespace foldback::cli
