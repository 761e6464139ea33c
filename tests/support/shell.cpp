#include "support/shell.hpp"

#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>

namespace foldback::testsupport {

std::string quoted(const std::string& s) {
    return "'" + s + "'";
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

namespace {

void (*gStop)() = nullptr;
struct sigaction gOld[65];
const int kFatal[] = {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGTERM, SIGINT};

void onFatal(int sig, siginfo_t* info, void* context) {
    if (gStop) gStop();
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

}  // namespace

void stopOnFatalSignals(void (*stop)()) {
    gStop = stop;
    for (int sig : kFatal) {
        struct sigaction sa {};
        sa.sa_sigaction = &onFatal;
        sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
        sigemptyset(&sa.sa_mask);
        sigaction(sig, &sa, &gOld[sig]);
    }
}

}  // namespace foldback::testsupport
