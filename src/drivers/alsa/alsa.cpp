// The ALSA driver: alsa-lib straight on a PCM (a `hw:` device for the lowest latency: no
// dmix, no plug conversion, no sound server), on the kit's audio thread (Style::Device).
//
// Per period: wait() polls both PCMs until each has a period (capture filled, playback
// room), begin() exposes the period (mmap_begin, or read into a staging period), the kit
// runs the switch and converts, end() commits (mmap_commit, or write).
//
// Start: both PCMs prepared, playback prefilled with a whole buffer of silence, then
// snd_pcm_link'ed and started with one snd_pcm_start where the device supports it (kernel
// hw: devices), from the audio thread's first wait(). Userspace plugins (JACK, PipeWire)
// refuse link: the PCMs are then started back to back, capture first.
//
// Latency (frames, B = buffer size = ALSA period, N = periods per buffer):
//   input  = B + the capture side's delay beyond the ring
//   output = (N - 1) B + the playback side's delay beyond the ring (+ the start offset)
// because the switch that sees capture block n writes output that plays after the N - 1
// periods still queued. Before the start the "delay beyond the ring" is the hw params'
// FIFO size (0 on most devices); over the first periods after each start it is measured:
// snd_pcm_delay(capture) + snd_pcm_delay(playback), read before a period's transfer, is
// the round trip itself (offset of an unlinked start included), so the difference to the
// geometry is reported (kAsioLatenciesChanged when it changes). Unlinked streams keep
// being measured (a sound server can shift one client by a cycle under load).
//
// Xruns (-EPIPE, -ESTRPIPE, a failed transfer): drop, prepare, prefill, start again; the
// next period tells the kit how many periods were lost (Backend::lostPeriods: the position
// jumps, kAsioOverload + kAsioResyncRequest). So is more than the whole buffer's time since
// the last transfer with a ring at its limit (a plugin that reports no overrun). A backlog
// (a late wake-up with more than one period ready in both directions) is delivered back to
// back and reported as late periods. The device
// is lost (kAsioResetRequest; start() then fails, createBuffers opens the device again
// once it is back) on -ENODEV, when no period arrives for
// [alsa] watchdog_ms (the JACK plugin just stops when its server dies), or after
// [alsa] max_recoveries restarts in a row without a period in between (the PipeWire plugin
// returns -EPIPE for ever when its daemon dies).
//
// Reservation: before the PCMs open, the card's org.freedesktop.ReserveDevice1 name is
// acquired on the session bus (reserve.hpp; a sound server that holds it is asked to let
// go), held until close, requests to release it refused meanwhile. Control thread only.
//
// Settings: docs/drivers/alsa.md.
#include <alsa/asoundlib.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "drivers/alsa/devices.hpp"
#include "drivers/alsa/hw_params.hpp"
#include "drivers/alsa/reserve.hpp"
#include "kit/audio_thread.hpp"
#include "kit/backend.hpp"
#include "kit/entry_points.hpp"
#include "kit/error.hpp"

namespace foldback::alsa {

using namespace foldback::kit;

namespace {

constexpr int kCapture = 0;
constexpr int kPlayback = 1;
const char* const kDirection[2] = {"capture", "playback"};
// Above PulseAudio's 0 and WirePlumber's -20 (both give the card up when asked), below
// JACK's INT32_MAX (a running JACK keeps its card): docs/drivers/alsa.md.
constexpr int kDefaultReservePriority = 10;
constexpr int kMeasured = 9;  // periods after a start whose offset and delays are measured (median)

struct Settings {
    std::string pcm[2];  // "" = that direction is off
    Preferences prefs;
    bool link = true;
    long watchdogMs = 1000;
    long maxRecoveries = 8;
    long startGapUs = 0;  // tests only: a pause between the two starts of an unlinked start
    // org.freedesktop.ReserveDevice1: "auto" (kernel cards the PCMs use), "off", or one
    // device name ("Audio1") reserved whatever the PCM.
    std::string reserve = "auto";
    int reservePriority = kDefaultReservePriority;
    int reserveTimeoutMs = 3000;
    std::string appName;  // our ApplicationName: "Foldback (<instance>)"
};

// A D-Bus bus name element: letters, digits, '_' and '-', not starting with a digit.
bool validReserveName(const std::string& n) {
    if (n.empty() || n.size() > 200 || std::isdigit(static_cast<unsigned char>(n[0]))) return false;
    return std::all_of(n.begin(), n.end(),
                       [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '-'; });
}

Settings readSettings(const Config& cfg, const std::string& instance) {
    Settings s;
    // `device` at the top level is what `foldback register --device` writes and `foldback
    // list` looks for; [alsa] device wins.
    std::string top = "hw:0,0";
    if (const auto* n = cfg.table().get("device")) {
        if (!n->is_string())
            fail(ASE_NotPresent, "device must be a string (an ALSA PCM such as hw:CARD=USB,DEV=0)");
        top = *n->value<std::string>();
    }
    const std::string device = cfg.string("alsa", "device", top);
    for (int d = 0; d < 2; ++d) {
        const std::string v = cfg.string("alsa", kDirection[d], "");
        s.pcm[d] = v.empty() ? device : v == "none" ? "" : v;
    }
    if (s.pcm[0].empty() && s.pcm[1].empty())
        fail(ASE_NotPresent, "[alsa] capture and playback are both \"none\": nothing to open");
    const std::string access = cfg.string("alsa", "access", "auto");
    if (access == "auto")
        s.prefs.access = Access::Auto;
    else if (access == "mmap")
        s.prefs.access = Access::Mmap;
    else if (access == "rw")
        s.prefs.access = Access::Rw;
    else
        fail(ASE_NotPresent, "[alsa] access = \"{}\": use \"auto\", \"mmap\" or \"rw\"", access);
    const std::string layout = cfg.string("alsa", "layout", "auto");
    if (layout == "auto")
        s.prefs.layout = Layout::Auto;
    else if (layout == "interleaved")
        s.prefs.layout = Layout::Interleaved;
    else if (layout == "noninterleaved")
        s.prefs.layout = Layout::NonInterleaved;
    else
        fail(ASE_NotPresent,
             "[alsa] layout = \"{}\": use \"auto\", \"interleaved\" or \"noninterleaved\"", layout);
    const std::string format = cfg.string("alsa", "format", "auto");
    s.prefs.format = format == "auto" ? "" : format;
    s.prefs.rate = static_cast<unsigned>(cfg.integer("alsa", "rate", 0, 0, 1'536'000));
    s.prefs.periods = static_cast<unsigned>(cfg.integer("alsa", "periods", 2, 2, 64));
    s.prefs.bufferSize = cfg.integer("alsa", "buffer_size", 256, 16, 8192);
    s.prefs.captureChannels =
        static_cast<unsigned>(cfg.integer("alsa", "capture_channels", 0, 0, 1024));
    s.prefs.playbackChannels =
        static_cast<unsigned>(cfg.integer("alsa", "playback_channels", 0, 0, 1024));
    s.link = cfg.boolean("alsa", "link", true);
    s.watchdogMs = cfg.integer("alsa", "watchdog_ms", 1000, 20, 600'000);
    s.maxRecoveries = cfg.integer("alsa", "max_recoveries", 8, 1, 100'000);
    s.startGapUs = cfg.integer("alsa", "start_gap_us", 0, 0, 100'000);
    s.reserve = cfg.string("alsa", "reserve", "auto");
    if (s.reserve != "auto" && s.reserve != "off" && !validReserveName(s.reserve))
        fail(ASE_NotPresent,
             "[alsa] reserve = \"{}\": use \"auto\", \"off\" or a device name such as \"Audio1\"",
             s.reserve);
    s.reservePriority = static_cast<int>(
        cfg.integer("alsa", "reserve_priority", kDefaultReservePriority, INT32_MIN, INT32_MAX));
    s.reserveTimeoutMs =
        static_cast<int>(cfg.integer("alsa", "reserve_timeout_ms", 3000, 10, 60'000));
    s.appName = fmt::format("Foldback ({})", instance);
    return s;
}

// One direction: the PCM and its period-sized staging (read/write access, or an mmap
// period that wraps or has an unusual layout).
struct Pcm {
    snd_pcm_t* handle = nullptr;
    std::string name;
    unsigned channels = 0;
    Geometry geometry;
    std::vector<std::byte> stage;
    std::vector<snd_pcm_channel_area_t> stageAreas;
    std::vector<void*> stagePtrs;  // readn/writen: one per channel
    int pollCount = 0;
};

}  // namespace

class AlsaBackend final : public Backend {
  public:
    ~AlsaBackend() override { closeAll(); }

    Style style() const noexcept override { return Style::Device; }

    Capabilities open(KitContext& kit) override {
        settings_ = readSettings(kit.config(), kit.instanceName());
        try {
            reserveDevices();
            openPcms();
        } catch (...) {
            closeAll();
            throw;
        }
        try {
            plan_ = negotiate(pcm_[kCapture].handle, pcm_[kPlayback].handle, settings_.prefs);
        } catch (...) {
            closeAll();
            throw;
        }
        wake_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (wake_ < 0) {
            closeAll();
            fail(ASE_HWMalfunction, "eventfd: {}", std::strerror(errno));
        }
        Capabilities c;
        for (unsigned i = 0; i < plan_.channels[kCapture]; ++i)
            c.inputs.push_back({fmt::format("In {}", i + 1), 0});
        for (unsigned i = 0; i < plan_.channels[kPlayback]; ++i)
            c.outputs.push_back({fmt::format("Out {}", i + 1), 0});
        c.sampleType = plan_.format.asio;
        c.bufferSizes = plan_.sizes;
        c.rates = plan_.rates;
        c.rate = plan_.rate;
        return c;
    }

    void close() noexcept override { closeAll(); }

    void setSampleRate(double rate) override {
        const kit::BufferSizes before = plan_.sizes;
        retune(plan_, pcm_[kCapture].handle, pcm_[kPlayback].handle, static_cast<unsigned>(rate),
               settings_.prefs.bufferSize);
        if (period_ > 0) {
            for (int d = 0; d < 2; ++d)
                if (pcm_[d].handle) pcm_[d].geometry = apply(pcm_[d].handle, d, plan_, period_);
            periodNs_ = static_cast<double>(period_) * 1e9 / plan_.rate;
            hiddenXrunNs_ = static_cast<std::int64_t>(periodNs_ * (plan_.periods + 0.5));
            measuredPeriod_.store(0, std::memory_order_release);  // measured at the old rate
        }
        if (before.min != plan_.sizes.min || before.max != plan_.sizes.max ||
            before.granularity != plan_.sizes.granularity ||
            before.preferred != plan_.sizes.preferred)
            context().bufferSizeChanged(plan_.sizes);
    }

    Latency latency(long b) const override {
        // The device's own buffering beyond the ring: measured after the start (what
        // snd_pcm_delay says beyond the ring's fill, and for an unlinked start the offset
        // between the two), else the FIFO size of its hw params.
        const bool measured = measuredPeriod_.load(std::memory_order_acquire) == b && b > 0;
        const long extraIn = measured ? extraIn_.load(std::memory_order_relaxed)
                                      : static_cast<long>(pcm_[kCapture].geometry.fifo);
        const long extraOut = measured ? extraOut_.load(std::memory_order_relaxed)
                                       : static_cast<long>(pcm_[kPlayback].geometry.fifo);
        const long periods = static_cast<long>(plan_.periods);
        Latency l;
        l.input = std::max(0L, b + extraIn);
        l.output = std::max(0L, (periods - 1) * b + extraOut);
        l.internalInput = std::max(0L, l.input - b);
        l.internalOutput = std::max(0L, l.output - b);
        return l;
    }

    DeviceLayout layout() const override {
        DeviceLayout l;
        l.asioNative = plan_.format.native && !plan_.interleaved;
        l.interleaved = plan_.interleaved;
        l.format = plan_.format.device;
        return l;
    }

    void prepare(const StreamSetup& setup) override {
        if (lost_.load(std::memory_order_acquire)) {
            try {
                reopen();
            } catch (const Error& e) {
                const char* why = lostWhy_.load(std::memory_order_acquire);
                fail(e.code(), "{}; it is not back: {}", why ? why : "the ALSA device was lost",
                     e.what());
            }
        }
        period_ = setup.bufferSize;
        const std::size_t bytes =
            static_cast<std::size_t>(snd_pcm_format_physical_width(plan_.format.alsa) / 8);
        bits_ = static_cast<unsigned>(bytes * 8);
        for (int d = 0; d < 2; ++d) {
            Pcm& p = pcm_[d];
            if (!p.handle) continue;
            p.geometry = apply(p.handle, d, plan_, period_);
            p.channels = plan_.channels[d];
            const std::size_t frames = static_cast<std::size_t>(period_);
            p.stage.assign(frames * p.channels * bytes, std::byte{0});
            p.stageAreas.resize(p.channels);
            p.stagePtrs.resize(p.channels);
            for (unsigned c = 0; c < p.channels; ++c) {
                auto& a = p.stageAreas[c];
                if (plan_.interleaved) {
                    a.addr = p.stage.data();
                    a.first = c * bits_;
                    a.step = p.channels * bits_;
                } else {
                    a.addr = p.stage.data() + c * frames * bytes;
                    a.first = 0;
                    a.step = bits_;
                }
                p.stagePtrs[c] = a.addr;
            }
            p.pollCount = snd_pcm_poll_descriptors_count(p.handle);
            if (p.pollCount < 0) p.pollCount = 0;
        }
        const unsigned in = pcm_[kCapture].channels, out = pcm_[kPlayback].channels;
        stageIn_.assign(plan_.interleaved ? 1 : in, nullptr);
        stageOut_.assign(plan_.interleaved ? 1 : out, nullptr);
        for (std::size_t c = 0; c < stageIn_.size(); ++c) stageIn_[c] = pcm_[kCapture].stagePtrs[c];
        for (std::size_t c = 0; c < stageOut_.size(); ++c)
            stageOut_[c] = pcm_[kPlayback].stagePtrs[c];
        directIn_.assign(stageIn_.size(), nullptr);
        directOut_.assign(stageOut_.size(), nullptr);
        fds_.assign(static_cast<std::size_t>(1 + pcm_[0].pollCount + pcm_[1].pollCount), pollfd{});
        periodNs_ = static_cast<double>(period_) * 1e9 / plan_.rate;
        hiddenXrunNs_ = static_cast<std::int64_t>(periodNs_ * (plan_.periods + 0.5));
        const std::string names = pcm_[0].handle && pcm_[1].handle && pcm_[0].name != pcm_[1].name
                                      ? pcm_[0].name + "' / '" + pcm_[1].name
                                      : (pcm_[0].handle ? pcm_[0].name : pcm_[1].name);
        msgGone_ = fmt::format("ALSA device '{}' is gone", names);
        msgStalled_ =
            fmt::format("ALSA device '{}' stalled for {} ms", names, settings_.watchdogMs);
        msgRecoveries_ = fmt::format("ALSA device '{}' failed {} xrun recoveries in a row", names,
                                     settings_.maxRecoveries);
    }

    void unprepare() noexcept override {
        for (auto& p : pcm_)
            if (p.handle) snd_pcm_hw_free(p.handle);
        period_ = 0;
    }

    void start() override {
        drainWake();
        stopRequested_.store(false, std::memory_order_release);
        for (int d = 0; d < 2; ++d) {
            Pcm& p = pcm_[d];
            if (!p.handle) continue;
            snd_pcm_drop(p.handle);
            const int r = snd_pcm_prepare(p.handle);
            if (r < 0) failDevice(d, "prepare", r);
        }
        linked_ = false;
        if (settings_.link && pcm_[0].handle && pcm_[1].handle)
            linked_ = snd_pcm_link(pcm_[0].handle, pcm_[1].handle) == 0;
        const int r = prefill();
        if (r < 0) failDevice(kPlayback, "prefill", r);
        started_ = false;
        firstStartNs_ = 0;
        lastProgressNs_ = 0;
        lastReadyNs_ = 0;
        restarted_ = false;
        delivered_ = false;
        lostPeriods_ = 0;
        latePeriods_ = 0;
        behind_ = false;
        discard_ = 0;
        pendingError_ = 0;
        failedRecoveries_ = 0;
        spurious_ = 0;
        measureCount_ = 0;  // offset and delays: the last start's until measured again
    }

    void stop() noexcept override {
        for (auto& p : pcm_)
            if (p.handle) snd_pcm_drop(p.handle);
        if (linked_) snd_pcm_unlink(pcm_[0].handle);
        linked_ = false;
    }

    void interruptWait() noexcept override {
        stopRequested_.store(true, std::memory_order_release);
        if (wake_ >= 0) {
            const std::uint64_t one = 1;
            (void)!::write(wake_, &one, sizeof one);
        }
    }

    // ---- the audio thread ----------------------------------------------------------------
    WaitResult wait() noexcept override {
        for (;;) {
            if (stopRequested_.load(std::memory_order_acquire)) return WaitResult::Stopped;
            if (pendingError_) {
                const int e = pendingError_;
                pendingError_ = 0;
                if (!recover(e)) return WaitResult::Lost;
                continue;
            }
            if (!started_) startDevice();
            if (pendingError_) continue;
            const std::int64_t now = monotonicNs();
            if (now - lastProgressNs_ > settings_.watchdogMs * 1'000'000)
                return lose(msgStalled_.c_str());

            constexpr snd_pcm_sframes_t kAbsent = 1L
                                                  << 40;  // a direction that is off is always ready
            snd_pcm_sframes_t avail[2] = {kAbsent, kAbsent};
            int error = 0;
            for (int d = 0; d < 2 && !error; ++d)
                if (pcm_[d].handle) {
                    avail[d] = snd_pcm_avail(pcm_[d].handle);
                    if (avail[d] < 0) error = static_cast<int>(avail[d]);
                }
            if (error) {
                if (!recover(error)) return WaitResult::Lost;
                continue;
            }
            if (avail[0] >= period_ && avail[1] >= period_) {
                auto atLimit = [&](int d) {
                    return pcm_[d].handle &&
                           avail[d] >= static_cast<snd_pcm_sframes_t>(pcm_[d].geometry.buffer);
                };
                if (now - lastTransferNs_ > hiddenXrunNs_ &&
                    (atLimit(kCapture) || atLimit(kPlayback))) {
                    // Longer than the whole buffer since the last transfer, and a ring is
                    // at its limit (capture full, playback empty): the device ran over,
                    // whether it says so or not (PipeWire's plugin does not report capture
                    // overruns). The clock alone is not enough: when the whole machine
                    // stalls, a sound server stalls with us and nothing was lost.
                    if (!recover(-EPIPE)) return WaitResult::Lost;
                    continue;
                }
                lastTransferNs_ = now;
                if (discard_ > 0) {
                    discardPeriod();
                    --discard_;
                    lastReadyNs_ = lastProgressNs_ = now;
                    continue;
                }
                // More than this period ready in both directions: a late wake-up; the next
                // waits return at once. Reported once per late wake-up.
                const long backlog = static_cast<long>(std::min(avail[0], avail[1]) / period_) - 1;
                if (backlog > 0 && !behind_) latePeriods_ = backlog;
                behind_ = backlog > 0;
                if (measureCount_ < kMeasured)
                    measureStart();
                else if (!linked_ && pcm_[0].handle && pcm_[1].handle)
                    trackRoundTrip();
                if (restarted_) {
                    // The device ran on while it was stopped: the periods it would have
                    // played. Before the first period nothing was lost: the stream just
                    // starts later, at position 0.
                    const long elapsed = static_cast<long>(
                        std::llround(static_cast<double>(now - lastReadyNs_) / periodNs_));
                    if (delivered_) lostPeriods_ = std::max(1L, elapsed - 1);
                    restarted_ = false;
                }
                delivered_ = true;
                lastReadyNs_ = now;
                lastProgressNs_ = now;
                failedRecoveries_ = 0;
                spurious_ = 0;
                return WaitResult::Ready;
            }

            // Sleep until the PCMs that are not ready are, or stop, or the watchdog.
            std::size_t n = 0;
            fds_[n++] = pollfd{wake_, POLLIN, 0};
            int at[2] = {-1, -1};
            for (int d = 0; d < 2; ++d) {
                Pcm& p = pcm_[d];
                if (!p.handle || avail[d] >= period_ || p.pollCount == 0) continue;
                at[d] = static_cast<int>(n);
                n += static_cast<std::size_t>(
                    std::max(0, snd_pcm_poll_descriptors(p.handle, &fds_[n],
                                                         static_cast<unsigned>(p.pollCount))));
            }
            const std::int64_t left = settings_.watchdogMs * 1'000'000 - (now - lastProgressNs_);
            const int timeoutMs =
                static_cast<int>(std::clamp<std::int64_t>(left / 1'000'000 + 1, 1, 600'000));
            const int r = poll(fds_.data(), static_cast<nfds_t>(n), timeoutMs);
            if (r < 0 && errno != EINTR) return lose(msgGone_.c_str());
            if (r <= 0) continue;
            if (fds_[0].revents) return WaitResult::Stopped;
            bool progress = false;
            for (int d = 0; d < 2; ++d) {
                if (at[d] < 0) continue;
                unsigned short revents = 0;
                snd_pcm_poll_descriptors_revents(
                    pcm_[d].handle, &fds_[static_cast<std::size_t>(at[d])],
                    static_cast<unsigned>(pcm_[d].pollCount), &revents);
                if (revents & (POLLIN | POLLOUT)) progress = true;
                if (revents & (POLLERR | POLLNVAL)) {
                    switch (snd_pcm_state(pcm_[d].handle)) {
                        case SND_PCM_STATE_DISCONNECTED:
                            return lose(msgGone_.c_str());
                        case SND_PCM_STATE_XRUN:
                            pendingError_ = -EPIPE;
                            break;
                        case SND_PCM_STATE_SUSPENDED:
                            pendingError_ = -ESTRPIPE;
                            break;
                        default:
                            break;
                    }
                }
            }
            if (!progress && !pendingError_ && ++spurious_ > 64) {
                // A descriptor that keeps waking without progress: do not spin the core.
                struct timespec ts {
                    0, 100'000
                };
                nanosleep(&ts, nullptr);
            }
        }
    }

    long lostPeriods() noexcept override {
        const long n = lostPeriods_;
        lostPeriods_ = 0;
        return n;
    }

    DeviceIo begin() noexcept override {
        DeviceIo io;
        if (pcm_[kCapture].handle) io.in = captureBegin();
        if (pcm_[kPlayback].handle) io.out = playbackBegin();
        return io;
    }

    void end() noexcept override {
        captureEnd();
        playbackEnd();
    }

    void skip(long periods) noexcept override { discard_ += periods; }
    long latePeriods() noexcept override {
        const long n = latePeriods_;
        latePeriods_ = 0;
        return n;
    }

    // No lostMessage(): queries keep working on a lost device, start() says it is gone, and
    // createBuffers (prepare) opens the device again when it is back.
    bool deviceLost() const noexcept override { return lost_.load(std::memory_order_acquire); }

    std::vector<DeviceCandidate> discover() const override { return discoverCards(); }

  private:
    void captureEnd() noexcept {
        if (!captureCommit_) return;
        const snd_pcm_sframes_t c = snd_pcm_mmap_commit(pcm_[kCapture].handle, captureOffset_,
                                                        static_cast<snd_pcm_uframes_t>(period_));
        if (c != period_) note(c < 0 ? static_cast<int>(c) : -EPIPE);
        captureCommit_ = false;
    }

    void playbackEnd() noexcept {
        const auto period = static_cast<snd_pcm_uframes_t>(period_);
        Pcm& p = pcm_[kPlayback];
        if (!p.handle) return;
        if (playbackDirect_) {
            const snd_pcm_sframes_t c = snd_pcm_mmap_commit(p.handle, playbackOffset_, period);
            if (c != period_) note(c < 0 ? static_cast<int>(c) : -EPIPE);
            playbackDirect_ = false;
        } else if (plan_.mmap[kPlayback]) {
            snd_pcm_uframes_t done = 0;
            while (done < period) {
                const snd_pcm_channel_area_t* areas = nullptr;
                snd_pcm_uframes_t offset = 0, frames = period - done;
                int r = snd_pcm_mmap_begin(p.handle, &areas, &offset, &frames);
                if (r < 0 || frames == 0) {
                    note(r < 0 ? r : -EPIPE);
                    break;
                }
                snd_pcm_areas_copy(areas, offset, p.stageAreas.data(), done, p.channels, frames,
                                   plan_.format.alsa);
                const snd_pcm_sframes_t c = snd_pcm_mmap_commit(p.handle, offset, frames);
                if (c < 0 || static_cast<snd_pcm_uframes_t>(c) != frames) {
                    note(c < 0 ? static_cast<int>(c) : -EPIPE);
                    break;
                }
                done += frames;
            }
        } else {
            const snd_pcm_sframes_t w = plan_.interleaved
                                            ? snd_pcm_writei(p.handle, p.stage.data(), period)
                                            : snd_pcm_writen(p.handle, p.stagePtrs.data(), period);
            if (w != period_) note(w < 0 ? static_cast<int>(w) : -EPIPE);
        }
    }

    // A period nobody hears (Backend::skip): capture dropped, silence played.
    void discardPeriod() noexcept {
        if (pcm_[kCapture].handle) {
            (void)captureBegin();
            captureEnd();
        }
        if (pcm_[kPlayback].handle) {
            void* const* out = playbackBegin();
            const std::size_t bytes = static_cast<std::size_t>(period_) * (bits_ / 8);
            const unsigned channels = pcm_[kPlayback].channels;
            if (plan_.interleaved)
                std::memset(out[0], 0, bytes * channels);
            else
                for (unsigned c = 0; c < channels; ++c) std::memset(out[c], 0, bytes);
            playbackEnd();
        }
    }

    // ---- control thread ---------------------------------------------------------------------
    // Before the PCMs open: the reservation of each kernel card they use ([alsa] reserve =
    // "auto") or of the one named, when a session bus exists. A holder that refuses (or does
    // not answer) fails the open with its name and how to free the device; no bus, or a bus
    // that errs, opens the PCMs as before (the kernel's EBUSY still says who holds them).
    // Held until close(); requests to release are refused meanwhile.
    void reserveDevices() {
        if (!reservations_.empty() || settings_.reserve == "off") return;
        std::vector<std::string> names;
        std::string pcms;
        for (const auto& pcm : settings_.pcm) {
            if (pcm.empty()) continue;
            if (&pcm == &settings_.pcm[0] || pcm != settings_.pcm[0])
                pcms += (pcms.empty() ? "" : " / ") + pcm;
            const std::string n =
                settings_.reserve == "auto" ? reservationNameFor(pcm) : settings_.reserve;
            if (!n.empty() && std::find(names.begin(), names.end(), n) == names.end())
                names.push_back(n);
        }
        if (names.empty() || sessionBusAddress().empty()) return;
        for (const auto& n : names) {
            auto r = std::make_unique<Reservation>();
            ReserveRequest q;
            q.device = n;
            q.appName = settings_.appName;
            q.appDeviceName = pcms;
            q.priority = settings_.reservePriority;
            q.timeoutMs = settings_.reserveTimeoutMs;
            const ReserveResult res = r->acquire(q);
            if (res.outcome == ReserveResult::Outcome::Acquired)
                reservations_.push_back(std::move(r));
            else if (res.outcome == ReserveResult::Outcome::Refused) {
                reservations_.clear();
                fail(ASE_NotPresent, "{}", res.text);
            }
        }
    }

    void openPcms() {
        for (int d = 0; d < 2; ++d) {
            Pcm& p = pcm_[d];
            p.name = settings_.pcm[d];
            if (p.name.empty()) continue;
            const bool capture = d == kCapture;
            const int r = snd_pcm_open(&p.handle, p.name.c_str(),
                                       capture ? SND_PCM_STREAM_CAPTURE : SND_PCM_STREAM_PLAYBACK,
                                       SND_PCM_NONBLOCK);
            if (r >= 0) continue;
            p.handle = nullptr;
            closePcms();
            if (r == -EBUSY) fail(ASE_NotPresent, "{}", busyText(p.name, capture));
            if (r == -ENOENT || r == -ENODEV || r == -ENXIO)
                fail(ASE_NotPresent,
                     "no ALSA {} PCM '{}' ({}); `foldback list` shows the devices; set [alsa] "
                     "device",
                     kDirection[d], p.name, snd_strerror(r));
            fail(ASE_NotPresent, "cannot open ALSA PCM '{}' for {}: {}", p.name, kDirection[d],
                 snd_strerror(r));
        }
    }

    // The same instance after its device was lost (a host that re-creates its buffers
    // after kAsioResetRequest): open the PCMs again; they must take the same plan.
    void reopen() {
        closePcms();
        reserveDevices();
        openPcms();
        Plan again = negotiate(pcm_[kCapture].handle, pcm_[kPlayback].handle, settings_.prefs);
        if (again.format.alsa != plan_.format.alsa || again.channels[0] != plan_.channels[0] ||
            again.channels[1] != plan_.channels[1])
            fail(ASE_NotPresent, "the ALSA device came back different; re-open the driver");
        const unsigned rate = plan_.rate;
        plan_ = std::move(again);
        if (rate != plan_.rate)
            retune(plan_, pcm_[kCapture].handle, pcm_[kPlayback].handle, rate,
                   settings_.prefs.bufferSize);
        lost_.store(false, std::memory_order_release);
    }

    void closePcms() noexcept {
        for (auto& p : pcm_)
            if (p.handle) {
                snd_pcm_close(p.handle);
                p.handle = nullptr;
            }
    }

    void closeAll() noexcept {
        closePcms();
        reservations_.clear();  // the names back to the bus, after the device is closed
        if (wake_ >= 0) {
            ::close(wake_);
            wake_ = -1;
        }
    }

    [[noreturn]] void failDevice(int d, const char* what, int r) {
        if (r == -ENODEV) lose(msgGone_.c_str());
        fail(ASE_HWMalfunction, "ALSA PCM '{}' ({}): {} failed: {}", pcm_[d].name, kDirection[d],
             what, snd_strerror(r));
    }

    void drainWake() noexcept {
        std::uint64_t v;
        while (wake_ >= 0 && ::read(wake_, &v, sizeof v) > 0) {
        }
    }

    // ---- audio thread (and start()) ------------------------------------------------------------
    // A whole buffer of silence in front of the first period (both access kinds).
    int prefill() noexcept {
        Pcm& p = pcm_[kPlayback];
        if (!p.handle) return 0;
        snd_pcm_uframes_t left = p.geometry.buffer;
        if (plan_.mmap[kPlayback]) {
            while (left > 0) {
                const snd_pcm_channel_area_t* areas = nullptr;
                snd_pcm_uframes_t offset = 0, frames = left;
                const int r = snd_pcm_mmap_begin(p.handle, &areas, &offset, &frames);
                if (r < 0) return r;
                if (frames == 0) break;
                snd_pcm_areas_silence(areas, offset, p.channels, frames, plan_.format.alsa);
                const snd_pcm_sframes_t c = snd_pcm_mmap_commit(p.handle, offset, frames);
                if (c < 0) return static_cast<int>(c);
                if (c == 0) break;
                left -= static_cast<snd_pcm_uframes_t>(c);
            }
            return 0;
        }
        std::fill(p.stage.begin(), p.stage.end(), std::byte{0});
        while (left > 0) {
            const snd_pcm_uframes_t n =
                std::min<snd_pcm_uframes_t>(left, static_cast<snd_pcm_uframes_t>(period_));
            const snd_pcm_sframes_t w = plan_.interleaved
                                            ? snd_pcm_writei(p.handle, p.stage.data(), n)
                                            : snd_pcm_writen(p.handle, p.stagePtrs.data(), n);
            if (w < 0) return static_cast<int>(w);
            if (w == 0) break;
            left -= static_cast<snd_pcm_uframes_t>(w);
        }
        return 0;
    }

    // Linked: one start for both. Otherwise capture, then playback at once after it.
    void startDevice() noexcept {
        int r = 0;
        if (linked_) {
            r = snd_pcm_start(pcm_[kCapture].handle);
        } else {
            if (pcm_[kCapture].handle) r = snd_pcm_start(pcm_[kCapture].handle);
            if (settings_.startGapUs > 0 && pcm_[kCapture].handle && pcm_[kPlayback].handle) {
                struct timespec ts {
                    0, settings_.startGapUs * 1000
                };  // tests: a wider offset
                nanosleep(&ts, nullptr);
            }
            if (r >= 0 && pcm_[kPlayback].handle) r = snd_pcm_start(pcm_[kPlayback].handle);
        }
        started_ = true;
        const std::int64_t now = monotonicNs();
        lastTransferNs_ = now;
        if (firstStartNs_ == 0) {
            firstStartNs_ = now;
            lastProgressNs_ = now;
            lastReadyNs_ = now;
        }
        measureCount_ = 0;
        windowCount_ = 0;
        if (r < 0) note(r);
    }

    void note(int err) noexcept {
        if (!pendingError_) pendingError_ = err;
    }

    // An xrun or a failed call: restart the stream. False when the device is lost.
    bool recover(int err) noexcept {
        if (err == -ENODEV || err == -EBADFD) {
            lose(msgGone_.c_str());
            return false;
        }
        if (++failedRecoveries_ > settings_.maxRecoveries) {
            lose(msgRecoveries_.c_str());
            return false;
        }
        if (failedRecoveries_ > 1) {
            // Restarts that bring no period: back off a little each time.
            const double ns = periodNs_ * static_cast<double>(std::min(failedRecoveries_, 10L));
            struct timespec ts {
                0, static_cast<long>(std::min(ns, 500e6))
            };
            nanosleep(&ts, nullptr);
        }
        for (auto& p : pcm_) {
            if (!p.handle) continue;
            if (snd_pcm_state(p.handle) == SND_PCM_STATE_SUSPENDED) {
                for (int i = 0; i < 100 && snd_pcm_resume(p.handle) == -EAGAIN; ++i) {
                    struct timespec ts {
                        0, 5'000'000
                    };
                    nanosleep(&ts, nullptr);
                }
            }
            snd_pcm_drop(p.handle);
        }
        for (auto& p : pcm_) {
            if (!p.handle) continue;
            const int r = snd_pcm_prepare(p.handle);
            if (r == -ENODEV) {
                lose(msgGone_.c_str());
                return false;
            }
            if (r < 0) return true;  // counted; tried again from wait()
        }
        const int r = prefill();
        if (r == -ENODEV) {
            lose(msgGone_.c_str());
            return false;
        }
        captureCommit_ = playbackDirect_ = false;
        started_ = false;
        restarted_ = true;
        if (r < 0) note(r);
        return true;
    }

    WaitResult lose(const char* why) noexcept {
        lostWhy_.store(why, std::memory_order_release);
        lost_.store(true, std::memory_order_release);
        return WaitResult::Lost;
    }

    // After each start, over the first periods: the device's buffering beyond the ring.
    // With both directions the sum of the two snd_pcm_delay()s, read before a period's
    // transfer, IS the round trip: a sample written now at playback appl position x plays
    // when the playback pointer reaches it and is captured then; with the appl pointers a
    // whole buffer apart (the prefill) that works out to delay(capture) + delay(playback),
    // whatever the start offset of an unlinked start, and a sound server that interpolates
    // both delays in time keeps the sum steady. The capture part is what capture delay says
    // beyond the frames ready; the playback part is the rest. Medians of kMeasured reads,
    // each repeated until no pointer moved in between.
    void measureStart() noexcept {
        snd_pcm_t* cap = pcm_[kCapture].handle;
        snd_pcm_t* play = pcm_[kPlayback].handle;
        const auto buffer = static_cast<snd_pcm_sframes_t>(pcm_[kPlayback].geometry.buffer);
        for (int tries = 0; tries < 4; ++tries) {
            snd_pcm_sframes_t c1 = 0, p1 = 0, c2 = 0, p2 = 0, dc = 0, dp = 0;
            if (cap && ((c1 = snd_pcm_avail(cap)) < 0 || snd_pcm_delay(cap, &dc) < 0)) return;
            if (play && ((p1 = snd_pcm_avail(play)) < 0 || snd_pcm_delay(play, &dp) < 0)) return;
            if (cap) c2 = snd_pcm_avail(cap);
            if (play) p2 = snd_pcm_avail(play);
            if (c1 != c2 || p1 != p2) continue;
            samples_[0][measureCount_] = static_cast<long>(dc - c1);
            samples_[1][measureCount_] = static_cast<long>(dp - (buffer - p1));
            samples_[2][measureCount_] = static_cast<long>(dc + dp);
            ++measureCount_;
            break;
        }
        if (measureCount_ < kMeasured) return;
        const long periods = static_cast<long>(plan_.periods);
        long in = 0, out = 0;
        if (cap) in = std::max(0L, median(samples_[0]));
        if (play)
            out = cap ? median(samples_[2]) - periods * period_ - in
                      : std::max(0L, median(samples_[1]));
        publish(in, out);
    }

    // Unlinked, after the start: the two can still drift apart (a sound server that skips
    // one client for a cycle under load): every kMeasured periods the median of the
    // delay sum becomes the reported round trip when it changed.
    void trackRoundTrip() noexcept {
        snd_pcm_sframes_t dc = 0, dp = 0;
        if (snd_pcm_delay(pcm_[kCapture].handle, &dc) < 0 ||
            snd_pcm_delay(pcm_[kPlayback].handle, &dp) < 0)
            return;
        window_[windowCount_++ % kMeasured] = static_cast<long>(dc + dp);
        if (windowCount_ % kMeasured != 0) return;
        const long in = extraIn_.load(std::memory_order_relaxed);
        const long out = median(window_) - static_cast<long>(plan_.periods) * period_ - in;
        // A sound server's plugin interpolates its delay in time (PipeWire's reads move by a
        // frame or two around the true value): only a real shift, a server cycle, is news.
        if (std::labs(out - extraOut_.load(std::memory_order_relaxed)) <=
            std::max(2L, period_ / 16))
            return;
        publish(in, out);
    }

    static long median(const long (&v)[kMeasured]) noexcept {
        long sorted[kMeasured];
        std::copy(v, v + kMeasured, sorted);
        std::sort(sorted, sorted + kMeasured);
        return sorted[kMeasured / 2];
    }

    // New measured extras: reported from now on; kAsioLatenciesChanged when the
    // latencies the host may have read differ.
    void publish(long in, long out) noexcept {
        const Latency before = latency(period_);
        extraIn_.store(in, std::memory_order_relaxed);
        extraOut_.store(out, std::memory_order_relaxed);
        measuredPeriod_.store(period_, std::memory_order_release);
        const Latency after = latency(period_);
        if (before.input != after.input || before.output != after.output)
            context().latenciesChanged();
    }

    template <typename Ptr>
    bool directPointers(const Pcm& p, const snd_pcm_channel_area_t* areas, snd_pcm_uframes_t offset,
                        std::vector<Ptr>& out) noexcept {
        if (plan_.interleaved) {
            const auto& a0 = areas[0];
            if (a0.first % 8 != 0 || a0.step != p.channels * bits_) return false;
            for (unsigned c = 1; c < p.channels; ++c)
                if (areas[c].addr != a0.addr || areas[c].first != a0.first + c * bits_ ||
                    areas[c].step != a0.step)
                    return false;
            out[0] = static_cast<std::byte*>(a0.addr) + a0.first / 8 + offset * (a0.step / 8);
            return true;
        }
        for (unsigned c = 0; c < p.channels; ++c) {
            const auto& a = areas[c];
            if (a.first % 8 != 0 || a.step != bits_) return false;
            out[c] = static_cast<std::byte*>(a.addr) + a.first / 8 + offset * (bits_ / 8);
        }
        return true;
    }

    const void* const* captureBegin() noexcept {
        Pcm& p = pcm_[kCapture];
        const auto period = static_cast<snd_pcm_uframes_t>(period_);
        captureCommit_ = false;
        if (plan_.mmap[kCapture]) {
            const snd_pcm_channel_area_t* areas = nullptr;
            snd_pcm_uframes_t offset = 0, frames = period;
            int r = snd_pcm_mmap_begin(p.handle, &areas, &offset, &frames);
            if (r >= 0 && frames == period && directPointers(p, areas, offset, directIn_)) {
                captureOffset_ = offset;
                captureCommit_ = true;
                return directIn_.data();
            }
            // Wrapped (or an odd layout): copy into the staging period, piece by piece.
            snd_pcm_uframes_t done = 0;
            while (r >= 0 && frames > 0) {
                snd_pcm_areas_copy(p.stageAreas.data(), done, areas, offset, p.channels, frames,
                                   plan_.format.alsa);
                const snd_pcm_sframes_t c = snd_pcm_mmap_commit(p.handle, offset, frames);
                if (c < 0 || static_cast<snd_pcm_uframes_t>(c) != frames) {
                    r = c < 0 ? static_cast<int>(c) : -EPIPE;
                    break;
                }
                done += frames;
                if (done >= period) break;
                frames = period - done;
                r = snd_pcm_mmap_begin(p.handle, &areas, &offset, &frames);
            }
            if (done < period) {
                snd_pcm_areas_silence(p.stageAreas.data(), done, p.channels, period - done,
                                      plan_.format.alsa);
                note(r < 0 ? r : -EPIPE);
            }
            return stageIn_.data();
        }
        const snd_pcm_sframes_t n = plan_.interleaved
                                        ? snd_pcm_readi(p.handle, p.stage.data(), period)
                                        : snd_pcm_readn(p.handle, p.stagePtrs.data(), period);
        if (n != period_) {
            const snd_pcm_uframes_t got = n > 0 ? static_cast<snd_pcm_uframes_t>(n) : 0;
            snd_pcm_areas_silence(p.stageAreas.data(), got, p.channels, period - got,
                                  plan_.format.alsa);
            note(n < 0 ? static_cast<int>(n) : -EPIPE);
        }
        return stageIn_.data();
    }

    void* const* playbackBegin() noexcept {
        Pcm& p = pcm_[kPlayback];
        playbackDirect_ = false;
        if (plan_.mmap[kPlayback]) {
            const snd_pcm_channel_area_t* areas = nullptr;
            snd_pcm_uframes_t offset = 0, frames = static_cast<snd_pcm_uframes_t>(period_);
            const int r = snd_pcm_mmap_begin(p.handle, &areas, &offset, &frames);
            if (r >= 0 && frames == static_cast<snd_pcm_uframes_t>(period_) &&
                directPointers(p, areas, offset, directOut_)) {
                playbackOffset_ = offset;
                playbackDirect_ = true;
                return directOut_.data();
            }
            // Otherwise end() copies the staging period in, piece by piece.
        }
        return stageOut_.data();
    }

    Settings settings_;
    std::vector<std::unique_ptr<Reservation>> reservations_;
    Plan plan_;
    Pcm pcm_[2];
    long period_ = 0;
    unsigned bits_ = 32;
    double periodNs_ = 1e6;
    int wake_ = -1;
    std::atomic<bool> stopRequested_{false};
    bool linked_ = false;
    std::vector<pollfd> fds_;
    std::vector<const void*> stageIn_, directIn_;
    std::vector<void*> stageOut_, directOut_;

    // Audio thread state.
    bool started_ = false;
    bool restarted_ = false;
    bool delivered_ = false;
    int pendingError_ = 0;
    long failedRecoveries_ = 0;
    long lostPeriods_ = 0;
    long latePeriods_ = 0;
    bool behind_ = false;
    long discard_ = 0;
    long spurious_ = 0;
    std::int64_t firstStartNs_ = 0, lastProgressNs_ = 0, lastReadyNs_ = 0, lastTransferNs_ = 0;
    std::int64_t hiddenXrunNs_ = 0;
    bool captureCommit_ = false, playbackDirect_ = false;
    snd_pcm_uframes_t captureOffset_ = 0, playbackOffset_ = 0;
    long samples_[3][kMeasured] = {};  // capture extra, playback extra, delay sum
    int measureCount_ = 0;
    long window_[kMeasured] = {};
    long windowCount_ = 0;
    std::atomic<long> extraIn_{0}, extraOut_{0};
    std::atomic<long> measuredPeriod_{0};  // the buffer size extraIn_/extraOut_ are for

    std::atomic<bool> lost_{false};
    std::atomic<const char*> lostWhy_{nullptr};
    std::string msgGone_, msgStalled_, msgRecoveries_;
};

namespace {
std::unique_ptr<Backend> makeBackend() {
    return std::make_unique<AlsaBackend>();
}
}  // namespace

}  // namespace foldback::alsa

FOLDBACK_DRIVER_ENTRY_POINTS("Foldback ALSA", "ALSA device (hw:), direct, ASIO-compatible",
                             &foldback::alsa::makeBackend)
