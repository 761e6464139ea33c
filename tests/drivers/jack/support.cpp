#include "support.hpp"

#include <dlfcn.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>

#ifndef FOLDBACK_JACKTEST_DRIVER
#error "FOLDBACK_JACKTEST_DRIVER must name the JACK driver module (see CMakeLists.txt)"
#endif
#ifndef FOLDBACK_JACKTEST_RIGS_DIR
#error "FOLDBACK_JACKTEST_RIGS_DIR must name the shared rigs folder (FOLDBACK_RIGS_DIR)"
#endif

namespace foldback::jacktest {

namespace fs = std::filesystem;

std::int64_t nowNs() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void sleepMs(double ms) {
    const std::int64_t until = nowNs() + static_cast<std::int64_t>(ms * 1e6);
    timespec ts{static_cast<time_t>(until / 1'000'000'000),
                static_cast<long>(until % 1'000'000'000)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) != 0) {
    }
}

// ---- the private server ------------------------------------------------------------------

namespace {

std::atomic<bool> gServerUp{false};
struct sigaction gOld[65];
const int kFatal[] = {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGTERM, SIGINT};

std::string quoted(const std::string& s) {
    return "'" + s + "'";
}

void downNow() {
    if (!gServerUp.exchange(false)) return;
    const std::string cmd = "bash " + quoted(rigsDir() + "/jack-down.sh") + " " +
                            quoted(serverName()) + " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0)
        std::fprintf(stderr, "jack-down.sh %s failed\n", serverName().c_str());
}

// A test that crashes (or is aborted by the RT-safety interposer) still stops its server;
// then the previous handler (ASan's, the default) runs.
void onFatal(int sig, siginfo_t* info, void* context) {
    downNow();
    const struct sigaction& old = gOld[sig];
    if (old.sa_flags & SA_SIGINFO) {
        if (old.sa_sigaction) old.sa_sigaction(sig, info, context);
        return;
    }
    if (old.sa_handler == SIG_IGN) return;
    if (old.sa_handler != SIG_DFL && old.sa_handler) {
        old.sa_handler(sig);
        return;
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

void installCleanup() {
    static std::once_flag once;
    std::call_once(once, [] {
        // Made before the handler is registered, so they outlive it at exit.
        (void)serverName();
        (void)rigsDir();
        static const std::string keep = rigsDir();
        std::atexit(&downNow);
        for (int sig : kFatal) {
            struct sigaction sa {};
            sa.sa_sigaction = &onFatal;
            sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
            sigemptyset(&sa.sa_mask);
            sigaction(sig, &sa, &gOld[sig]);
        }
    });
}

}  // namespace

std::string rigsDir() {
    if (const char* env = std::getenv("FOLDBACK_RIGS_DIR"); env && *env) return env;
    return FOLDBACK_JACKTEST_RIGS_DIR;
}

const std::string& serverName() {
    static const std::string name = "foldback-test-" + std::to_string(::getpid());
    return name;
}

std::string run(const std::string& command, int* status) {
    std::string out;
    FILE* p = ::popen(command.c_str(), "r");
    if (!p) {
        if (status) *status = -1;
        return out;
    }
    std::array<char, 4096> buf{};
    std::size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
    const int st = ::pclose(p);
    if (status) *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return out;
}

bool startServer(long period) {
    installCleanup();
    ::setenv("JACK_NO_START_SERVER", "1", 1);
    ::setenv("JACK_DEFAULT_SERVER", serverName().c_str(), 1);
    if (gServerUp.load()) return true;
    int status = 0;
    const std::string out =
        run("JACK_RIG_PERIOD=" + std::to_string(period) + " bash " +
                quoted(rigsDir() + "/jack-up.sh") + " " + quoted(serverName()) + " 2>&1",
            &status);
    if (status != 0) {
        ADD_FAILURE() << "jack-up.sh " << serverName() << " failed (" << status << "):\n" << out;
        return false;
    }
    gServerUp.store(true);
    return true;
}

void stopServer() {
    downNow();
}
bool serverRunning() {
    return gServerUp.load();
}

std::string captureStderr(void (*fn)(void*), void* context) {
    std::fflush(stderr);
    char path[] = "/tmp/foldback-jacktest-stderr-XXXXXX";
    const int fd = ::mkstemp(path);
    if (fd < 0) {
        fn(context);
        return "<mkstemp failed>";
    }
    const int saved = ::dup(2);
    ::dup2(fd, 2);
    fn(context);
    std::fflush(stderr);
    ::dup2(saved, 2);
    ::close(saved);
    ::close(fd);
    std::ifstream in(path);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ::unlink(path);
    return text;
}

double iodelayFrames(double seconds) {
    // jack_iodelay (Debian's jackd2) takes no options, runs until killed and block-buffers
    // a pipe: line-buffer it, connect its own out -> in once its ports exist, read the last
    // figure it printed.
    const std::string file = (fs::path(sandbox()) / "iodelay.txt").string();
    const std::string cmd = "(stdbuf -oL timeout " + std::to_string(seconds + 1.5) +
                            " jack_iodelay > " + quoted(file) +
                            " 2>&1 &) ; for i in $(seq 1 60); do jack_connect jack_delay:out "
                            "jack_delay:in 2>/dev/null && "
                            "break; sleep 0.05; done; sleep " +
                            std::to_string(seconds) + "; cat " + quoted(file);
    const std::string out = run(cmd);
    sleepMs(1700);  // let timeout end it before the next client comes
    // Lines like "    64.000 frames      1.333 ms total roundtrip latency".
    double last = -1;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
        double frames = 0;
        char unit[16] = {};
        if (std::sscanf(line.c_str(), " %lf %15s", &frames, unit) == 2 &&
            std::strcmp(unit, "frames") == 0)
            last = frames;
    }
    return last;
}

// ---- the private registry ----------------------------------------------------------------

namespace {
std::string gSandbox;
void removeSandbox() {
    std::error_code ec;
    if (!gSandbox.empty()) fs::remove_all(gSandbox, ec);
}
}  // namespace

const std::string& sandbox() {
    static const bool made = [] {
        std::string tmpl = (fs::temp_directory_path() / "foldback-jacktest-XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
        ::chmod(tmpl.c_str(), 0755);
        gSandbox = tmpl;
        fs::create_directories(fs::path(tmpl) / "drivers");
        fs::create_directories(fs::path(tmpl) / "xdg");
        ::setenv("FOLDBACK_DRIVER_PATH", (fs::path(tmpl) / "drivers").c_str(), 1);
        ::setenv("XDG_CONFIG_HOME", (fs::path(tmpl) / "xdg").c_str(), 1);
        std::atexit(&removeSandbox);
        return true;
    }();
    (void)made;
    return gSandbox;
}

std::string addInstance(const std::string& name, const std::string& configToml) {
    const fs::path dir = fs::path(sandbox()) / "drivers" / name;
    fs::create_directories(dir);
    std::ofstream(dir / "driver") << driverPath() << "\n";
    std::ofstream(dir / "description") << "JACK driver test instance " << name << "\n";
    std::ofstream(dir / "config.toml") << configToml;
    return name;
}

const char* driverPath() {
    return FOLDBACK_JACKTEST_DRIVER;
}

// ---- Driver -------------------------------------------------------------------------------

namespace {
FoldbackInstantiateFn factory() {
    static const FoldbackInstantiateFn fn = [] {
        void* lib = ::dlopen(driverPath(), RTLD_NOW | RTLD_LOCAL);  // never closed, as hosts do
        if (!lib) throw std::runtime_error(std::string("dlopen: ") + ::dlerror());
        auto f = reinterpret_cast<FoldbackInstantiateFn>(::dlsym(lib, "instantiateDriver"));
        if (!f) throw std::runtime_error("the JACK driver exports no instantiateDriver");
        return f;
    }();
    return fn;
}
}  // namespace

Driver::Driver(const std::string& instanceName) {
    (void)sandbox();
    d_ = factory()();
    if (d_) nameResult_ = future(kFoldbackSetInstanceName, const_cast<char*>(instanceName.c_str()));
}

long Driver::release() {
    if (!d_) return -1;
    FoldbackDriver* d = d_;
    d_ = nullptr;
    return static_cast<long>(d->lpVtbl->release(d));
}

std::string Driver::errorMessage() const {
    char text[256] = {};
    v().getErrorMessage(d_, text);
    return text;
}

FoldbackCounters Driver::counters() const {
    FoldbackCounters c{};
    if (v().future(d_, kFoldbackGetCounters, &c) != ASE_SUCCESS)
        ADD_FAILURE() << "kFoldbackGetCounters failed";
    return c;
}

std::string Driver::channelName(bool input, long channel) const {
    ASIOChannelInfo info{};
    info.channel = channel;
    info.isInput = input ? ASIOTrue : ASIOFalse;
    if (v().getChannelInfo(d_, &info) != ASE_OK) return "<error>";
    return info.name;
}

// ---- Host ---------------------------------------------------------------------------------

namespace {

std::atomic<Host*> gHost{nullptr};

void cbSwitch(long index, ASIOBool) {
    Host* h = gHost.load(std::memory_order_acquire);
    if (!h) return;
    ASIOSamples pos = -1;
    ASIOTimeStamp stamp = 0;
    if (!h->driver || h->driver->lpVtbl->getSamplePosition(h->driver, &pos, &stamp) != ASE_OK)
        pos = -1;
    h->onSwitch(index, pos, stamp);
}

ASIOTime* cbTimeInfo(ASIOTime* t, long index, ASIOBool) {
    if (Host* h = gHost.load(std::memory_order_acquire))
        h->onSwitch(index, t->timeInfo.samplePosition, t->timeInfo.systemTime);
    return t;
}

void cbRate(ASIOSampleRate rate) {
    if (Host* h = gHost.load(std::memory_order_acquire)) h->onRate(rate);
}

long cbMessage(long selector, long value, void*, double*) {
    Host* h = gHost.load(std::memory_order_acquire);
    return h ? h->onMessage(selector, value) : 0;
}

}  // namespace

Host::Host(HostOptions options) : options_(options) {
    records_.resize(options_.capacity);
    messageLog_.resize(kMessages);
    rates_.resize(kRates);
    trips_.resize(kTrips);
}

Host::~Host() {
    Host* self = this;
    gHost.compare_exchange_strong(self, nullptr);
}

ASIOError Host::createBuffers(const Driver& d, long size, long in, long out) {
    long ins = 0, outs = 0;
    if (ASIOError r = d.channels(ins, outs); r != ASE_OK) return r;
    if (in >= 0) ins = std::min(in, ins);
    if (out >= 0) outs = std::min(out, outs);
    if (size == 0) {
        long mn = 0, mx = 0, pref = 0, gran = 0;
        if (ASIOError r = d.bufferSize(mn, mx, pref, gran); r != ASE_OK) return r;
        size = pref;
    }
    std::vector<ASIOBufferInfo> infos;
    for (long i = 0; i < ins; ++i) infos.push_back({ASIOTrue, i, {nullptr, nullptr}});
    for (long o = 0; o < outs; ++o) infos.push_back({ASIOFalse, o, {nullptr, nullptr}});
    static ASIOCallbacks withTimeInfo{&cbSwitch, &cbRate, &cbMessage, &cbTimeInfo};
    static ASIOCallbacks plain{&cbSwitch, &cbRate, &cbMessage, nullptr};
    driver = d.get();
    gHost.store(this, std::memory_order_release);
    const ASIOError r = d.v().createBuffers(d.get(), infos.data(), static_cast<long>(infos.size()),
                                            size, options_.timeInfo ? &withTimeInfo : &plain);
    if (r != ASE_OK) return r;
    bufferSize_ = size;
    inputs_ = ins;
    outputs_ = outs;
    for (int h = 0; h < 2; ++h) {
        in_[h].assign(static_cast<std::size_t>(ins), nullptr);
        out_[h].assign(static_cast<std::size_t>(outs), nullptr);
    }
    for (const auto& info : infos)
        for (int h = 0; h < 2; ++h)
            (info.isInput ? in_[h] : out_[h])[static_cast<std::size_t>(info.channelNum)] =
                info.buffers[h];
    pendingAt_ = -1;
    return r;
}

bool Host::waitSwitches(long long n, double timeoutMs) const {
    const std::int64_t until = nowNs() + static_cast<std::int64_t>(timeoutMs * 1e6);
    while (switches() < n) {
        if (nowNs() > until) return false;
        sleepMs(2);
    }
    return true;
}

std::vector<SwitchRecord> Host::records() const {
    const auto n = static_cast<std::size_t>(
        std::min<long long>(switches(), static_cast<long long>(records_.size())));
    return {records_.begin(), records_.begin() + static_cast<std::ptrdiff_t>(n)};
}

std::vector<MessageRecord> Host::messageLog() const {
    const auto n = static_cast<std::size_t>(std::min<long long>(messageCount_.load(), kMessages));
    return {messageLog_.begin(), messageLog_.begin() + static_cast<std::ptrdiff_t>(n)};
}

std::vector<double> Host::rateChanges() const {
    const auto n = static_cast<std::size_t>(std::min<long long>(rateCount_.load(), kRates));
    return {rates_.begin(), rates_.begin() + static_cast<std::ptrdiff_t>(n)};
}

std::vector<long> Host::roundTrips() const {
    const auto n = static_cast<std::size_t>(std::min<long long>(tripCount_.load(), kTrips));
    return {trips_.begin(), trips_.begin() + static_cast<std::ptrdiff_t>(n)};
}

void Host::clear() {
    switches_.store(0);
    messageCount_.store(0);
    for (auto& c : bySelector_) c.store(0);
    rateCount_.store(0);
    tripCount_.store(0);
    pendingAt_ = -1;
    lastPosition_ = -1;
}

void Host::onSwitch(long index, std::int64_t position, std::int64_t systemTime) noexcept {
    const long long n = switches_.load(std::memory_order_relaxed);
    if (n == 0) audioThread_.store(pthread_self());
    if (static_cast<std::size_t>(n) < records_.size()) {
        auto& r = records_[static_cast<std::size_t>(n)];
        r.position = position;
        r.systemTime = systemTime;
        r.wallNs = nowNs();
        r.index = index;
    }
    const auto i = static_cast<std::size_t>(index & 1);
    const auto frames = static_cast<std::size_t>(bufferSize_);
    for (long o = 0; o < outputs_; ++o) {
        auto* dst = static_cast<float*>(out_[i][static_cast<std::size_t>(o)]);
        if (options_.copyThrough && o < inputs_)
            std::memcpy(dst, in_[i][static_cast<std::size_t>(o)], frames * sizeof(float));
        else
            std::memset(dst, 0, frames * sizeof(float));
    }
    if (options_.loopOut >= 0 && options_.loopIn >= 0 && options_.loopOut < outputs_ &&
        options_.loopIn < inputs_ && position >= 0) {
        const auto* in =
            static_cast<const float*>(in_[i][static_cast<std::size_t>(options_.loopIn)]);
        // A position jump (frames lost, kAsioResyncRequest) puts a round trip in flight off
        // by the jump: it is not a measurement, send another impulse.
        if (pendingAt_ >= 0 && lastPosition_ >= 0 && position != lastPosition_ + bufferSize_)
            pendingAt_ = -1;
        lastPosition_ = position;
        if (pendingAt_ >= 0) {
            for (std::size_t k = 0; k < frames; ++k) {
                if (in[k] > 0.5f) {
                    const long long t = tripCount_.load(std::memory_order_relaxed);
                    if (static_cast<std::size_t>(t) < kTrips)
                        trips_[static_cast<std::size_t>(t)] =
                            static_cast<long>(position + static_cast<std::int64_t>(k) - pendingAt_);
                    tripCount_.store(t + 1, std::memory_order_release);
                    pendingAt_ = -1;
                    break;
                }
            }
            // Lost (JACK drops what is in flight on a connection when the server's period
            // changes): try again soon. The wait must be short next to the windows the tests
            // watch (a 1 s wait let one lost impulse hide every round trip after a change),
            // and far longer than any loop they measure (a few periods).
            if (pendingAt_ >= 0 &&
                position - pendingAt_ > std::max<std::int64_t>(kLostAfter, 8L * bufferSize_))
                pendingAt_ = -1;
        }
        if (pendingAt_ < 0 && n % options_.impulseEvery == 0) {
            const long offsets[4] = {0, bufferSize_ - 1, bufferSize_ / 2, 7 % bufferSize_};
            const long off = offsets[offsetTurn_++ % 4];
            static_cast<float*>(out_[i][static_cast<std::size_t>(options_.loopOut)])[off] = 1.0f;
            pendingAt_ = position + off;
        }
    }
    if (n == options_.stallAt) {
        const std::int64_t until = nowNs() + static_cast<std::int64_t>(options_.stallMs * 1e6);
        while (nowNs() < until) {
        }
    }
    switches_.store(n + 1, std::memory_order_release);
}

long Host::onMessage(long selector, long value) noexcept {
    switch (selector) {
        case kAsioSelectorSupported:
            switch (value) {
                case kAsioEngineVersion:
                case kAsioResetRequest:
                case kAsioResyncRequest:
                case kAsioLatenciesChanged:
                case kAsioSupportsTimeInfo:
                case kAsioOverload:
                    return 1;
                case kAsioBufferSizeChange:
                    return options_.bufferSizeChange ? 1 : 0;
                default:
                    return 0;
            }
        case kAsioEngineVersion:
            return 2;
        case kAsioSupportsTimeInfo:
            return options_.timeInfo ? 1 : 0;
        default:
            break;
    }
    // Messages come from the audio thread and from the driver's other threads.
    const long long k = messageCount_.fetch_add(1, std::memory_order_acq_rel);
    if (static_cast<std::size_t>(k) < kMessages) {
        auto& m = messageLog_[static_cast<std::size_t>(k)];
        m.selector = selector;
        m.value = value;
        m.switchesBefore = switches_.load(std::memory_order_relaxed);
        m.wallNs = nowNs();
        m.thread = pthread_self();
    }
    if (selector > 0 && selector < kAsioNumMessageSelectors) bySelector_[selector].fetch_add(1);
    if (selector == kAsioBufferSizeChange) return options_.bufferSizeChange ? 1 : 0;
    return 1;
}

void Host::onRate(double rate) noexcept {
    const long long k = rateCount_.load(std::memory_order_relaxed);
    if (static_cast<std::size_t>(k) < kRates) rates_[static_cast<std::size_t>(k)] = rate;
    rateCount_.store(k + 1, std::memory_order_release);
}

}  // namespace foldback::jacktest
