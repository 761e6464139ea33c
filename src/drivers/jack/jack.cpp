// The JACK driver: one JACK client per instance, over the kit (Style::Engine). JACK's
// process thread is the kit's period: every channel is a JACK port, the host's double
// buffers are filled from and copied to the port buffers in the process callback.
//
// Settings: [jack] in the instance's config.toml (docs/drivers/jack.md).
//
// Lifecycle
//   init            jack_client_open(JackNoStartServer): never starts a server. Ports are
//                   registered here (channel count and names are fixed from now on).
//   createBuffers   the first one activates the client (through the host's thread
//                   creator) and makes the connections; the client stays active until
//                   release, so connections a person makes survive disposeBuffers /
//                   createBuffers.
//   start / stop    only open / close the window in which the process callback hands
//                   periods to the kit (outputs are silent outside it).
//   release         jack_deactivate + jack_client_close.
//
// Threads
//   JACK's process thread    onProcess: port buffers -> KitContext::process. Stack work,
//                            atomics and libjack's lock-free getters only (checked by the
//                            RT-safety interposer: the whole callback is a checked scope).
//   libjack's other threads  buffer-size, rate, xrun, latency and shutdown callbacks only
//                            set atomics and wake the worker.
//   the driver's worker      (kit/engine_link.hpp) turns a period change into
//   KitContext::bufferSizeChanged and a
//                            shutdown into KitContext::resetRequest, never on the audio
//                            thread (the kit takes a lock there) and only while the stream
//                            runs; outside a stream the control thread catches up.
//   Overloads, latency and rate changes reach the kit from the process thread, at the
//   start of the next period.
//
// Time
//   jack_get_cycle_times() gives the period's first frame in microseconds of the server's
//   clock, the clock of jack_get_time(). Which clock that is depends on the JACK:
//     - jackd2 1.9.21 (Debian 12's libjack-jackd2-0 and jackd2): CLOCK_MONOTONIC_RAW. The
//       one clock_gettime() call in libjack.so.0 and in libjackserver.so.0 passes clock id
//       4; measured here, jack_get_time() * 1000 - CLOCK_MONOTONIC_RAW = -22..-384 ns (the
//       microsecond truncation) while jack_get_time() * 1000 - CLOCK_MONOTONIC = -245 ms
//       after 2.5 h of uptime: the two clocks part by the NTP slew, tens of ppm, so a
//       stamp taken as CLOCK_MONOTONIC would be hundreds of ms off and drift on. (Older
//       jack2 sources, linux/JackLinuxTime.c jack_get_microseconds_from_system, used
//       CLOCK_MONOTONIC; jackd -c h|c selects HPET or the cycle counter instead.)
//     - pipewire-jack 0.3.65: CLOCK_MONOTONIC (every clock_gettime() in its libjack.so.0
//       passes clock id 1; cycle times are the graph clock's nsec / 1000).
//   So every 64 periods the driver reads CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW and
//   jack_get_time() (three vDSO reads, no system call) and sees which clock the server's
//   is; every period it adds the exact offset to CLOCK_MONOTONIC (engineOffset below),
//   read again each period when the server's clock is CLOCK_MONOTONIC_RAW. JACK's 32-bit
//   frame counter is used only as a delta (it wraps after about 24.8 h at 48 kHz); the position
//   is the kit's own 64-bit count.
#include <jack/jack.h>
#include <pthread.h>
#include <time.h>
#include <toml++/toml.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "drivers/jack/libjack.hpp"
#include "kit/backend.hpp"
#include "kit/engine_link.hpp"
#include "kit/entry_points.hpp"
#include "kit/error.hpp"
#include "kit/hot.hpp"
#include "kit/rt_scope.hpp"

namespace foldback::jack {

using namespace foldback::kit;

namespace {

constexpr long kMaxChannels = 256;
constexpr std::size_t kSampleBytes = sizeof(float);  // JACK audio ports: 32-bit float

std::int64_t clockNs(clockid_t id) noexcept {
    timespec ts{};
    clock_gettime(id, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}
std::int64_t monotonicNs() noexcept {
    return clockNs(CLOCK_MONOTONIC);
}

// What to add to a time on the JACK server's clock to have CLOCK_MONOTONIC, from readings
// of CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW and the server's clock (jack_get_time() * 1000,
// truncated to microseconds) taken together. The server's clock is whichever of the two
// it reads within 2 ms of (the nearer one; when they are that close the choice costs less
// than 2 us), else another clock (HPET, cycle counter): its offset, to the microsecond.
std::int64_t engineOffset(std::int64_t mono, std::int64_t raw, std::int64_t engine) noexcept {
    const std::int64_t dm = engine - mono, dr = engine - raw;
    const auto distance = [](std::int64_t d) { return d < 0 ? -d : d; };
    constexpr std::int64_t kNear = 2'000'000;
    if (distance(dm) <= kNear || distance(dr) <= kNear)
        return distance(dr) < distance(dm) ? mono - raw : 0;
    return mono - engine;
}

std::string defaultServerName() {
    const char* env = std::getenv("JACK_DEFAULT_SERVER");
    return env && *env ? env : "default";
}

// jack_get_ports() as strings (the array is libjack's: freed with jack_free).
std::vector<std::string> listPorts(const LibJack& lib, jack_client_t* client, unsigned long flags) {
    std::vector<std::string> out;
    const char** ports = lib.get_ports(client, nullptr, JACK_DEFAULT_AUDIO_TYPE, flags);
    if (!ports) return out;
    for (const char** p = ports; *p; ++p) out.emplace_back(*p);
    lib.release(static_cast<void*>(ports));
    return out;
}

struct Settings {
    long inputs = -1;   // -1: as many as the server has physical capture ports
    long outputs = -1;  // -1: as many as it has physical playback ports
    bool autoConnect = true;
    std::string server;      // "" = $JACK_DEFAULT_SERVER or "default"
    std::string clientName;  // "" = the instance name
    std::string channelNames = "port";
    std::string library;  // "" = libjack.so.0
    bool debug = false;
    std::vector<std::pair<std::string, std::string>> connect;
};

Settings readSettings(const KitContext& kit) {
    const Config& cfg = kit.config();
    Settings s;
    s.inputs = cfg.integer("jack", "inputs", -1, -1, kMaxChannels);
    s.outputs = cfg.integer("jack", "outputs", -1, -1, kMaxChannels);
    s.autoConnect = cfg.boolean("jack", "auto_connect", true);
    // `device` is the spelling `foldback register --device` writes (top level) and `foldback
    // list` looks for; [jack] server wins, then [jack] device, then the top-level key.
    std::string device;
    if (const auto* n = cfg.table().get("device")) {
        if (!n->is_string())
            fail(ASE_NotPresent, "device must be a string (the JACK server's name)");
        device = *n->value<std::string>();
    }
    s.server = cfg.string("jack", "server", cfg.string("jack", "device", device));
    s.clientName = cfg.string("jack", "client_name", kit.instanceName());
    if (s.clientName.empty()) s.clientName = kit.instanceName();
    s.channelNames = cfg.string("jack", "channel_names", "port");
    if (s.channelNames != "port" && s.channelNames != "alias" && s.channelNames != "own")
        fail(ASE_NotPresent, "[jack] channel_names = \"{}\": use \"port\", \"alias\" or \"own\"",
             s.channelNames);
    s.library = cfg.string("jack", "library", "");
    s.debug = cfg.boolean("jack", "debug", false);
    if (const auto* sec = cfg.table().get_as<toml::table>("jack")) {
        if (const auto* node = sec->get("connect")) {
            const auto* arr = node->as_array();
            bool ok = arr != nullptr;
            if (ok) {
                for (const auto& pair : *arr) {
                    const auto* p = pair.as_array();
                    if (!p || p->size() != 2 || !(*p)[0].is_string() || !(*p)[1].is_string()) {
                        ok = false;
                        break;
                    }
                    s.connect.emplace_back(*(*p)[0].value<std::string>(),
                                           *(*p)[1].value<std::string>());
                }
            }
            if (!ok)
                fail(ASE_NotPresent,
                     "[jack] connect must be a list of [\"source\", \"destination\"] port pairs");
        }
    }
    return s;
}

// alignas(64): the members every period reads fill the object's first three cache lines
// exactly (see the state below), not parts of five.
class alignas(64) JackBackend final : public Backend {
  public:
    JackBackend() = default;
    ~JackBackend() override { close(); }

    Style style() const noexcept override { return Style::Engine; }

    Capabilities open(KitContext& kit) override {
        kit_ = &kit;
        rtChecked_ = rtChecked();  // looked up here, on a control thread
        settings_ = readSettings(kit);
        lib_ = &load(settings_.library);
        getBuffer_ = lib_->port_get_buffer;
        cycleTimes_ = lib_->get_cycle_times;
        if (settings_.debug) {
            debugMessages(true);
            debugOn_ = true;
        }
        serverName_ = settings_.server.empty() ? defaultServerName() : settings_.server;
        lostText_ = fmt::format(
            "the JACK server '{}' is gone: start it again, then release and re-load the driver",
            serverName_);

        // Never start a server: listing and probing must not.
        jack_status_t status{};
        const auto options = static_cast<jack_options_t>(
            JackNoStartServer | (settings_.server.empty() ? 0 : JackServerName));
        client_ = settings_.server.empty()
                      ? lib_->client_open(settings_.clientName.c_str(), options, &status)
                      : lib_->client_open(settings_.clientName.c_str(), options, &status,
                                          settings_.server.c_str());
        if (!client_) failOpen(status);
        try {
            return describe();
        } catch (...) {
            close();
            throw;
        }
    }

    void close() noexcept override {
        if (client_) {
            // After a shutdown the handle is dead but still owns memory: closing it is the
            // only way to free it, and jack_deactivate would only talk to a closed socket.
            if (active_ && !link_.lost()) lib_->deactivate(client_);
            lib_->client_close(client_);  // no callback runs after this
            client_ = nullptr;
            active_ = false;
        }
        link_.stopWorker();
        if (debugOn_) {
            debugMessages(false);
            debugOn_ = false;
        }
    }

    bool canSampleRate(double rate, const Capabilities&) const override {
        const_cast<JackBackend*>(this)->catchUpPeriod();
        return rate == static_cast<double>(serverRate_.load(std::memory_order_relaxed));
    }
    void setSampleRate(double) override {}  // only the server's own rate is accepted

    Latency latency(long bufferSize) const override {
        (void)bufferSize;  // JACK's ranges are for the server's period; the kit adds its FIFO
        if (link_.lost()) fail(ASE_NotPresent, "{}", lostText_);
        const_cast<JackBackend*>(this)->catchUpPeriod();  // getBufferSize is current after this
        long in = 0, out = 0;
        if (active_)
            measuredLatency(in, out);
        else
            estimatedLatency(in, out);
        const long period = static_cast<long>(serverPeriod_.load(std::memory_order_relaxed));
        return {in, out, std::max(0L, in - period), std::max(0L, out - period)};
    }

    void prepare(const StreamSetup& setup) override {
        if (link_.lost()) fail(ASE_NotPresent, "{}", lostText_);
        hostFrames_ = setup.bufferSize;
        // The period's table: the input ports the host made buffers for (null elsewhere)
        // and every output port, with room for their buffers' addresses.
        const std::size_t ins = inPorts_.size(), outs = outPorts_.size();
        const std::size_t bytes = (2 * (ins + outs) * sizeof(void*) + 63) / 64 * 64;
        slots_.reset(static_cast<void**>(std::aligned_alloc(64, std::max<std::size_t>(bytes, 64))));
        if (!slots_) fail(ASE_NoMemory, "out of memory for the JACK driver's port table");
        std::memset(slots_.get(), 0, bytes);
        ins_ = static_cast<std::uint32_t>(ins);
        outs_ = static_cast<std::uint32_t>(outs);
        for (std::size_t c = 0; c < ins && c < setup.activeInputs.size(); ++c)
            if (setup.activeInputs[c]) readPorts()[c] = inPorts_[c];
        for (std::size_t c = 0; c < outs; ++c) writePorts()[c] = outPorts_[c];
        catchUpPeriod();  // caps only: the kit has no stream yet
        const FoldbackThreadCreator& creator = kit_->threadCreator();
        if (active_ && (creator.create != creator_.create || creator.context != creator_.context)) {
            // The host changed its thread creator since the first createBuffers: the
            // process thread must be re-made through the new one.
            lib_->deactivate(client_);
            active_ = false;
        }
        if (!active_) activate(creator);
        latencyDirty_.store(false);
        // From here until unprepare() the kit's prepared state is the control thread's:
        // the worker leaves period changes to start().
        std::lock_guard<std::mutex> lock(link_.kitMutex());
        hostPrepared_ = true;
    }
    void unprepare() noexcept override {
        std::lock_guard<std::mutex> lock(link_.kitMutex());
        hostPrepared_ = false;
        hostFrames_ = 0;
    }

    void start() override {
        if (link_.lost()) fail(ASE_NotPresent, "{}", lostText_);
        xruns_.store(0);
        ratePending_.store(0);
        first_ = true;
        lastTimeNs_ = 0;
        clockCheck_ = 0;
        rawOffsetAt_ = 0;
        bool announce = false;
        {
            std::lock_guard<std::mutex> lock(link_.kitMutex());
            const long period = static_cast<long>(serverPeriod_.load());
            if (period != hostFrames_) {
                // The host created its buffers at another size than the server runs now:
                // it hears of it (kAsioBufferSizeChange or a reset) from the worker; the
                // kit's FIFO keeps the switch at the host's size meanwhile.
                toldPeriod_ = -1;
                announce = true;
            }
            link_.open();
        }
        if (announce) link_.wake();
    }

    // A period inside KitContext::process finishes; none starts after this (a host calling
    // stop from its own callback is on the process thread: nothing to wait for).
    void stop() noexcept override { link_.close(); }

    DeviceIo begin() noexcept override { return {}; }  // Style::Engine: unused
    void end() noexcept override {}

    bool deviceLost() const noexcept override { return link_.lost(); }
    const char* lostMessage() const noexcept override { return lostText_.c_str(); }

    std::vector<DeviceCandidate> discover() const override {
        // The server this environment selects ($JACK_DEFAULT_SERVER, else "default"), if one
        // runs. Other servers of the machine are not probed.
        std::vector<DeviceCandidate> found;
        const LibJack* lib = nullptr;
        try {
            lib = &load("");
        } catch (const Error&) {
            return found;
        }
        jack_status_t status{};
        jack_client_t* c = lib->client_open("foldback-probe", JackNoStartServer, &status);
        if (!c) return found;
        const auto capture = listPorts(*lib, c, JackPortIsPhysical | JackPortIsOutput);
        const auto playback = listPorts(*lib, c, JackPortIsPhysical | JackPortIsInput);
        const jack_nframes_t rate = lib->get_sample_rate(c);
        const jack_nframes_t period = lib->get_buffer_size(c);
        lib->client_close(c);
        DeviceCandidate d;
        d.id = defaultServerName();
        d.inputs = static_cast<long>(capture.size());
        d.outputs = static_cast<long>(playback.size());
        d.description =
            fmt::format("JACK server '{}': {} capture, {} playback ports, {} Hz, {} frames", d.id,
                        d.inputs, d.outputs, rate, period);
        found.push_back(std::move(d));
        return found;
    }

  private:
    [[noreturn]] void failOpen(jack_status_t status) const {
        if (status & JackServerFailed)
            fail(ASE_NotPresent,
                 "no JACK server running (start jackd or PipeWire's JACK): server '{}'",
                 serverName_);
        if (status & JackVersionError)
            fail(ASE_NotPresent,
                 "the JACK server '{}' speaks another protocol version than {}; use the libjack "
                 "that came with the server",
                 serverName_, lib_->path);
        if (status & JackServerError)
            fail(ASE_NotPresent, "the JACK server '{}' refused the client (status {:#x})",
                 serverName_, static_cast<unsigned>(status));
        fail(ASE_NotPresent, "cannot open a client of the JACK server '{}' (status {:#x})",
             serverName_, static_cast<unsigned>(status));
    }

    // After jack_client_open: ports, names, callbacks, the worker; the kit's description.
    Capabilities describe() {
        clientName_ = lib_->get_client_name(client_);
        serverRate_.store(lib_->get_sample_rate(client_));
        const jack_nframes_t period = lib_->get_buffer_size(client_);
        serverPeriod_.store(period);
        toldPeriod_ = static_cast<long>(period);
        physicalCapture_ = listPorts(*lib_, client_, JackPortIsPhysical | JackPortIsOutput);
        physicalPlayback_ = listPorts(*lib_, client_, JackPortIsPhysical | JackPortIsInput);

        // Default: every physical port; two each way on a server that has none.
        auto count = [](long configured, std::size_t physical) {
            if (configured >= 0) return configured;
            return physical > 0 ? static_cast<long>(std::min<std::size_t>(physical, kMaxChannels))
                                : 2L;
        };
        const long ins = count(settings_.inputs, physicalCapture_.size());
        const long outs = count(settings_.outputs, physicalPlayback_.size());
        if (ins + outs == 0)
            fail(ASE_NotPresent, "[jack] inputs = 0 and outputs = 0: no channel left");

        Capabilities caps;
        for (long i = 0; i < ins; ++i) {
            const std::string shortName = fmt::format("in_{}", i + 1);
            jack_port_t* p = lib_->port_register(client_, shortName.c_str(),
                                                 JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
            if (!p)
                fail(ASE_NotPresent, "cannot register the JACK port {}:{}", clientName_, shortName);
            inPorts_.push_back(p);
            const std::string* physical =
                settings_.autoConnect && static_cast<std::size_t>(i) < physicalCapture_.size()
                    ? &physicalCapture_[static_cast<std::size_t>(i)]
                    : nullptr;
            caps.inputs.push_back({channelName(physical, shortName), 0});
        }
        for (long i = 0; i < outs; ++i) {
            const std::string shortName = fmt::format("out_{}", i + 1);
            jack_port_t* p = lib_->port_register(client_, shortName.c_str(),
                                                 JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
            if (!p)
                fail(ASE_NotPresent, "cannot register the JACK port {}:{}", clientName_, shortName);
            outPorts_.push_back(p);
            const std::string* physical =
                settings_.autoConnect && static_cast<std::size_t>(i) < physicalPlayback_.size()
                    ? &physicalPlayback_[static_cast<std::size_t>(i)]
                    : nullptr;
            caps.outputs.push_back({channelName(physical, shortName), 1});
        }

        lib_->set_process_callback(client_, &JackBackend::onProcess, this);
        lib_->set_buffer_size_callback(client_, &JackBackend::onBufferSize, this);
        lib_->set_sample_rate_callback(client_, &JackBackend::onSampleRate, this);
        lib_->set_xrun_callback(client_, &JackBackend::onXrun, this);
        if (lib_->set_latency_callback && lib_->port_get_latency_range &&
            lib_->port_set_latency_range)
            lib_->set_latency_callback(client_, &JackBackend::onLatency, this);
        // Both: jackd2 calls both (info first), pipewire-jack 0.3.65 only the plain one.
        lib_->on_shutdown(client_, &JackBackend::onShutdown, this);
        if (lib_->on_info_shutdown)
            lib_->on_info_shutdown(client_, &JackBackend::onInfoShutdown, this);

        link_.startWorker(*kit_, [this] { tellPeriod(); });

        caps.sampleType = ASIOSTFloat32LSB;
        const long p = static_cast<long>(period);
        caps.bufferSizes = {p, p, p, 0};
        caps.rate = static_cast<double>(serverRate_.load());
        caps.rates = {caps.rate};
        caps.clockSources = {"JACK server"};
        return caps;
    }

    // A channel is named after the physical port it is connected to (auto_connect), else
    // after its own port.
    std::string channelName(const std::string* physical, const std::string& own) const {
        if (!physical || settings_.channelNames == "own") return own;
        if (settings_.channelNames == "alias" && lib_->port_get_aliases && lib_->port_name_size) {
            if (jack_port_t* p = lib_->port_by_name(client_, physical->c_str())) {
                const auto size = static_cast<std::size_t>(lib_->port_name_size());
                std::vector<char> a(size, '\0'), b(size, '\0');
                char* const aliases[2] = {a.data(), b.data()};
                if (lib_->port_get_aliases(p, aliases) > 0 && a[0]) return a.data();
            }
        }
        constexpr std::string_view kSystem = "system:";
        if (physical->rfind(kSystem, 0) == 0) return physical->substr(kSystem.size());
        return *physical;
    }

    std::string fullName(const std::string& port) const {
        return port.find(':') == std::string::npos ? clientName_ + ":" + port : port;
    }

    void activate(const FoldbackThreadCreator& creator) {
        {
            CreatorScope scope(*lib_, creator);
            if (lib_->activate(client_) != 0)
                fail(ASE_HWMalfunction, "the JACK server '{}' refused to activate the client '{}'",
                     serverName_, clientName_);
        }
        active_ = true;
        creator_ = creator;
        // Connections: failures are not fatal (a port may not exist yet); debug shows them.
        auto link = [&](const std::string& from, const std::string& to) {
            const int r = lib_->connect(client_, from.c_str(), to.c_str());
            if (r != 0 && r != EEXIST && settings_.debug)
                std::fprintf(stderr, "foldback-jack: %s: cannot connect %s -> %s\n",
                             kit_->instanceName().c_str(), from.c_str(), to.c_str());
        };
        if (settings_.autoConnect) {
            for (std::size_t i = 0; i < inPorts_.size() && i < physicalCapture_.size(); ++i)
                link(physicalCapture_[i], lib_->port_name(inPorts_[i]));
            for (std::size_t i = 0; i < outPorts_.size() && i < physicalPlayback_.size(); ++i)
                link(lib_->port_name(outPorts_[i]), physicalPlayback_[i]);
        }
        for (const auto& [from, to] : settings_.connect) link(fullName(from), fullName(to));
        // Latencies settle synchronously (the server runs every client's latency callback
        // before this returns), so getLatencies right after createBuffers is exact.
        if (lib_->recompute_total_latencies) lib_->recompute_total_latencies(client_);
    }

    // What JACK reports for our ports once their latency callbacks have run: an input
    // port's capture latency is the largest of the ports feeding it, an output's playback
    // latency the largest of the ports it feeds (both include the period). JACK sets our
    // ports' ranges on its notification thread, after jack_connect and
    // jack_recompute_total_latencies have returned, so reading them right after
    // createBuffers can catch the ranges of before the connections (seen on CI: 128 where
    // 64 + 128 was due). The connected ports' own ranges are read instead: the same
    // numbers, never stale. Our own ports are skipped (an out -> in loop of this client
    // adds nothing to either direction).
    void measuredLatency(long& in, long& out) const {
        in = out = 0;
        if (!lib_->port_get_latency_range) {
            in = out = static_cast<long>(serverPeriod_.load());
            return;
        }
        if (!lib_->port_get_all_connections) {
            for (jack_port_t* p : inPorts_) in = std::max(in, ownRange(p, JackCaptureLatency));
            for (jack_port_t* p : outPorts_) out = std::max(out, ownRange(p, JackPlaybackLatency));
            return;
        }
        const std::string prefix = clientName_ + ":";
        auto fed = [&](jack_port_t* own, jack_latency_callback_mode_t mode) -> long {
            long most = 0;
            const char** names = lib_->port_get_all_connections(client_, own);
            if (!names) return 0;
            for (const char** n = names; *n; ++n) {
                if (std::string_view(*n).substr(0, prefix.size()) == prefix) continue;
                if (jack_port_t* p = lib_->port_by_name(client_, *n))
                    most = std::max(most, ownRange(p, mode));
            }
            lib_->release(static_cast<void*>(names));
            return most;
        };
        for (jack_port_t* p : inPorts_) in = std::max(in, fed(p, JackCaptureLatency));
        for (jack_port_t* p : outPorts_) out = std::max(out, fed(p, JackPlaybackLatency));
    }
    long ownRange(jack_port_t* p, jack_latency_callback_mode_t mode) const {
        jack_latency_range_t r{};
        lib_->port_get_latency_range(p, mode, &r);
        return static_cast<long>(r.max);
    }

    // Before activation: what JACK will report once the configured connections exist (an
    // input port's capture latency is the largest of its sources', an output's playback
    // latency the largest of its destinations').
    void estimatedLatency(long& in, long& out) const {
        in = out = 0;
        if (!lib_->port_get_latency_range) {
            in = out = static_cast<long>(serverPeriod_.load());
            return;
        }
        auto range = [&](const std::string& name, jack_latency_callback_mode_t mode) -> long {
            jack_port_t* p = lib_->port_by_name(client_, name.c_str());
            if (!p) return 0;
            jack_latency_range_t r{};
            lib_->port_get_latency_range(p, mode, &r);
            return static_cast<long>(r.max);
        };
        if (settings_.autoConnect) {
            for (std::size_t i = 0; i < inPorts_.size() && i < physicalCapture_.size(); ++i)
                in = std::max(in, range(physicalCapture_[i], JackCaptureLatency));
            for (std::size_t i = 0; i < outPorts_.size() && i < physicalPlayback_.size(); ++i)
                out = std::max(out, range(physicalPlayback_[i], JackPlaybackLatency));
        }
        const std::string prefix = clientName_ + ":";
        for (const auto& [fromShort, toShort] : settings_.connect) {
            const std::string from = fullName(fromShort), to = fullName(toShort);
            const bool fromUs = from.rfind(prefix, 0) == 0, toUs = to.rfind(prefix, 0) == 0;
            if (toUs && !fromUs) in = std::max(in, range(from, JackCaptureLatency));
            if (fromUs && !toUs) out = std::max(out, range(to, JackPlaybackLatency));
        }
    }

    // ---- control-side catch-up and the worker ------------------------------------------
    // [control, not streaming] A period change the kit has not heard of yet: caps only
    // (the kit has no stream yet, or it is stopped: start() announces it then).
    void catchUpPeriod() {
        std::lock_guard<std::mutex> lock(link_.kitMutex());
        if (link_.streaming() || hostPrepared_) return;  // the worker, or start(), tells it
        const long p = static_cast<long>(serverPeriod_.load());
        if (p != toldPeriod_) {
            toldPeriod_ = p;
            kit_->bufferSizeChanged({p, p, p, 0});
        }
    }

    // [worker, kit mutex held, streaming] A server period the kit has not heard of.
    void tellPeriod() noexcept {
        const long p = static_cast<long>(serverPeriod_.load());
        if (p != toldPeriod_) {
            toldPeriod_ = p;
            kit_->bufferSizeChanged({p, p, p, 0});
        }
    }

    // ---- libjack's callbacks ---------------------------------------------------------------
    FOLDBACK_HOT_ENTRY static int onProcess(jack_nframes_t frames, void* arg) noexcept {
        static_cast<JackBackend*>(arg)->process(frames);
        return 0;
    }

    // The period's path (kit/hot.hpp): what every period runs is here, what some periods
    // run (the clock check, events, a stopped stream) is out of line.
    FOLDBACK_HOT void process(jack_nframes_t frames) noexcept {
        RtScope scope(rtChecked_);
        if (!link_.enter()) [[unlikely]] {
            silence(frames);
            link_.leave();
            return;
        }
        // Locals: the calls into libjack cannot change them, so nothing is reloaded per port.
        const auto getBuffer = getBuffer_;
        const std::size_t ins = ins_, outs = outs_;
        void** const slots = slots_.get();
        jack_port_t* const* const reads = readPorts();
        jack_port_t* const* const writes = writePorts();
        for (std::size_t c = 0; c < ins; ++c)
            slots[c] = reads[c] ? getBuffer(reads[c], frames) : nullptr;
        for (std::size_t c = 0; c < outs; ++c) slots[ins + c] = getBuffer(writes[c], frames);

        jack_nframes_t counter = 0;
        std::int64_t timeNs = 0;
        jack_time_t usecs = 0, nextUsecs = 0;
        float periodUsecs = 0;
        if (cycleTimes_ && cycleTimes_(client_, &counter, &usecs, &nextUsecs, &periodUsecs) == 0)
            [[likely]] {
            // Which clock the server keeps is looked at every kClockCheckPeriods periods
            // (three reads); in between only what that clock needs is read (one read for
            // CLOCK_MONOTONIC, two for CLOCK_MONOTONIC_RAW, whose offset to
            // CLOCK_MONOTONIC moves with NTP's slew). A vDSO clock read costs 30-40 ns on
            // this VM: this saves one (jackd2) or two (pipewire-jack) of them a period.
            const std::int64_t mono = nowNs(CLOCK_MONOTONIC);
            if (clockCheck_ == 0) [[unlikely]]
                checkClock(mono);
            else if (engineClock_ == EngineClock::Raw)
                offset_ = rawOffset(mono - nowNs(CLOCK_MONOTONIC_RAW), mono, true);
            --clockCheck_;
            timeNs = static_cast<std::int64_t>(usecs) * 1000 + offset_;
            // The period's first frame cannot lie in the future: JACK's filtered cycle start
            // can lead the wake-up (by 2 ms seen on the dummy backend under load), and such
            // a lead is taken back to now. (A stamp seconds ahead is no filter's lead but a
            // clock this driver cannot map; it is left as the server gave it.)
            if (timeNs > mono && timeNs - mono < 1'000'000'000) timeNs = mono;
        } else {
            counter = lib_->last_frame_time(client_);
            timeNs = monotonicNs();
        }
        if (timeNs <= lastTimeNs_) [[unlikely]]
            timeNs = lastTimeNs_ + 1;  // strictly increasing
        lastTimeNs_ = timeNs;
        // Unsigned 32-bit difference: correct across the counter's wrap.
        long delta = static_cast<long>(static_cast<jack_nframes_t>(counter - lastCounter_));
        if (first_ || delta > 10L * static_cast<long>(serverRate_.load(std::memory_order_relaxed)))
            [[unlikely]]
            delta =
                first_ ? static_cast<long>(frames) : lastFrames_;  // a counter reset, not a loss
        first_ = false;
        lastCounter_ = counter;
        lastFrames_ = static_cast<long>(frames);

        // Events from libjack's other threads (plain loads first: nothing is pending in
        // nearly every period, and a load costs less than an exchange).
        if (xruns_.load(std::memory_order_relaxed) != 0 ||
            latencyDirty_.load(std::memory_order_relaxed) ||
            ratePending_.load(std::memory_order_relaxed) > 0) [[unlikely]]
            passEvents();

        kit_->process(DeviceIo{slots, slots + ins}, static_cast<long>(frames), timeNs, delta);
        link_.leave();
    }

    std::int64_t nowNs(clockid_t id) const noexcept {
        timespec ts{};
        clockGettime_(id, &ts);
        return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
    }

    // Every kClockCheckPeriods periods: which clock the server keeps, and its offset.
    FOLDBACK_OUT_OF_LINE void checkClock(std::int64_t mono) noexcept {
        const std::int64_t raw = clockNs(CLOCK_MONOTONIC_RAW);
        const auto engine = static_cast<std::int64_t>(lib_->get_time()) * 1000;
        const std::int64_t off = engineOffset(mono, raw, engine);
        const EngineClock clock = off == 0            ? EngineClock::Monotonic
                                  : off == mono - raw ? EngineClock::Raw
                                                      : EngineClock::Other;
        offset_ = clock == EngineClock::Raw ? rawOffset(off, mono, engineClock_ == EngineClock::Raw)
                                            : off;
        engineClock_ = clock;
        clockCheck_ = kClockCheckPeriods;
    }

    // Xruns, a latency change, a rate change: handed to the kit on the process thread.
    FOLDBACK_COLD void passEvents() noexcept {
        if (xruns_.load(std::memory_order_relaxed) != 0)
            for (long x = xruns_.exchange(0, std::memory_order_acq_rel); x > 0; --x)
                kit_->overload();
        if (latencyDirty_.load(std::memory_order_relaxed) &&
            latencyDirty_.exchange(false, std::memory_order_acq_rel))
            kit_->latenciesChanged();
        if (ratePending_.load(std::memory_order_relaxed) > 0)
            if (const double rate = ratePending_.exchange(0, std::memory_order_acq_rel); rate > 0)
                kit_->rateChanged(rate);
    }

    // CLOCK_MONOTONIC - CLOCK_MONOTONIC_RAW from two readings taken back to back (mono
    // first). A preemption between them (the VM's host, an interrupt) makes the sample
    // smaller by its length, while the true offset moves only with NTP's slew (at most
    // 500 ppm). So, continuing from the previous offset, a sample further below it than
    // 1000 ppm of the time since plus 1 us is taken as that bound; the next clean sample
    // restores the offset.
    std::int64_t rawOffset(std::int64_t sample, std::int64_t mono, bool continuing) noexcept {
        if (continuing && rawOffsetAt_ != 0) {
            const std::int64_t bound = offset_ - (mono - rawOffsetAt_) / 1000 - 1000;
            if (sample < bound) sample = bound;
        }
        rawOffsetAt_ = mono;
        return sample;
    }

    FOLDBACK_COLD void silence(jack_nframes_t frames) noexcept {
        for (jack_port_t* p : outPorts_)
            if (void* b = lib_->port_get_buffer(p, frames))
                std::memset(b, 0, frames * kSampleBytes);
    }

    static int onBufferSize(jack_nframes_t frames, void* arg) noexcept {
        auto* self = static_cast<JackBackend*>(arg);
        if (frames != self->serverPeriod_.exchange(frames)) self->link_.wake();
        return 0;
    }
    static int onSampleRate(jack_nframes_t rate, void* arg) noexcept {
        auto* self = static_cast<JackBackend*>(arg);
        if (rate != self->serverRate_.exchange(rate))
            self->ratePending_.store(static_cast<double>(rate));
        return 0;
    }
    static int onXrun(void* arg) noexcept {
        static_cast<JackBackend*>(arg)->xruns_.fetch_add(1, std::memory_order_relaxed);
        return 0;
    }
    // Setting a latency callback replaces JACK's default propagation, so it is done here
    // the same way: the client passes input to output (a host monitors in the same
    // period), so our outputs inherit the largest capture latency of our inputs and our
    // inputs the largest playback latency of our outputs.
    static void onLatency(jack_latency_callback_mode_t mode, void* arg) noexcept {
        auto* self = static_cast<JackBackend*>(arg);
        const LibJack& lib = *self->lib_;
        const bool capture = mode == JackCaptureLatency;
        const auto& from = capture ? self->inPorts_ : self->outPorts_;
        const auto& to = capture ? self->outPorts_ : self->inPorts_;
        jack_latency_range_t all{UINT32_MAX, 0};
        for (jack_port_t* p : from) {
            jack_latency_range_t r{};
            lib.port_get_latency_range(p, mode, &r);
            all.min = std::min(all.min, r.min);
            all.max = std::max(all.max, r.max);
        }
        if (all.min == UINT32_MAX) all.min = 0;
        for (jack_port_t* p : to) lib.port_set_latency_range(p, mode, &all);
        auto& seen = capture ? self->seenIn_ : self->seenOut_;
        if (seen.exchange(static_cast<long>(all.max)) != static_cast<long>(all.max))
            self->latencyDirty_.store(true, std::memory_order_release);
    }
    static void onShutdown(void* arg) noexcept { static_cast<JackBackend*>(arg)->markLost(); }
    static void onInfoShutdown(jack_status_t, const char*, void* arg) noexcept {
        static_cast<JackBackend*>(arg)->markLost();
    }
    // Idempotent: jackd2 calls both shutdown callbacks.
    void markLost() noexcept { link_.markLost(); }

    // ---- state -------------------------------------------------------------------------
    // What every period reads comes first, in the object's first three cache lines (the
    // class is 64-byte aligned; Backend's vtable pointer and context take its first 16
    // bytes): line 0 what the period calls and where its ports are, then the port counts,
    // the process thread's time keeping and the atomics libjack's other threads set, then
    // link_, whose period members (enter/leave) end before byte 192 (link_ must not be
    // aligned to a line of its own: that makes four). On a busy machine each line comes
    // back cold at 256 frames (src/kit/hot.hpp; `gdb -batch -ex "ptype/o ..."` on the module
    // shows the offsets). ~JackBackend calls close(), which stops link_'s worker before any
    // member goes.
    KitContext* kit_ = nullptr;
    jack_client_t* client_ = nullptr;
    decltype(&::jack_port_get_buffer) getBuffer_ = nullptr;  // libjack's, copied at open()
    decltype(&::jack_get_cycle_times) cycleTimes_ = nullptr;
    // libc's clock_gettime, copied so that the period reads no GOT entry of this module
    // (its only data page a period would touch; kit/hot.hpp).
    decltype(&::clock_gettime) clockGettime_ = &::clock_gettime;
    // The prepared stream's port table (prepare() writes it while the window is closed),
    // one 64-byte aligned block: the buffers' addresses a period hands the kit (inputs,
    // then outputs), then the ports they come from (inputs, null where the host made no
    // buffer; then outputs). 8 in / 8 out: four lines.
    struct FreeSlots {
        void operator()(void** p) const noexcept { std::free(p); }
    };
    std::unique_ptr<void*, FreeSlots> slots_;
    std::uint32_t ins_ = 0, outs_ = 0;
    jack_port_t** readPorts() const noexcept {
        return reinterpret_cast<jack_port_t**>(slots_.get() + ins_ + outs_);
    }
    jack_port_t** writePorts() const noexcept { return readPorts() + ins_; }
    // Process thread (line 1), and the atomics libjack's other threads set, read every
    // period.
    enum class EngineClock : std::uint8_t { Monotonic, Raw, Other };
    static constexpr int kClockCheckPeriods = 64;
    bool first_ = true;
    EngineClock engineClock_ = EngineClock::Monotonic;  // the server's (see Time above)
    std::atomic<bool> latencyDirty_{false};
    bool rtChecked_ = false;  // rtChecked() (kit/rt_scope.hpp)
    int clockCheck_ = 0;      // periods to the next look at the server's clock
    jack_nframes_t lastCounter_ = 0;
    std::atomic<jack_nframes_t> serverRate_{0};
    long lastFrames_ = 0;
    std::int64_t lastTimeNs_ = 0;
    std::int64_t offset_ = 0;
    std::int64_t rawOffsetAt_ = 0;  // CLOCK_MONOTONIC of the last raw offset sample (0: none)
    std::atomic<long> xruns_{0};
    std::atomic<double> ratePending_{0};
    // Shared (line 2). The window into the kit, the worker and the lost server
    // (kit/engine_link.hpp): its first line (enter/leave) is read every period.
    EngineLink link_;

    // The rest: control and worker threads.
    const LibJack* lib_ = nullptr;
    Settings settings_;
    bool debugOn_ = false;
    std::string serverName_, clientName_, lostText_;
    std::vector<jack_port_t*> inPorts_, outPorts_;
    std::vector<std::string> physicalCapture_, physicalPlayback_;
    bool active_ = false;
    FoldbackThreadCreator creator_{nullptr, nullptr};  // the one the client was activated with
    long hostFrames_ = 0;
    std::atomic<jack_nframes_t> serverPeriod_{0};
    std::atomic<long> seenIn_{-1}, seenOut_{-1};

    // Under link_.kitMutex() (worker and control threads only, never the process thread).
    long toldPeriod_ = 0;        // the period the kit knows
    bool hostPrepared_ = false;  // between prepare() and unprepare()
};

std::unique_ptr<Backend> makeBackend() {
    return std::make_unique<JackBackend>();
}

}  // namespace

}  // namespace foldback::jack

FOLDBACK_DRIVER_ENTRY_POINTS("Foldback JACK",
                             "JACK server (jackd2 or PipeWire's JACK), ASIO-compatible",
                             &foldback::jack::makeBackend)
