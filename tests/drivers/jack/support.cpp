#include "support.hpp"

#include <stdlib.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "support/registry.hpp"

#ifndef FOLDBACK_JACKTEST_DRIVER
#error "FOLDBACK_JACKTEST_DRIVER must name the JACK driver module (see CMakeLists.txt)"
#endif
#ifndef FOLDBACK_JACKTEST_RIGS_DIR
#error "FOLDBACK_JACKTEST_RIGS_DIR must name the shared rigs folder (FOLDBACK_RIGS_DIR)"
#endif

namespace foldback::jacktest {

namespace fs = std::filesystem;

// ---- the private server ------------------------------------------------------------------

namespace {

std::atomic<bool> gServerUp{false};

using testsupport::quoted;

void downNow() {
    if (!gServerUp.exchange(false)) return;
    const std::string cmd = "bash " + quoted(rigsDir() + "/jack-down.sh") + " " +
                            quoted(serverName()) + " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0)
        std::fprintf(stderr, "jack-down.sh %s failed\n", serverName().c_str());
}

void installCleanup() {
    static std::once_flag once;
    std::call_once(once, [] {
        // Made before the handler is registered, so they outlive it at exit.
        (void)serverName();
        (void)rigsDir();
        static const std::string keep = rigsDir();
        std::atexit(&downNow);
        // A test that crashes (or is aborted by the RT-safety interposer) still stops its
        // server.
        testsupport::stopOnFatalSignals(&downNow);
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

const std::string& sandbox() {
    return testsupport::sandbox({.prefix = "foldback-jacktest-"});
}

std::string addInstance(const std::string& name, const std::string& configToml) {
    return testsupport::writeInstance(sandbox(), name, driverPath(),
                                      "JACK driver test instance " + name, configToml);
}

const char* driverPath() {
    return FOLDBACK_JACKTEST_DRIVER;
}

FoldbackInstantiateFn factory() {
    static const FoldbackInstantiateFn fn =
        ((void)sandbox(), testsupport::loadFactory(driverPath(), "the JACK driver"));
    return fn;
}

}  // namespace foldback::jacktest
