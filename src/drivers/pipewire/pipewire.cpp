// The PipeWire driver: one native PipeWire node (a pw_filter with one 32-bit float DSP port
// per channel) per instance, over the kit (Style::Engine). PipeWire's data thread is the
// kit's period: each graph cycle hands the port buffers to KitContext::process. No libjack.
// Every libpipewire call is in pwio.c (libspa's headers are C, see pwio.h).
//
// Settings: [pipewire] in the instance's config.toml (docs/drivers/pipewire.md).
//
// Lifecycle
//   init            connects (own thread loop, context, core), reads the graph's clock
//                   settings and the default source/sink; channel counts and port names are
//                   fixed from now on. No node exists yet.
//   createBuffers   creates the node (node.name = the instance name), inactive, with the
//                   quantum request for the host's buffer size, and links it to the source
//                   and sink (auto_connect). The data thread is (re)made through the host's
//                   thread creator first when it gave one.
//   start           activates the node; returns once the graph runs it at the requested
//                   quantum and rate, on a running driver clock, and its links carry buffers
//                   (or after 300 ms: then the kit's FIFO keeps the host's size and the host
//                   hears kAsioBufferSizeChange).
//   stop            closes the window, then deactivates the node: a stopped driver does
//                   not pin the graph's quantum.
//   disposeBuffers  destroys the node (and its links).
//   release         disconnects and joins every thread.
//
// Buffer size (what getBufferSize reports; docs/drivers/pipewire.md has the reasons)
//   quantum_mode = "force"    node.force-quantum = the host's size: the graph runs at it
//                             while the node is active (0.3.65 rounds it down to a power of
//                             two when clock.power-of-two-quantum is on, the default).
//   quantum_mode = "follow"   node.latency = size/rate: a request; the graph runs at the
//                             smallest request of its active nodes, so maybe smaller.
//   Either way the range is clock.min-quantum .. clock.max-quantum (powers of two when the
//   daemon rounds), preferred = [pipewire] buffer_size or the graph's clock.quantum. When
//   the "settings" metadata pins clock.force-quantum, no node can change the quantum: the
//   range is that one size. A quantum change under a running stream is
//   KitContext::bufferSizeChanged (kAsioBufferSizeChange or a reset request).
//
// Threads
//   PipeWire's data thread  period(): stack work, atomics, the kit's period (an RtScope
//                           around all of it for the RT-safety interposer).
//   PipeWire's loop thread  onEvent(): sets atomics and wakes the worker.
//   the driver's worker     (kit/engine_link.hpp) turns a quantum change or new clock settings into
//                           bufferSizeChanged and a lost daemon into resetRequest, never on
//                           the data thread (the kit takes a lock there) and only while the
//                           stream runs; outside a stream the control thread catches up.
//
// Thread creator: PipeWire 0.3.65 starts the data loop's thread inside pw_context_new,
// through module-rt's spa_thread_utils. pw_data_loop_set_thread_utils exists in 0.3.65,
// so at createBuffers the data loop is stopped and started again with thread utils whose
// create() is the host's FoldbackThreadCreator (acquire_rt still goes to module-rt, which
// makes the thread SCHED_FIFO). The host's creator is honoured: the switch runs on a
// thread it made.
//
// Time: spa_io_position.clock.nsec (CLOCK_MONOTONIC ns of the cycle's first frame, as the
// driver node stamps it) is handed to the kit as is; clock.position is used only as a
// delta (a jump beyond the previous cycle's length = frames lost, which the kit turns into
// a position jump with kAsioOverload and kAsioResyncRequest).
#include <time.h>
#include <toml++/toml.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "drivers/pipewire/pwio.h"
#include "kit/audio_thread.hpp"
#include "kit/backend.hpp"
#include "kit/engine_link.hpp"
#include "kit/entry_points.hpp"
#include "kit/error.hpp"
#include "kit/rt_scope.hpp"

namespace foldback::pipewire {

using namespace foldback::kit;

namespace {

constexpr long kMaxChannels = 256;
constexpr long kKitMaxPeriod = 8192;  // StreamCore::kMaxEnginePeriod
constexpr std::int64_t kSettleNs = 300'000'000;
constexpr std::int64_t kFirstCycleNs = 3'000'000'000;

enum class Mode { Force, Follow };

struct Settings {
    Mode mode = Mode::Force;
    long bufferSize = 0;  // 0 = the graph's clock.quantum
    long inputs = -1;     // -1 = as many as the source has ports
    long outputs = -1;    // -1 = as many as the sink has ports
    std::string source;   // "" = the default source
    std::string sink;     // "" = the default sink
    bool autoConnect = true;
    double rate = 0;     // 0 = the graph's rate
    std::string remote;  // "" = $PIPEWIRE_REMOTE or pipewire-0
};

Settings readSettings(const KitContext& kit) {
    const Config& cfg = kit.config();
    Settings s;
    const std::string mode = cfg.string("pipewire", "quantum_mode", "force");
    if (mode == "force")
        s.mode = Mode::Force;
    else if (mode == "follow")
        s.mode = Mode::Follow;
    else
        fail(ASE_NotPresent, "[pipewire] quantum_mode = \"{}\": use \"force\" or \"follow\"", mode);
    s.bufferSize = cfg.integer("pipewire", "buffer_size", 0, 0, kKitMaxPeriod);
    s.inputs = cfg.integer("pipewire", "inputs", -1, -1, kMaxChannels);
    s.outputs = cfg.integer("pipewire", "outputs", -1, -1, kMaxChannels);
    s.source = cfg.string("pipewire", "source", "");
    s.sink = cfg.string("pipewire", "sink", "");
    s.autoConnect = cfg.boolean("pipewire", "auto_connect", true);
    s.rate = cfg.number("pipewire", "rate", 0);
    if (s.rate < 0 || s.rate > 768000)
        fail(ASE_NotPresent, "[pipewire] rate = {} is not a sample rate", s.rate);
    // `device` (top level) is what `foldback register --device` writes: the remote's name.
    std::string device;
    if (const auto* n = cfg.table().get("device")) {
        if (!n->is_string())
            fail(ASE_NotPresent, "device must be a string (the PipeWire remote's name)");
        device = *n->value<std::string>();
    }
    s.remote = cfg.string("pipewire", "remote", device);
    return s;
}

long floorPow2(long v) {
    long p = 1;
    while (p * 2 <= v) p *= 2;
    return p;
}
long ceilPow2(long v) {
    long p = 1;
    while (p < v) p *= 2;
    return p;
}

// The quantum PipeWire 0.3.65 makes of a request: rounded down to a power of two when the
// daemon rounds, never above quantum-limit.
long effectiveQuantum(long q, const fbpw_settings& s) {
    const long limit = s.quantum_limit ? static_cast<long>(s.quantum_limit) : kKitMaxPeriod;
    q = std::clamp(q, 1L, limit);
    return s.power_of_two ? floorPow2(q) : q;
}

bool sameSizes(const BufferSizes& a, const BufferSizes& b) {
    return a.min == b.min && a.max == b.max && a.preferred == b.preferred &&
           a.granularity == b.granularity;
}

std::string remoteName(const std::string& configured) {
    if (!configured.empty()) return configured;
    const char* env = std::getenv("PIPEWIRE_REMOTE");
    return env && *env ? env : "pipewire-0";
}

struct Target {
    std::string node;  // node.name, "" = none
    std::vector<fbpw_port_info> ports;
    bool monitor = false;  // a capture from a sink: its monitor ports
};

class PipeWireBackend final : public Backend {
  public:
    PipeWireBackend() = default;
    ~PipeWireBackend() override { close(); }

    Style style() const noexcept override { return Style::Engine; }

    Capabilities open(KitContext& kit) override {
        kit_ = &kit;
        rtChecked_ = rtChecked();  // looked up here, on a control thread
        settings_ = readSettings(kit);
        lostText_ = fmt::format(
            "the PipeWire daemon ({}) is gone: start it again, then release and re-load the driver",
            remoteName(settings_.remote));
        connect(kit.instanceName());
        try {
            return describe();
        } catch (...) {
            close();
            throw;
        }
    }

    void close() noexcept override {
        link_.stopWorker();
        if (pw_) {
            fbpw_close(pw_);  // destroys the node: no callback runs after this
            pw_ = nullptr;
        }
    }

    bool canSampleRate(double rate, const Capabilities&) const override {
        if (!pw_ || link_.lost()) return false;
        fbpw_settings s{};
        fbpw_get_settings(pw_, &s);
        for (std::uint32_t i = 0; i < s.n_allowed_rates; ++i)
            if (rate == static_cast<double>(s.allowed_rates[i])) return true;
        return rate == static_cast<double>(graphRate(s));
    }
    // Applied at createBuffers: the node pins the graph's rate while it is active.
    void setSampleRate(double rate) override { pinnedRate_ = rate; }

    Latency latency(long bufferSize) const override {
        if (link_.lost()) fail(ASE_NotPresent, "{}", lostText_);
        // Latency parameters count in quanta of the graph: the one it runs at while streaming
        // (it may differ from the host's size until the host re-creates its buffers).
        const long running = link_.streaming() ? graphQuantum_.load() : 0;
        const long quantum = running > 0 ? running : bufferSize;
        const auto q = static_cast<std::uint32_t>(quantum);
        const auto rate = static_cast<std::uint32_t>(kitRate_ > 0 ? kitRate_ : 48000);
        long in = feedbackLoop_ ? quantum : 0, out = 0;
        if (nodeOpen_) {
            // What the graph sends to our ports.
            in += static_cast<long>(fbpw_latency(pw_, 1, q, rate));
            out += static_cast<long>(fbpw_latency(pw_, 0, q, rate));
        } else if (settings_.autoConnect) {
            // No node yet: what the ports it will be linked to claim.
            in += estimate(source_.node, true, inNames_.size(), q, rate);
            out += estimate(sink_.node, false, outNames_.size(), q, rate);
        }
        return {in, out, std::max(0L, in - bufferSize), std::max(0L, out - bufferSize)};
    }

    void prepare(const StreamSetup& setup) override {
        if (link_.lost()) fail(ASE_NotPresent, "{}", lostText_);
        hostFrames_ = setup.bufferSize;
        kitRate_ = setup.rate;
        inPtr_.assign(inNames_.size(), nullptr);
        outPtr_.assign(outNames_.size(), nullptr);
        fbpw_settings s{};
        fbpw_get_settings(pw_, &s);
        {
            // Caps only: the kit has no stream yet.
            std::lock_guard<std::mutex> lock(link_.kitMutex());
            told_ =
                sizesFor(s, s.force_quantum ? effectiveQuantum(s.force_quantum, s) : hostFrames_);
            kit_->bufferSizeChanged(told_);
            hostSize_ = hostFrames_;  // what the stream will be created with
        }
        useThreadCreator(kit_->threadCreator());
        nodeOpen_ = false;
        openNode(s);
        nodeOpen_ = true;
        latencyDirty_.store(false);
    }

    void unprepare() noexcept override {
        if (pw_) fbpw_filter_close(pw_);
        nodeOpen_ = false;
        hostFrames_ = 0;
    }

    void start() override {
        if (link_.lost()) fail(ASE_NotPresent, "{}", lostText_);
        // The data thread runs only the closed-window path until the window opens.
        first_ = true;
        wasLate_ = false;
        lastTimeNs_ = 0;
        knownRate_ = static_cast<std::uint32_t>(kitRate_);
        fbpw_settings s{};
        fbpw_get_settings(pw_, &s);
        const long expected = s.force_quantum ? effectiveQuantum(s.force_quantum, s)
                                              : effectiveQuantum(hostFrames_, s);
        const std::uint32_t expectedRate =
            s.force_rate ? s.force_rate : static_cast<std::uint32_t>(pinned());
        const long long before = cycles_.load();
        if (const int r = fbpw_filter_set_active(pw_, 1); r < 0) {
            if (link_.lost()) fail(ASE_NotPresent, "{}", lostText_);
            fail(ASE_HWMalfunction, "PipeWire refused to activate the node '{}' ({})",
                 kit_->instanceName(), std::strerror(-r));
        }
        // Settle: the graph takes a cycle or two to apply the node's quantum and rate.
        const std::int64_t t0 = monotonicNs();
        for (;;) {
            if (link_.lost()) fail(ASE_NotPresent, "{}", lostText_);
            const long long n = cycles_.load() - before;
            const std::int64_t waited = monotonicNs() - t0;
            const bool sizeOk = graphQuantum_.load() == expected;
            const bool rateOk = expectedRate == 0 || graphRate_.load() == expectedRate;
            // The links made at createBuffers carry buffers (they negotiate for a few cycles
            // after activation; an unlinked port never has one).
            const bool linksOk = unbuffered_.load() + linked_ <=
                                 static_cast<long>(inNames_.size() + outNames_.size());
            const bool clockOk = stableCycles_.load() >= 2;
            if (n >= 2 && ((sizeOk && rateOk && linksOk && clockOk) || waited > kSettleNs)) break;
            if (n == 0 && waited > kFirstCycleNs) {
                fbpw_filter_set_active(pw_, 0);
                fail(ASE_HWMalfunction,
                     "PipeWire does not run node '{}': no driver (sink/source) active? see `pw-cli "
                     "ls Node`",
                     kit_->instanceName());
            }
            timespec ts{0, 1'000'000};
            nanosleep(&ts, nullptr);
        }
        {
            std::lock_guard<std::mutex> lock(link_.kitMutex());
            link_.open();
        }
        link_.wake();  // the worker checks the quantum against the host's size
    }

    void stop() noexcept override {
        // A period inside KitContext::process finishes; none starts after this. (A host
        // calling stop from its own callback is on the data thread: nothing to wait for.)
        const bool onDataThread = link_.close();
        // Release the graph (force-quantum holds only while the node is active). Not from
        // the data thread: deactivation waits for it.
        if (!onDataThread && pw_ && !link_.lost()) fbpw_filter_set_active(pw_, 0);
    }

    DeviceIo begin() noexcept override { return {}; }  // Style::Engine: unused
    void end() noexcept override {}

    bool deviceLost() const noexcept override { return link_.lost(); }
    const char* lostMessage() const noexcept override { return lostText_.c_str(); }

    std::vector<DeviceCandidate> discover() const override {
        // The daemon this environment selects ($PIPEWIRE_REMOTE, else pipewire-0), if one runs.
        std::vector<DeviceCandidate> found;
        fbpw* pw = nullptr;
        const fbpw_callbacks cb{&PipeWireBackend::ignoreProcess, &PipeWireBackend::ignoreEvent};
        char err[256] = {};
        if (fbpw_open(&pw, nullptr, "foldback-probe", &cb, nullptr, err, sizeof err) < 0)
            return found;
        fbpw_settings s{};
        fbpw_get_settings(pw, &s);
        const Target source = resolve(pw, "", true);
        const Target sink = resolve(pw, "", false);
        fbpw_close(pw);
        DeviceCandidate d;
        d.id = remoteName("");
        d.inputs = static_cast<long>(source.ports.size());
        d.outputs = static_cast<long>(sink.ports.size());
        d.description =
            fmt::format("PipeWire {}: source '{}' ({} ch), sink '{}' ({} ch), {} Hz, quantum {}",
                        s.version, source.node.empty() ? "none" : source.node, d.inputs,
                        sink.node.empty() ? "none" : sink.node, d.outputs, graphRate(s), s.quantum);
        found.push_back(std::move(d));
        return found;
    }

  private:
    // ---- init ------------------------------------------------------------------------------
    void connect(const std::string& clientName) {
        const fbpw_callbacks cb{&PipeWireBackend::onProcess, &PipeWireBackend::onEvent};
        char err[256] = {};
        if (fbpw_open(&pw_, settings_.remote.c_str(), clientName.c_str(), &cb, this, err,
                      sizeof err) < 0)
            fail(ASE_NotPresent, "{}", err);
    }

    static std::uint32_t graphRate(const fbpw_settings& s) {
        return s.force_rate ? s.force_rate : s.rate ? s.rate : 48000;
    }
    double pinned() const { return pinnedRate_ > 0 ? pinnedRate_ : settings_.rate; }

    // The node a capture or a playback goes to: the configured one, else the default.
    static Target resolve(fbpw* pw, const std::string& configured, bool capture) {
        Target t;
        char name[128] = {};
        if (!configured.empty())
            t.node = configured;
        else if (fbpw_default_node(pw, capture ? 0 : 1, name, sizeof name) == 0)
            t.node = name;
        if (t.node.empty()) return t;
        std::vector<fbpw_port_info> ports(kMaxChannels);
        const int n = fbpw_node_ports(pw, t.node.c_str(), capture ? 1 : 0, ports.data(),
                                      static_cast<int>(ports.size()));
        if (n < 0) {
            if (!configured.empty())
                fail(ASE_NotPresent,
                     "[pipewire] {} = \"{}\": no PipeWire node has that name (`pw-cli ls Node` "
                     "lists them)",
                     capture ? "source" : "sink", configured);
            t.node.clear();
            return t;
        }
        ports.resize(static_cast<std::size_t>(std::min<int>(n, static_cast<int>(kMaxChannels))));
        t.ports = std::move(ports);
        t.monitor = capture && fbpw_node_is_sink(pw, t.node.c_str()) == 1;
        return t;
    }

    static std::vector<std::string> portNames(const char* prefix, long count, const Target& target,
                                              bool named) {
        std::vector<std::string> names;
        for (long i = 0; i < count; ++i) {
            std::string n;
            const auto k = static_cast<std::size_t>(i);
            if (named && k < target.ports.size() && target.ports[k].channel[0])
                n = fmt::format("{}_{}", prefix, target.ports[k].channel);
            if (n.empty() || std::find(names.begin(), names.end(), n) != names.end())
                n = fmt::format("{}_{}", prefix, i + 1);
            names.push_back(std::move(n));
        }
        return names;
    }

    Capabilities describe() {
        fbpw_settings s{};
        fbpw_get_settings(pw_, &s);
        source_ = resolve(pw_, settings_.source, true);
        sink_ = resolve(pw_, settings_.sink, false);
        // Default: as many channels as the source / sink has; two each way without one.
        auto count = [](long configured, const Target& t) {
            if (configured >= 0) return configured;
            return t.ports.empty() ? 2L : static_cast<long>(t.ports.size());
        };
        const long ins = count(settings_.inputs, source_);
        const long outs = count(settings_.outputs, sink_);
        if (ins + outs == 0)
            fail(ASE_NotPresent, "[pipewire] inputs = 0 and outputs = 0: no channel left");
        // Inputs from the monitor of the sink our outputs feed: a cycle in the graph. The
        // node runs before that sink in every cycle, so what the monitor returns in cycle n
        // reaches our inputs in cycle n + 1: one quantum more capture latency, which no
        // port's Latency parameter carries (docs/drivers/pipewire.md, "Latency").
        feedbackLoop_ = settings_.autoConnect && source_.monitor && source_.node == sink_.node &&
                        ins > 0 && outs > 0 && !source_.ports.empty() && !sink_.ports.empty();
        // Channel names are the node's port names.
        inNames_ = portNames("in", ins, source_, settings_.autoConnect);
        outNames_ = portNames("out", outs, sink_, settings_.autoConnect);

        Capabilities caps;
        for (const auto& n : inNames_) caps.inputs.push_back({n, 0});
        for (const auto& n : outNames_) caps.outputs.push_back({n, 1});
        caps.sampleType = ASIOSTFloat32LSB;
        long preferred = settings_.bufferSize ? settings_.bufferSize
                                              : static_cast<long>(s.quantum ? s.quantum : 1024);
        preferred = effectiveQuantum(preferred, s);
        caps.bufferSizes =
            sizesFor(s, s.force_quantum ? effectiveQuantum(s.force_quantum, s) : preferred);
        told_ = caps.bufferSizes;
        caps.rate = pinned() > 0 ? pinned() : static_cast<double>(graphRate(s));
        for (std::uint32_t i = 0; i < s.n_allowed_rates; ++i)
            caps.rates.push_back(static_cast<double>(s.allowed_rates[i]));
        if (std::find(caps.rates.begin(), caps.rates.end(), caps.rate) == caps.rates.end()) {
            if (settings_.rate > 0)
                fail(ASE_NoClock,
                     "[pipewire] rate = {} is not one of the graph's allowed rates "
                     "(clock.allowed-rates)",
                     settings_.rate);
            caps.rates.push_back(caps.rate);
        }
        std::sort(caps.rates.begin(), caps.rates.end());
        caps.clockSources = {"PipeWire graph"};
        kitRate_ = caps.rate;

        link_.startWorker(*kit_, [this] { tellSizes(); });
        return caps;
    }

    // What getBufferSize reports (see the header comment). `preferred`: the quantum the
    // graph runs (or will run) at.
    static BufferSizes sizesFor(const fbpw_settings& s, long preferred) {
        if (s.force_quantum) {
            const long q = preferred > 0 ? preferred : effectiveQuantum(s.force_quantum, s);
            return {q, q, q, 0};
        }
        long mn = s.min_quantum ? static_cast<long>(s.min_quantum) : 16;
        long mx = std::min<long>(s.max_quantum ? static_cast<long>(s.max_quantum) : kKitMaxPeriod,
                                 kKitMaxPeriod);
        long gran = 1;
        if (s.power_of_two) {
            mn = ceilPow2(mn);
            mx = floorPow2(mx);
            gran = -1;
        }
        if (mx < mn) mx = mn;
        long pref = preferred > 0 ? preferred : mn;
        if (gran == -1 && (pref & (pref - 1)) != 0) gran = 1;
        mn = std::min(mn, pref);
        mx = std::max(mx, std::min(pref, kKitMaxPeriod));
        pref = std::clamp(pref, mn, mx);
        return {mn, mx, pref, gran};
    }

    // A node that went away since init: nothing to link, nothing to estimate.
    Target resolveQuietly(const std::string& node, bool capture) const {
        if (node.empty()) return {};
        try {
            return resolve(pw_, node, capture);
        } catch (const Error&) {
            return {};
        }
    }

    long estimate(const std::string& node, bool capture, std::size_t channels, std::uint32_t q,
                  std::uint32_t rate) const {
        const Target t = resolveQuietly(node, capture);
        std::vector<std::uint32_t> ids;
        for (std::size_t i = 0; i < t.ports.size() && i < channels; ++i)
            ids.push_back(t.ports[i].id);
        return static_cast<long>(fbpw_ports_latency(
            pw_, ids.data(), static_cast<std::uint32_t>(ids.size()), capture ? 1 : 0, q, rate));
    }

    // ---- createBuffers ---------------------------------------------------------------------
    void useThreadCreator(const FoldbackThreadCreator& creator) {
        const bool wantDefault = creator.create == defaultThreadCreator().create;
        const bool haveDefault = !creatorSet_;
        if (wantDefault && haveDefault) return;
        if (!wantDefault && creatorSet_ && creator.create == creator_.create &&
            creator.context == creator_.context)
            return;
        fbpw_filter_close(pw_);  // no node may use the data loop while it restarts
        const int r = fbpw_set_thread_creator(pw_, wantDefault ? nullptr : creator.create,
                                              wantDefault ? nullptr : creator.context);
        if (r < 0)
            fail(ASE_HWMalfunction,
                 "cannot start PipeWire's data thread through the host's thread creator ({})",
                 std::strerror(-r));
        creatorSet_ = !wantDefault;
        creator_ = creator;
    }

    void openNode(const fbpw_settings& s) {
        const long b = hostFrames_;
        const std::uint32_t rate = graphRate(s);
        std::vector<std::string> props;
        props.insert(props.end(),
                     {"node.latency", fmt::format("{}/{}", b, pinned() > 0 ? pinned() : rate)});
        if (settings_.mode == Mode::Force)
            props.insert(props.end(), {"node.force-quantum", fmt::format("{}", b)});
        if (pinned() > 0) {
            const auto r = static_cast<long>(pinned());
            if (settings_.mode == Mode::Force)
                props.insert(props.end(), {"node.force-rate", fmt::format("{}", r)});
            props.insert(props.end(), {"node.rate", fmt::format("1/{}", r)});
        }
        std::vector<const char*> kv, in, out;
        for (const auto& p : props) kv.push_back(p.c_str());
        for (const auto& n : inNames_) in.push_back(n.c_str());
        for (const auto& n : outNames_) out.push_back(n.c_str());
        const std::string description = fmt::format("Foldback {}", kit_->instanceName());
        fbpw_filter_desc desc{};
        desc.node_name = kit_->instanceName().c_str();
        desc.description = description.c_str();
        desc.n_in = static_cast<std::uint32_t>(in.size());
        desc.n_out = static_cast<std::uint32_t>(out.size());
        desc.in_names = in.data();
        desc.out_names = out.data();
        desc.props = kv.data();
        desc.n_props = static_cast<std::uint32_t>(kv.size() / 2);
        char err[256] = {};
        if (fbpw_filter_open(pw_, &desc, err, sizeof err) < 0) {
            if (link_.lost()) fail(ASE_NotPresent, "{}", lostText_);
            fail(ASE_HWMalfunction, "{}", err);
        }
        linked_ = 0;
        if (settings_.autoConnect) link();
        // Links and the Latency parameters they bring are in once the daemon answered.
        fbpw_sync(pw_, 3000);
    }

    void link() {
        // Port ids change when a node is re-created: resolve again by name.
        const Target source = resolveQuietly(source_.node, true);
        const Target sink = resolveQuietly(sink_.node, false);
        for (std::size_t i = 0; i < inNames_.size() && i < source.ports.size(); ++i)
            if (fbpw_filter_link(pw_, 1, static_cast<std::uint32_t>(i), source.ports[i].id) == 0)
                ++linked_;
        for (std::size_t i = 0; i < outNames_.size() && i < sink.ports.size(); ++i)
            if (fbpw_filter_link(pw_, 0, static_cast<std::uint32_t>(i), sink.ports[i].id) == 0)
                ++linked_;
    }

    // ---- the worker ----------------------------------------------------------------------
    // [worker, kit mutex held, streaming] Sizes the kit has not been told (the graph's
    // quantum or clock settings changed). Lock order: the kit mutex, then the loop's.
    void tellSizes() noexcept {
        fbpw_settings s{};
        fbpw_get_settings(pw_, &s);
        const BufferSizes sizes = sizesFor(s, graphQuantum_.load());
        if (!sameSizes(sizes, told_) || sizes.preferred != hostSize_) {
            told_ = sizes;
            hostSize_ = sizes.preferred;
            kit_->bufferSizeChanged(sizes);  // a message only when it differs from the stream's
        }
    }

    // ---- PipeWire's threads ----------------------------------------------------------------
    static void onProcess(void* user, const fbpw_period* p) noexcept {
        static_cast<PipeWireBackend*>(user)->period(*p);
    }
    static void onEvent(void* user, int event) noexcept {
        auto* self = static_cast<PipeWireBackend*>(user);
        switch (event) {
            case FBPW_EVENT_LOST:
                self->link_.markLost();
                break;
            case FBPW_EVENT_SETTINGS:
                self->link_.wake();
                break;
            case FBPW_EVENT_LATENCY:
                self->latencyDirty_.store(true, std::memory_order_release);
                break;
            default:
                break;
        }
    }
    static void ignoreProcess(void*, const fbpw_period*) noexcept {}
    static void ignoreEvent(void*, int) noexcept {}

    void period(const fbpw_period& p) noexcept {
        RtScope scope(rtChecked_);
        const bool open = link_.enter();
        const auto frames = static_cast<long>(p.frames);
        // What the graph runs at, for start() and the worker.
        if (frames != graphQuantum_.load(std::memory_order_relaxed)) {
            graphQuantum_.store(frames, std::memory_order_relaxed);
            if (open) link_.wake();
        }
        graphRate_.store(p.rate, std::memory_order_relaxed);
        unbuffered_.store(p.unbuffered, std::memory_order_relaxed);
        // Cycles in a row on one running clock. A driver node that just started (WirePlumber
        // resumes suspended nodes when we link to them) stamps its first cycle 0, and the
        // graph may regroup the node under another driver a few cycles after activation.
        if (p.clock_id != seenClock_ || p.nsec == 0) {
            seenClock_ = p.clock_id;
            stableCycles_.store(0, std::memory_order_relaxed);
        } else {
            stableCycles_.fetch_add(1, std::memory_order_relaxed);
        }
        cycles_.fetch_add(1, std::memory_order_release);
        if (!open) {
            silence(p);
            link_.leave();
            return;
        }
        const std::int64_t now = monotonicNs();
        // The driver's stamp as is; a clock that is not running yet (0, or nowhere near
        // CLOCK_MONOTONIC) gets the callback's own reading instead.
        std::int64_t timeNs = static_cast<std::int64_t>(p.nsec);
        if (timeNs == 0 || timeNs > now + 1'000'000'000 || timeNs < now - 1'000'000'000)
            timeNs = now;
        if (timeNs <= lastTimeNs_) timeNs = lastTimeNs_ + 1;  // strictly increasing
        lastTimeNs_ = timeNs;
        // clock.position only as a delta. A new driver (clock.id) or a counter that went
        // backwards or leapt by more than 10 s is a reset of the clock, not lost frames.
        const long rate = p.rate ? static_cast<long>(p.rate) : 48000;
        long delta = frames;
        if (!first_ && p.clock_id == lastClock_) {
            const auto d = static_cast<std::int64_t>(p.position - lastPosition_);
            delta = (d <= 0 || d > 10 * static_cast<std::int64_t>(rate)) ? lastFrames_
                                                                         : static_cast<long>(d);
        }
        const bool framesLost = !first_ && delta > lastFrames_;
        // A cycle that starts more than a period after its nominal start: the graph is
        // behind (a device would have had an xrun). One overload per late stretch; lost
        // frames already bring theirs (the kit's position jump).
        const std::int64_t periodNs = static_cast<std::int64_t>(frames) * 1'000'000'000 / rate;
        const bool late = p.nsec != 0 && now - static_cast<std::int64_t>(p.nsec) > periodNs;
        first_ = false;
        lastClock_ = p.clock_id;
        lastPosition_ = p.position;
        lastFrames_ = frames;

        if (late && !wasLate_ && !framesLost) kit_->overload();
        wasLate_ = late;
        if (latencyDirty_.exchange(false, std::memory_order_acq_rel)) kit_->latenciesChanged();
        if (p.rate && p.rate != knownRate_) {
            knownRate_ = p.rate;
            kit_->rateChanged(static_cast<double>(p.rate));
        }
        for (std::size_t c = 0; c < inPtr_.size(); ++c) inPtr_[c] = p.in[c];
        for (std::size_t c = 0; c < outPtr_.size(); ++c) outPtr_[c] = p.out[c];
        kit_->process(DeviceIo{inPtr_.data(), outPtr_.data()}, frames, timeNs, delta);
        link_.leave();
    }

    void silence(const fbpw_period& p) noexcept {
        for (std::size_t c = 0; c < outNames_.size(); ++c)
            if (p.out[c])
                std::memset(p.out[c], 0, static_cast<std::size_t>(p.frames) * sizeof(float));
    }

    // ---- state -------------------------------------------------------------------------
    KitContext* kit_ = nullptr;
    bool rtChecked_ = false;  // rtChecked() (kit/rt_scope.hpp)
    Settings settings_;
    std::string lostText_;
    fbpw* pw_ = nullptr;
    Target source_, sink_;
    std::vector<std::string> inNames_, outNames_;
    double pinnedRate_ = 0;
    bool nodeOpen_ = false;      // createBuffers made the node
    bool feedbackLoop_ = false;  // inputs from the monitor of the sink our outputs feed
    bool creatorSet_ = false;
    FoldbackThreadCreator creator_{nullptr, nullptr};

    // Prepared stream (the control thread writes them only while the window is closed).
    long hostFrames_ = 0;
    double kitRate_ = 0;
    std::vector<const void*> inPtr_;
    std::vector<void*> outPtr_;

    // Data thread.
    bool first_ = true;
    bool wasLate_ = false;
    std::uint32_t lastClock_ = 0;
    std::uint64_t lastPosition_ = 0;
    long lastFrames_ = 0;
    std::int64_t lastTimeNs_ = 0;
    std::uint32_t knownRate_ = 0;

    // Shared.
    EngineLink link_;  // the window into the kit, the worker, the lost daemon (engine_link.hpp)
    std::atomic<long> graphQuantum_{0};
    std::atomic<std::uint32_t> graphRate_{0};
    std::atomic<long long> cycles_{0};
    std::atomic<long> unbuffered_{0};    // ports without a buffer in the last cycle
    std::atomic<long> stableCycles_{0};  // cycles in a row on one running driver clock
    std::uint32_t seenClock_ = 0;        // data thread
    long linked_ = 0;                    // ports linked at createBuffers
    std::atomic<bool> latencyDirty_{false};

    // Under link_.kitMutex() (worker and control threads only, never the data thread).
    BufferSizes told_;   // what the kit reports
    long hostSize_ = 0;  // the size the host has (or was told about)
};

std::unique_ptr<Backend> makeBackend() {
    return std::make_unique<PipeWireBackend>();
}

}  // namespace

}  // namespace foldback::pipewire

FOLDBACK_DRIVER_ENTRY_POINTS("Foldback PipeWire", "PipeWire graph (native node), ASIO-compatible",
                             &foldback::pipewire::makeBackend)
