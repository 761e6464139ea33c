#include "support.hpp"

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "support/registry.hpp"

namespace fs = std::filesystem;

// ASan and UBSan end a process through their own exit path (no atexit, no signal): the
// engines are stopped from there too.
extern "C" void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

namespace foldback::alsatest {

namespace {

std::mutex gMutex;
std::string gJackName;
long gJackPeriod = 0;
std::string gPwDir;
bool gPwUp = false;
bool gCleanupInstalled = false;

std::string rigs() {
    return FOLDBACK_ALSATEST_RIGS_DIR;
}

// "export A=1 B=2" lines -> setenv.
void exportLines(const std::string& text) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream words(line);
        std::string w;
        words >> w;
        if (w != "export") continue;
        while (words >> w) {
            const auto eq = w.find('=');
            if (eq != std::string::npos)
                setenv(w.substr(0, eq).c_str(), w.substr(eq + 1).c_str(), 1);
        }
    }
}

void cleanup() {
    // Both scripts stop exactly what they started, found by PID file.
    if (!gJackName.empty()) {
        const std::string cmd =
            "bash '" + rigs() + "/jack-down.sh' '" + gJackName + "' >/dev/null 2>&1";
        if (std::system(cmd.c_str()) != 0) {
        }
        gJackName.clear();
    }
    if (!gPwDir.empty()) {
        const std::string cmd =
            "PW_RIG_DIR='" + gPwDir + "' bash '" + rigs() + "/pipewire-down.sh' >/dev/null 2>&1";
        if (std::system(cmd.c_str()) != 0) {
        }
        std::error_code ec;
        fs::remove_all(gPwDir, ec);
        gPwDir.clear();
    }
}

void onFatal(int sig) {
    cleanup();
    signal(sig, SIG_DFL);
    raise(sig);
}

void installCleanup() {
    if (gCleanupInstalled) return;
    gCleanupInstalled = true;
    std::atexit(&cleanup);
    if (&__sanitizer_set_death_callback) __sanitizer_set_death_callback(&cleanup);
    for (int s : {SIGINT, SIGTERM, SIGABRT, SIGSEGV, SIGBUS, SIGFPE}) signal(s, &onFatal);
}

// The private registry root; removed when the process ends.
struct Sandbox {
    std::string dir;
    Sandbox() {
        std::string tmpl = (fs::temp_directory_path() / "foldback-alsatest-XXXXXX").string();
        dir = mkdtemp(tmpl.data());
        setenv("FOLDBACK_DRIVER_PATH", dir.c_str(), 1);
    }
    ~Sandbox() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
};

const std::string& sandbox() {
    static const Sandbox s;
    return s.dir;
}

FoldbackInstantiateFn entry() {
    static FoldbackInstantiateFn fn = testsupport::openFactory(FOLDBACK_ALSATEST_DRIVER);
    return fn;
}

Host* gHost = nullptr;

void tsBufferSwitch(long index, ASIOBool) {
    if (gHost) gHost->onSwitch(index, -1);
}
ASIOTime* tsBufferSwitchTimeInfo(ASIOTime* t, long index, ASIOBool) {
    if (gHost) gHost->onSwitch(index, t ? t->timeInfo.samplePosition : -1);
    return t;
}
void tsRate(ASIOSampleRate) {}
long tsMessage(long selector, long value, void*, double*) {
    return gHost ? gHost->onMessage(selector, value) : 0;
}

}  // namespace

bool jackAvailable() {
    std::error_code ec;
    int st = 1;
    run("command -v jackd >/dev/null 2>&1", &st);
    return st == 0 && fs::exists(rigs() + "/jack-up.sh", ec) &&
           (fs::exists("/usr/lib/x86_64-linux-gnu/alsa-lib/libasound_module_pcm_jack.so", ec) ||
            fs::exists("/usr/lib/alsa-lib/libasound_module_pcm_jack.so", ec));
}

bool startJack(long period) {
    std::lock_guard<std::mutex> lock(gMutex);
    installCleanup();
    if (gJackName.empty()) gJackName = "fbalsa-" + std::to_string(getpid());
    if (gJackPeriod == period) return true;  // already up in this process
    if (gJackPeriod > 0) run("bash '" + rigs() + "/jack-down.sh' '" + gJackName + "' 2>/dev/null");
    gJackPeriod = 0;
    setenv("JACK_NO_START_SERVER", "1", 1);
    int st = 0;
    const std::string out = run("JACK_RIG_PERIOD=" + std::to_string(period) + " bash '" + rigs() +
                                    "/jack-up.sh' '" + gJackName + "' 2>/dev/null",
                                &st);
    exportLines(out);
    const bool ok =
        st == 0 && getenv("JACK_DEFAULT_SERVER") && gJackName == getenv("JACK_DEFAULT_SERVER");
    if (ok) gJackPeriod = period;
    return ok;
}

void stopJack() {
    std::lock_guard<std::mutex> lock(gMutex);
    if (gJackName.empty()) return;
    run("bash '" + rigs() + "/jack-down.sh' '" + gJackName + "' 2>/dev/null");
    gJackPeriod = 0;
}

bool startPipeWire() {
    std::lock_guard<std::mutex> lock(gMutex);
    installCleanup();
    if (gPwDir.empty())
        gPwDir = (fs::temp_directory_path() / ("foldback-alsatest-pw-" + std::to_string(getpid())))
                     .string();
    if (gPwUp) return true;
    int st = 0;
    const std::string out =
        run("PW_RIG_DIR='" + gPwDir + "' bash '" + rigs() + "/pipewire-up.sh' 2>/dev/null", &st);
    exportLines(out);
    gPwUp = st == 0 && getenv("PIPEWIRE_RUNTIME_DIR");
    return gPwUp;
}

void stopPipeWire() {
    std::lock_guard<std::mutex> lock(gMutex);
    if (gPwDir.empty()) return;
    run("PW_RIG_DIR='" + gPwDir + "' bash '" + rigs() + "/pipewire-down.sh' 2>/dev/null");
    gPwUp = false;
}

bool pipewirePluginAvailable() {
    std::error_code ec;
    int st = 1;
    run("command -v pipewire >/dev/null 2>&1 && command -v wireplumber >/dev/null 2>&1", &st);
    if (st != 0 || !fs::exists(rigs() + "/pipewire-up.sh", ec)) return false;
    return fs::exists(FOLDBACK_ALSATEST_PW_PLUGIN, ec) ||
           fs::exists("/usr/lib/x86_64-linux-gnu/alsa-lib/libasound_module_pcm_pipewire.so", ec);
}

std::string addInstance(const std::string& name, const std::string& configToml) {
    const fs::path d = fs::path(sandbox()) / name;
    fs::create_directories(d);
    std::ofstream(d / "driver") << FOLDBACK_ALSATEST_DRIVER << "\n";
    std::ofstream(d / "description") << "ALSA driver under test\n";
    std::ofstream(d / "config.toml") << configToml;
    return name;
}

FoldbackDriver* instantiateRaw() {
    (void)sandbox();
    auto fn = entry();
    return fn ? fn() : nullptr;
}

// ---- Driver -----------------------------------------------------------------------------

Driver::Driver(const std::string& instanceName) {
    (void)sandbox();
    if (auto fn = entry()) d_ = fn();
    if (d_) v().future(d_, kFoldbackSetInstanceName, const_cast<char*>(instanceName.c_str()));
}

Driver::~Driver() {
    if (d_) v().release(d_);
}

std::string Driver::errorMessage() const {
    char text[128] = {};
    v().getErrorMessage(d_, text);
    return text;
}

FoldbackCounters Driver::counters() const {
    FoldbackCounters c{};
    v().future(d_, kFoldbackGetCounters, &c);
    return c;
}

long Driver::inputLatency() const {
    long in = -1, out = -1;
    v().getLatencies(d_, &in, &out);
    return in;
}

long Driver::outputLatency() const {
    long in = -1, out = -1;
    v().getLatencies(d_, &in, &out);
    return out;
}

// ---- Host -------------------------------------------------------------------------------

Host::Host(HostOptions options) : options_(options) {
    positions_.assign(1 << 16, -1);
    trips_.assign(1024, 0);
    tripSwitches_.assign(1024, 0);
    gHost = this;
}

Host::~Host() {
    gHost = nullptr;
}

ASIOError Host::createBuffers(const Driver& d, long size) {
    long in = 0, out = 0;
    d.v().getChannels(d.get(), &in, &out);
    long mn = 0, mx = 0, pref = 0, gran = 0;
    d.v().getBufferSize(d.get(), &mn, &mx, &pref, &gran);
    size_ = size ? size : pref;
    inputs_ = in;
    outputs_ = out;
    ASIOChannelInfo ci{};
    ci.channel = 0;
    ci.isInput = in > 0 ? ASIOTrue : ASIOFalse;
    d.v().getChannelInfo(d.get(), &ci);
    type_ = ci.type;
    std::vector<ASIOBufferInfo> infos;
    for (long c = 0; c < in; ++c) infos.push_back({ASIOTrue, c, {nullptr, nullptr}});
    for (long c = 0; c < out; ++c) infos.push_back({ASIOFalse, c, {nullptr, nullptr}});
    static ASIOCallbacks callbacks{&tsBufferSwitch, &tsRate, &tsMessage, &tsBufferSwitchTimeInfo};
    const ASIOError r = d.v().createBuffers(d.get(), infos.data(), static_cast<long>(infos.size()),
                                            size_, &callbacks);
    if (r != ASE_OK) return r;
    for (int h = 0; h < 2; ++h) {
        in_[h].clear();
        out_[h].clear();
        for (const auto& i : infos) (i.isInput ? in_[h] : out_[h]).push_back(i.buffers[h]);
    }
    return r;
}

bool Host::waitSwitches(long long n, double timeoutMs) const {
    return testsupport::waitFor([&] { return switches() >= n; }, timeoutMs);
}

std::vector<long> Host::roundTrips() const {
    const long n = std::min<long>(tripCount_.load(std::memory_order_acquire),
                                  static_cast<long>(trips_.size()));
    return {trips_.begin(), trips_.begin() + n};
}

std::vector<long long> Host::roundTripSwitches() const {
    const long n = std::min<long>(tripCount_.load(std::memory_order_acquire),
                                  static_cast<long>(trips_.size()));
    return {tripSwitches_.begin(), tripSwitches_.begin() + n};
}

std::vector<std::int64_t> Host::positions() const {
    const long long n = std::min<long long>(switches(), static_cast<long long>(positions_.size()));
    return {positions_.begin(), positions_.begin() + n};
}

double Host::read(const void* b, long f) const noexcept {
    switch (type_) {
        case ASIOSTFloat32LSB:
            return static_cast<const float*>(b)[f];
        case ASIOSTFloat64LSB:
            return static_cast<const double*>(b)[f];
        case ASIOSTInt32LSB:
            return static_cast<const std::int32_t*>(b)[f] / 2147483648.0;
        case ASIOSTInt16LSB:
            return static_cast<const std::int16_t*>(b)[f] / 32768.0;
        case ASIOSTInt24LSB: {
            const auto* p = static_cast<const unsigned char*>(b) + 3 * f;
            std::int32_t v = p[0] | (p[1] << 8) | (p[2] << 16);
            if (v & 0x800000) v -= 0x1000000;
            return v / 8388608.0;
        }
        default:
            return 0;
    }
}

void Host::write(void* b, long f, double x) const noexcept {
    switch (type_) {
        case ASIOSTFloat32LSB:
            static_cast<float*>(b)[f] = static_cast<float>(x);
            break;
        case ASIOSTFloat64LSB:
            static_cast<double*>(b)[f] = x;
            break;
        case ASIOSTInt32LSB:
            static_cast<std::int32_t*>(b)[f] = static_cast<std::int32_t>(x * 2147483647.0);
            break;
        case ASIOSTInt16LSB:
            static_cast<std::int16_t*>(b)[f] = static_cast<std::int16_t>(x * 32767.0);
            break;
        case ASIOSTInt24LSB: {
            const auto v = static_cast<std::int32_t>(x * 8388607.0);
            auto* p = static_cast<unsigned char*>(b) + 3 * f;
            p[0] = static_cast<unsigned char>(v);
            p[1] = static_cast<unsigned char>(v >> 8);
            p[2] = static_cast<unsigned char>(v >> 16);
            break;
        }
        default:
            break;
    }
}

void Host::onSwitch(long index, std::int64_t position) noexcept {
    const long long n = switches_.load(std::memory_order_relaxed);
    if (n < static_cast<long long>(positions_.size()))
        positions_[static_cast<std::size_t>(n)] = position;
    const int h = index ? 1 : 0;
    const long every = options_.impulseEvery > 0 ? options_.impulseEvery
                                                 : std::max(8L, 4800 / std::max(1L, size_));
    // An impulse crossed by a resync counts for nothing (the frames lost may have held
    // it): it is given up at once, so the next one leaves after the usual gap instead of
    // after the 2 s that mark an impulse lost (a 2 s run then measured no trip at all).
    if (pendingAt_ >= 0 && pendingEpoch_ != resyncEpoch_.load()) pendingAt_ = -1;
    // The impulse in flight: the first input sample above half its height.
    if (pendingAt_ >= 0 && options_.loopIn < inputs_) {
        const void* in = in_[h][static_cast<std::size_t>(options_.loopIn)];
        for (long f = 0; f < size_; ++f)
            if (std::fabs(read(in, f)) > 0.25) {
                const long trip = static_cast<long>(position + f - pendingAt_);
                const long k = tripCount_.load(std::memory_order_relaxed);
                if (pendingEpoch_ == resyncEpoch_.load() && trip >= 0 &&
                    k < static_cast<long>(trips_.size())) {
                    trips_[static_cast<std::size_t>(k)] = trip;
                    tripSwitches_[static_cast<std::size_t>(k)] = pendingSwitch_;
                    tripCount_.store(k + 1, std::memory_order_release);
                }
                pendingAt_ = -1;
                break;
            }
        if (pendingAt_ >= 0 && position - pendingAt_ > 96000) pendingAt_ = -1;  // lost
    }
    for (long c = 0; c < outputs_; ++c) {
        void* out = out_[h][static_cast<std::size_t>(c)];
        for (long f = 0; f < size_; ++f) write(out, f, 0.0);
    }
    if (pendingAt_ < 0 && options_.loopOut < outputs_ && n - lastEmit_ >= every) {
        const long offset = static_cast<long>((n * 7) % size_);
        write(out_[h][static_cast<std::size_t>(options_.loopOut)], offset, 0.5);
        pendingAt_ = position + offset;
        pendingEpoch_ = resyncEpoch_.load();
        pendingSwitch_ = n;
        lastEmit_ = static_cast<long>(n);
    }
    if (n == options_.stallAt) {
        const std::int64_t until = nowNs() + static_cast<std::int64_t>(options_.stallMs * 1e6);
        while (nowNs() < until) {
        }
    }
    switches_.store(n + 1, std::memory_order_release);
}

long Host::onMessage(long selector, long value) noexcept {
    if (selector > 0 && selector < kAsioNumMessageSelectors) bySelector_[selector].fetch_add(1);
    switch (selector) {
        case kAsioSelectorSupported:
            return value == kAsioEngineVersion || value == kAsioResetRequest ||
                           value == kAsioResyncRequest || value == kAsioLatenciesChanged ||
                           value == kAsioSupportsTimeInfo || value == kAsioOverload
                       ? 1
                       : 0;
        case kAsioEngineVersion:
            return 2;
        case kAsioSupportsTimeInfo:
            return 1;
        case kAsioResyncRequest:
            resyncEpoch_.fetch_add(1);
            return 1;
        case kAsioResetRequest:
        case kAsioLatenciesChanged:
        case kAsioOverload:
            return 1;
        default:
            return 0;
    }
}

}  // namespace foldback::alsatest
