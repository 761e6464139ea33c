// Test support for the JACK driver: a private jackd (dummy backend) per test process, a
// private registry, the driver .so loaded the way a host loads it, and a host that records
// what it sees. Everything the host does on the audio thread is stack work and stores into
// memory allocated before start (the RT-safety interposer runs these tests too).
#pragma once

#include <string>

#include "support/clock.hpp"
#include "support/driver.hpp"
#include "support/host.hpp"
#include "support/shell.hpp"

namespace foldback::jacktest {

using testsupport::checkSteadyStream;
using testsupport::countingCreator;
using testsupport::CreatorLog;
using testsupport::MessageRecord;
using testsupport::nowNs;
using testsupport::positionJumps;
using testsupport::run;  // the server's environment is this process's (startServer)
using testsupport::sleepMs;
using testsupport::startStream;
using testsupport::SteadyStream;
using testsupport::SwitchRecord;

// ---- the private server ------------------------------------------------------------------
// "foldback-test-<pid>", started with $FOLDBACK_RIGS_DIR/jack-up.sh (dummy backend, 8 in,
// 8 out, 48 kHz) and stopped by PID with jack-down.sh: at exit, on a fatal signal, or when
// a test asks. JACK_DEFAULT_SERVER and JACK_NO_START_SERVER=1 are exported.
const std::string& serverName();
bool startServer(long period = 64);  // false (and a gtest failure) when it did not come up
void stopServer();
bool serverRunning();
std::string rigsDir();
// Runs fn with file descriptor 2 captured; returns what was written to it.
std::string captureStderr(void (*fn)(void*), void* context);
// The delay jack_iodelay measures on its own out -> in connection (frames), or -1.
double iodelayFrames(double seconds = 3.0);

// ---- the private registry ----------------------------------------------------------------
const std::string& sandbox();
// Writes <sandbox>/drivers/<name>/{driver,description,config.toml}; returns the name.
std::string addInstance(const std::string& name, const std::string& configToml = "");
const char* driverPath();

// ---- one driver object -------------------------------------------------------------------
// The JACK driver's instantiateDriver (the sandbox exists before the first call).
FoldbackInstantiateFn factory();

class Driver : public testsupport::Driver {
  public:
    explicit Driver(const std::string& instanceName)
        : testsupport::Driver(factory(), instanceName) {}
};

// ---- the host ---------------------------------------------------------------------------
// The shared host with this suite's loop probe: an impulse JACK drops (it drops what is in
// flight on a connection when the server's period changes) is sent again soon; the wait
// must be short next to the windows the tests watch (a 1 s wait let one lost impulse hide
// every round trip after a change), and far longer than any loop they measure (a few
// periods). A position jump is not a round trip.
struct HostOptions : testsupport::HostOptions {
    HostOptions() {
        capacity = 1 << 15;
        lostAfterFrames = 4096;
        lostAfterBuffers = 8;
        dropOnJump = true;
    }
};

class Host : public testsupport::Host {
  public:
    explicit Host(HostOptions options = {}) : testsupport::Host(options) {}
};

}  // namespace foldback::jacktest
