#include "support.hpp"

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
#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "support/registry.hpp"

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

// ---- the private daemon ------------------------------------------------------------------

namespace {

std::atomic<bool> gUp{false};

using testsupport::quoted;

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

void installCleanup() {
    static std::once_flag once;
    std::call_once(once, [] {
        (void)downCommand();
        std::atexit(&removeRigDir);
        std::atexit(&downNow);  // runs first
        // A test that crashes (or is aborted by the RT-safety interposer) still stops its
        // daemon.
        testsupport::stopOnFatalSignals(&downNow);
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

const std::string& sandbox() {
    return testsupport::sandbox({.prefix = "foldback-pwtest-reg-"});
}

std::string addInstance(const std::string& name, const std::string& configToml) {
    return testsupport::writeInstance(sandbox(), name, driverPath(),
                                      "PipeWire driver test instance " + name, configToml);
}

const char* driverPath() {
    return FOLDBACK_PWTEST_DRIVER;
}

FoldbackInstantiateFn factory() {
    static const FoldbackInstantiateFn fn =
        ((void)sandbox(), testsupport::loadFactory(driverPath(), "the PipeWire driver"));
    return fn;
}

}  // namespace foldback::pwtest
