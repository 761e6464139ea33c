// Test support for the PipeWire driver: a private PipeWire + WirePlumber per test process
// (the shared rig's pipewire-up.sh in a folder of its own), a private registry, the
// driver .so loaded the way a host loads it, and a host that records what it sees.
// Everything the host does on the audio thread is stack work and stores into memory
// allocated before start (the RT-safety interposer runs these tests too).
#pragma once

#include <string>
#include <vector>

#include "support/clock.hpp"
#include "support/driver.hpp"
#include "support/host.hpp"
#include "support/shell.hpp"

namespace foldback::pwtest {

using testsupport::checkSteadyStream;
using testsupport::countingCreator;
using testsupport::CreatorLog;
using testsupport::Host;
using testsupport::HostOptions;
using testsupport::MessageRecord;
using testsupport::nowNs;
using testsupport::positionJumps;
using testsupport::run;  // the daemon's environment is this process's (startDaemon)
using testsupport::sleepMs;
using testsupport::startStream;
using testsupport::SteadyStream;
using testsupport::SwitchRecord;

// ---- the private daemon ----------------------------------------------------------------
// $FOLDBACK_RIGS_DIR/pipewire-up.sh with PW_RIG_DIR=<tmp>/foldback-pwtest-<pid>: a null
// sink "rig-sink" and a null source "rig-source" (2 channels, 48 kHz) and WirePlumber.
// force = true pins the quantum with clock.force-quantum (the rig's default); false lets
// nodes choose it (PW_RIG_FORCE=0). PIPEWIRE_RUNTIME_DIR is exported to this process.
// The daemon is stopped with pipewire-down.sh at exit, on a fatal signal, or by stopDaemon.
struct RigOptions {
    bool force = false;
    long quantum = 64;
    long channels = 2;
};
bool startDaemon(
    const RigOptions& options = {});  // false (and a gtest failure) when it did not come up
void stopDaemon();
bool daemonRunning();
std::string rigDir();
std::string rigsDir();
// pw-metadata -n settings 0 KEY VALUE.
bool setSetting(const std::string& key, const std::string& value);
// The quantum of the driver that runs `node` (a node.name), as pw-profiler measures it
// over `seconds`: the median of the driver's period in frames (its "estimated" column), or
// -1 when pw-profiler did not see the node.
double profiledQuantum(const std::string& node, double seconds = 0.5);
// Ports linked to `port` ("node:port") according to pw-link -l.
std::vector<std::string> linksOf(const std::string& port);

// A helper process (stdin and stdout are pipes to us). The destructor closes its stdin,
// waits up to 2 s for it to end, then kills it.
class Process {
  public:
    explicit Process(const std::vector<std::string>& argv);
    ~Process();
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;
    bool running() const { return pid_ > 0; }
    // Reads stdout until a line equal to `line` came; false on timeout or end.
    bool waitLine(const std::string& line, double timeoutMs = 5000);
    void signal(int sig) const;

  private:
    int pid_ = -1;
    int in_ = -1, out_ = -1;
    std::string buffer_;
};
// The test helper tests/drivers/pipewire/latency_node.c.
const char* latencyNodePath();

// ---- the private registry --------------------------------------------------------------
const std::string& sandbox();
// Writes <sandbox>/drivers/<name>/{driver,description,config.toml}; returns the name.
std::string addInstance(const std::string& name, const std::string& configToml = "");
const char* driverPath();
FoldbackInstantiateFn factory();  // the sandbox exists before the first call

// ---- one driver object -------------------------------------------------------------------
class Driver : public testsupport::Driver {
  public:
    explicit Driver(const std::string& instanceName)
        : testsupport::Driver(factory(), instanceName) {}
};

// ---- the host ---------------------------------------------------------------------------
// testsupport::Host as it is: an impulse not back after 12000 frames is lost.

}  // namespace foldback::pwtest
