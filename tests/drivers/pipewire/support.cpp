#include "support.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

#ifndef FOLDBACK_PWTEST_DRIVER
#error "FOLDBACK_PWTEST_DRIVER must name the PipeWire driver module (see CMakeLists.txt)"
#endif
#ifndef FOLDBACK_PWTEST_LATENCY_NODE
#error "FOLDBACK_PWTEST_LATENCY_NODE must name the pw_latency_node helper (see CMakeLists.txt)"
#endif
#ifndef FOLDBACK_PWTEST_RIGS_DIR
#error "FOLDBACK_PWTEST_RIGS_DIR must name the shared rigs folder (FOLDBACK_RIGS_DIR)"
#endif

namespace foldback::pwtest {

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

// ---- the private daemon ------------------------------------------------------------------

namespace {

std::atomic<bool> gUp{false};
struct sigaction gOld[65];
const int kFatal[] = {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGTERM, SIGINT};

std::string quoted(const std::string& s) {
    return "'" + s + "'";
}

const std::string& downCommand() {
    static const std::string cmd = "PW_RIG_DIR=" + quoted(rigDir()) + " bash " +
                                   quoted(rigsDir() + "/pipewire-down.sh") + " >/dev/null 2>&1";
    return cmd;
}

// Async-signal context too: only system() and the command made before (installCleanup).
void downNow() {
    if (!gUp.exchange(false)) return;
    if (std::system(downCommand().c_str()) != 0) std::fprintf(stderr, "pipewire-down.sh failed\n");
}

void removeRigDir() {
    std::error_code ec;
    fs::remove_all(rigDir(), ec);
}

// A test that crashes (or is aborted by the RT-safety interposer) still stops its daemon;
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
        (void)downCommand();
        std::atexit(&removeRigDir);
        std::atexit(&downNow);  // runs first
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
    static const std::string dir = [] {
        if (const char* env = std::getenv("FOLDBACK_RIGS_DIR"); env && *env)
            return std::string(env);
        return std::string(FOLDBACK_PWTEST_RIGS_DIR);
    }();
    return dir;
}

std::string rigDir() {
    static const std::string dir =
        (fs::temp_directory_path() / ("foldback-pwtest-" + std::to_string(::getpid()))).string();
    return dir;
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

bool startDaemon(const RigOptions& options) {
    installCleanup();
    if (gUp.load()) return true;
    int status = 0;
    // The up script prints `export PIPEWIRE_RUNTIME_DIR=... XDG_RUNTIME_DIR=...
    // XDG_CONFIG_HOME=...` (its log goes to stderr). Clients need only PIPEWIRE_RUNTIME_DIR;
    // XDG_CONFIG_HOME stays the test's (the registry's user root lives there).
    const std::string out =
        run("PW_RIG_DIR=" + quoted(rigDir()) + " PW_RIG_FORCE=" + (options.force ? "1" : "0") +
                " PW_RIG_QUANTUM=" + std::to_string(options.quantum) +
                " PW_RIG_CHANNELS=" + std::to_string(options.channels) + " bash " +
                quoted(rigsDir() + "/pipewire-up.sh") + " 2>/dev/null",
            &status);
    if (status != 0) {
        std::ifstream log(rigDir() + "/pipewire.log");
        std::stringstream text;
        text << log.rdbuf();
        ADD_FAILURE() << "pipewire-up.sh failed (" << status << "): " << out << "\n" << text.str();
        return false;
    }
    const std::string key = "PIPEWIRE_RUNTIME_DIR=";
    const auto at = out.find(key);
    if (at == std::string::npos) {
        ADD_FAILURE() << "pipewire-up.sh printed no PIPEWIRE_RUNTIME_DIR: " << out;
        return false;
    }
    const auto end = out.find_first_of(" \n", at);
    ::setenv("PIPEWIRE_RUNTIME_DIR", out.substr(at + key.size(), end - at - key.size()).c_str(), 1);
    ::unsetenv("PIPEWIRE_REMOTE");
    gUp.store(true);
    return true;
}

void stopDaemon() {
    downNow();
}
bool daemonRunning() {
    return gUp.load();
}

bool setSetting(const std::string& key, const std::string& value) {
    int status = 0;
    run("pw-metadata -n settings 0 " + key + " " + quoted(value) + " >/dev/null 2>&1", &status);
    return status == 0;
}

double profiledQuantum(const std::string& node, double seconds) {
    // pw-profiler follows one driver (the first it sees) and names its followers on stdout
    // ("logging follower 51 (\"node\")"); a line of the log is the driver's 4 fields, then
    // 8 per follower starting with its id. Only lines of a driver that runs `node` count;
    // another driver may come first, so try a few times.
    const fs::path dir = fs::path(rigDir()) / "profiler";
    for (int attempt = 0; attempt < 4; ++attempt) {
        std::error_code ec;
        fs::remove_all(dir, ec);
        fs::create_directories(dir, ec);
        // It writes gnuplot scripts next to its log: a folder of its own.
        const std::string out = run("cd " + quoted(dir.string()) + " && timeout " +
                                    std::to_string(seconds) + " pw-profiler -o prof.log 2>&1");
        const std::string tag = "(\"" + node + "\")";
        const auto at = out.find(tag);
        if (at == std::string::npos) continue;
        const auto start = out.rfind("logging follower ", at);
        if (start == std::string::npos) continue;
        const long id = std::atol(out.c_str() + start + std::strlen("logging follower "));
        std::ifstream in(dir / "prof.log");
        std::string line;
        std::vector<double> quanta;
        while (std::getline(in, line)) {
            std::istringstream fields(line);
            std::vector<double> f;
            for (double v; fields >> v;) f.push_back(v);
            if (f.size() < 4) continue;
            bool ours = false;
            for (std::size_t k = 4; k < f.size(); k += 8) ours |= static_cast<long>(f[k]) == id;
            if (ours) quanta.push_back(f[3] * 48000.0 / 1e6);  // the driver's period, us -> frames
        }
        if (quanta.empty()) continue;
        // The profiler module hands a new listener what it buffered before (cycles of an
        // earlier quantum) first: the newest third of the lines counts.
        std::vector<double> recent(
            quanta.end() - static_cast<std::ptrdiff_t>((quanta.size() + 2) / 3), quanta.end());
        std::sort(recent.begin(), recent.end());
        return recent[recent.size() / 2];
    }
    return -1;
}

std::vector<std::string> linksOf(const std::string& port) {
    std::istringstream in(run("pw-link -l 2>/dev/null"));
    std::vector<std::string> out;
    std::string line, current;
    while (std::getline(in, line)) {
        if (line.rfind("  |", 0) == 0) {
            if (current == port) out.push_back(line.substr(line.find_first_not_of(" |<->")));
        } else {
            current = line;
        }
    }
    return out;
}

// ---- helper processes ---------------------------------------------------------------------

extern "C" char** environ;

Process::Process(const std::vector<std::string>& argv) {
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0) return;
    if (::pipe2(out, O_CLOEXEC) != 0) {
        ::close(in[0]);
        ::close(in[1]);
        return;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    if (posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ) != 0) pid = -1;
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    pid_ = pid;
    in_ = in[1];
    out_ = out[0];
    if (pid_ < 0) ADD_FAILURE() << "cannot start " << argv[0];
}

Process::~Process() {
    if (in_ >= 0) ::close(in_);
    if (pid_ > 0) {
        const std::int64_t until = nowNs() + 2'000'000'000;
        int status = 0;
        while (::waitpid(pid_, &status, WNOHANG) == 0) {
            if (nowNs() > until) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &status, 0);
                break;
            }
            sleepMs(5);
        }
    }
    if (out_ >= 0) ::close(out_);
}

bool Process::waitLine(const std::string& line, double timeoutMs) {
    const std::int64_t until = nowNs() + static_cast<std::int64_t>(timeoutMs * 1e6);
    for (;;) {
        for (auto nl = buffer_.find('\n'); nl != std::string::npos; nl = buffer_.find('\n')) {
            const std::string got = buffer_.substr(0, nl);
            buffer_.erase(0, nl + 1);
            if (got == line) return true;
        }
        const std::int64_t left = until - nowNs();
        if (left <= 0 || out_ < 0) return false;
        pollfd p{out_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left / 1'000'000) + 1) <= 0) continue;
        char buf[256];
        const ssize_t n = ::read(out_, buf, sizeof buf);
        if (n <= 0) return false;
        buffer_.append(buf, static_cast<std::size_t>(n));
    }
}

void Process::signal(int sig) const {
    if (pid_ > 0) ::kill(pid_, sig);
}

const char* latencyNodePath() {
    return FOLDBACK_PWTEST_LATENCY_NODE;
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
        std::string tmpl = (fs::temp_directory_path() / "foldback-pwtest-reg-XXXXXX").string();
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
    std::ofstream(dir / "description") << "PipeWire driver test instance " << name << "\n";
    std::ofstream(dir / "config.toml") << configToml;
    return name;
}

const char* driverPath() {
    return FOLDBACK_PWTEST_DRIVER;
}

FoldbackInstantiateFn factory() {
    static const FoldbackInstantiateFn fn = [] {
        void* lib = ::dlopen(driverPath(), RTLD_NOW | RTLD_LOCAL);  // never closed, as hosts do
        if (!lib) throw std::runtime_error(std::string("dlopen: ") + ::dlerror());
        auto f = reinterpret_cast<FoldbackInstantiateFn>(::dlsym(lib, "instantiateDriver"));
        if (!f) throw std::runtime_error("the PipeWire driver exports no instantiateDriver");
        return f;
    }();
    return fn;
}

// ---- Driver -------------------------------------------------------------------------------

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

bool Host::waitMessage(long selector, double timeoutMs) const {
    const std::int64_t until = nowNs() + static_cast<std::int64_t>(timeoutMs * 1e6);
    while (messages(selector) == 0) {
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
            if (pendingAt_ >= 0 && position - pendingAt_ > 12000)
                pendingAt_ = -1;  // lost: try again
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

long long positionJumps(const std::vector<SwitchRecord>& recs, long size) {
    long long jumps = 0;
    for (std::size_t i = 1; i < recs.size(); ++i)
        if (recs[i].position - recs[i - 1].position != size) ++jumps;
    return jumps;
}

}  // namespace foldback::pwtest
