// Shell commands for the suites that start engines with the shared rigs' scripts, and the
// fatal-signal hook that stops those engines when a test crashes.
#pragma once

#include <string>

namespace foldback::testsupport {

// 's' for a shell command line (the paths the tests use hold no quote).
std::string quoted(const std::string& s);
// Runs a shell command (this process's environment); returns its stdout. *status: the
// exit status, -1 when it did not exit or could not start.
std::string run(const std::string& command, int* status = nullptr);

// On SIGSEGV, SIGABRT (the RT-safety interposer's), SIGBUS, SIGFPE, SIGILL, SIGTERM and
// SIGINT: calls stop (async-signal context: it may only use what it made before), then the
// handler that was there before (ASan's, the default). One stop function per process;
// call once.
void stopOnFatalSignals(void (*stop)());

}  // namespace foldback::testsupport
