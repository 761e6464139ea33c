// bench_alsa: wake-up jitter and xruns per minute of the ALSA driver beside a raw
// alsa-lib duplex loop, through the same PCMs, at the same period sizes.
//
//   bench_alsa --capture PCM --playback PCM [--sizes 16,32,64] [--seconds 20] [--periods 2]
//              [--priority 70]
//
// raw:    this file's own loop: both PCMs opened, hw params for FLOAT_LE read/write
//         interleaved, linked when they take it, playback prefilled, started; then on a
//         SCHED_FIFO thread: poll both -> readi one period -> copy to the output -> writei;
//         -EPIPE / -ESTRPIPE -> prepare, prefill, start again (an xrun).
// driver: the ALSA driver loaded as a host loads it (a private registry instance with the
//         same PCMs, periods and size); the host's bufferSwitch only copies input to output
//         and stamps CLOCK_MONOTONIC; xruns = the driver's restarts (its resync counter: one
//         per recovery, the event the raw loop counts); overloads = every kAsioOverload,
//         which also counts late wake-ups (more than one period ready at once).
//
// Jitter: |interval between wake-ups - nominal period| (raw: returns from poll with both
// PCMs ready; driver: bufferSwitch entries). Prints one table row per size and mode, and the
// ratios driver / raw.
#include <alsa/asoundlib.h>
#include <dlfcn.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "foldback/asio.h"
#include "foldback/driver.h"

namespace fs = std::filesystem;

namespace {

std::int64_t nowNs() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

struct Options {
    std::string capture, playback;
    std::vector<long> sizes{16, 32, 64};
    double seconds = 20;
    unsigned periods = 2;
    int priority = 70;
    unsigned rate = 48000;
};

struct Result {
    bool ok = false;
    std::string problem;
    long size = 0;
    std::vector<std::int64_t> wakes;
    long long xruns = 0;      // restarts of the stream
    long long overloads = 0;  // kAsioOverload (driver); the restarts (raw)
    bool lost = false;        // the driver asked for a reset (device lost)
    double seconds = 0;
};

struct Stats {
    double p50 = 0, p99 = 0, max = 0;  // µs
    double xrunsPerMinute = 0;
    double overloadsPerMinute = 0;
    long long wakes = 0;
};

Stats stats(const Result& r, unsigned rate) {
    Stats s;
    std::vector<double> j;
    const double nominal = 1e9 * static_cast<double>(r.size) / rate;
    for (std::size_t k = 1; k < r.wakes.size(); ++k)
        j.push_back(std::fabs(static_cast<double>(r.wakes[k] - r.wakes[k - 1]) - nominal) / 1000.0);
    s.wakes = static_cast<long long>(r.wakes.size());
    if (!j.empty()) {
        std::sort(j.begin(), j.end());
        s.p50 = j[j.size() / 2];
        s.p99 = j[std::min(j.size() - 1, j.size() * 99 / 100)];
        s.max = j.back();
    }
    s.xrunsPerMinute = r.seconds > 0 ? static_cast<double>(r.xruns) * 60.0 / r.seconds : 0;
    s.overloadsPerMinute = r.seconds > 0 ? static_cast<double>(r.overloads) * 60.0 / r.seconds : 0;
    return s;
}

// ---- raw alsa-lib loop ------------------------------------------------------------------

struct Raw {
    snd_pcm_t* pcm[2] = {nullptr, nullptr};  // capture, playback
    unsigned channels[2] = {0, 0};
    snd_pcm_uframes_t period = 0, buffer = 0;
    bool linked = false;
    std::vector<float> in, out;
    std::vector<pollfd> fds;
    int counts[2] = {0, 0};
};

int setParams(snd_pcm_t* pcm, unsigned& channels, const Options& o, long size,
              snd_pcm_uframes_t& period, snd_pcm_uframes_t& buffer) {
    snd_pcm_hw_params_t* hw;
    snd_pcm_hw_params_alloca(&hw);
    int r = snd_pcm_hw_params_any(pcm, hw);
    if (r >= 0) r = snd_pcm_hw_params_set_access(pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED);
    if (r >= 0) r = snd_pcm_hw_params_set_format(pcm, hw, SND_PCM_FORMAT_FLOAT_LE);
    if (r >= 0) {
        unsigned mx = 0;
        snd_pcm_hw_params_get_channels_max(hw, &mx);
        channels = std::min(mx, 2u);
        r = snd_pcm_hw_params_set_channels(pcm, hw, channels);
    }
    if (r >= 0) r = snd_pcm_hw_params_set_rate(pcm, hw, o.rate, 0);
    if (r >= 0) r = snd_pcm_hw_params_set_periods(pcm, hw, o.periods, 0);
    if (r >= 0)
        r = snd_pcm_hw_params_set_period_size(pcm, hw, static_cast<snd_pcm_uframes_t>(size), 0);
    if (r >= 0) r = snd_pcm_hw_params(pcm, hw);
    if (r < 0) return r;
    snd_pcm_hw_params_get_period_size(hw, &period, nullptr);
    snd_pcm_hw_params_get_buffer_size(hw, &buffer);
    snd_pcm_sw_params_t* sw;
    snd_pcm_sw_params_alloca(&sw);
    snd_pcm_uframes_t boundary = 0;
    snd_pcm_sw_params_current(pcm, sw);
    snd_pcm_sw_params_get_boundary(sw, &boundary);
    snd_pcm_sw_params_set_avail_min(pcm, sw, period);
    snd_pcm_sw_params_set_start_threshold(pcm, sw, boundary);
    return snd_pcm_sw_params(pcm, sw);
}

int rawStart(Raw& raw) {
    for (auto* p : raw.pcm) {
        snd_pcm_drop(p);
        const int r = snd_pcm_prepare(p);
        if (r < 0) return r;
    }
    std::fill(raw.out.begin(), raw.out.end(), 0.0f);
    for (snd_pcm_uframes_t done = 0; done < raw.buffer; done += raw.period) {
        const snd_pcm_sframes_t w = snd_pcm_writei(raw.pcm[1], raw.out.data(), raw.period);
        if (w < 0) return static_cast<int>(w);
    }
    int r = snd_pcm_start(raw.pcm[0]);
    if (r >= 0 && !raw.linked) r = snd_pcm_start(raw.pcm[1]);
    return r;
}

struct RawThread {
    Raw* raw;
    double seconds;
    int priority;
    Result* result;
};

void* rawLoop(void* arg) {
    auto* t = static_cast<RawThread*>(arg);
    Raw& raw = *t->raw;
    sched_param sp{};
    sp.sched_priority = t->priority;
    pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
    Result& res = *t->result;
    const std::int64_t end = nowNs() + static_cast<std::int64_t>(t->seconds * 1e9);
    const auto period = static_cast<snd_pcm_sframes_t>(raw.period);
    int r = rawStart(raw);
    if (r < 0) {
        res.problem = std::string("start: ") + snd_strerror(r);
        return nullptr;
    }
    const std::int64_t t0 = nowNs();
    while (nowNs() < end) {
        snd_pcm_sframes_t a[2] = {snd_pcm_avail(raw.pcm[0]), snd_pcm_avail(raw.pcm[1])};
        if (a[0] < 0 || a[1] < 0) {
            ++res.xruns;
            for (auto* p : raw.pcm)
                if (snd_pcm_state(p) == SND_PCM_STATE_SUSPENDED) snd_pcm_resume(p);
            if (rawStart(raw) < 0) usleep(1000);
            continue;
        }
        if (a[0] >= period && a[1] >= period) {
            res.wakes.push_back(nowNs());
            snd_pcm_sframes_t n = snd_pcm_readi(raw.pcm[0], raw.in.data(), raw.period);
            if (n == period) {
                // input -> output, channel by channel where both exist
                for (snd_pcm_uframes_t f = 0; f < raw.period; ++f)
                    for (unsigned c = 0; c < raw.channels[1]; ++c)
                        raw.out[f * raw.channels[1] + c] =
                            c < raw.channels[0] ? raw.in[f * raw.channels[0] + c] : 0.0f;
                n = snd_pcm_writei(raw.pcm[1], raw.out.data(), raw.period);
            }
            if (n != period) {
                ++res.xruns;
                rawStart(raw);
            }
            continue;
        }
        std::size_t k = 0;
        for (int d = 0; d < 2; ++d)
            if (a[d] < period)
                k += static_cast<std::size_t>(snd_pcm_poll_descriptors(
                    raw.pcm[d], &raw.fds[k], static_cast<unsigned>(raw.counts[d])));
        poll(raw.fds.data(), k, 1000);
        // Only the PCMs' own revents tell what happened (plugins need this call).
        std::size_t at = 0;
        for (int d = 0; d < 2; ++d) {
            if (a[d] >= period) continue;
            unsigned short rev = 0;
            snd_pcm_poll_descriptors_revents(raw.pcm[d], &raw.fds[at],
                                             static_cast<unsigned>(raw.counts[d]), &rev);
            at += static_cast<std::size_t>(raw.counts[d]);
        }
    }
    res.seconds = static_cast<double>(nowNs() - t0) / 1e9;
    res.overloads = res.xruns;
    res.ok = true;
    return nullptr;
}

Result runRaw(const Options& o, long size) {
    Result res;
    res.size = size;
    Raw raw;
    int r = snd_pcm_open(&raw.pcm[0], o.capture.c_str(), SND_PCM_STREAM_CAPTURE, SND_PCM_NONBLOCK);
    if (r >= 0)
        r = snd_pcm_open(&raw.pcm[1], o.playback.c_str(), SND_PCM_STREAM_PLAYBACK,
                         SND_PCM_NONBLOCK);
    snd_pcm_uframes_t period[2] = {0, 0}, buffer[2] = {0, 0};
    for (int d = 0; d < 2 && r >= 0; ++d)
        r = setParams(raw.pcm[d], raw.channels[d], o, size, period[d], buffer[d]);
    if (r < 0 || period[0] != period[1] || period[0] != static_cast<snd_pcm_uframes_t>(size)) {
        res.problem = r < 0 ? std::string(snd_strerror(r)) : "the PCMs do not take this period";
    } else {
        raw.period = period[0];
        raw.buffer = buffer[1];
        raw.linked = snd_pcm_link(raw.pcm[0], raw.pcm[1]) == 0;
        raw.in.assign(raw.period * raw.channels[0], 0.0f);
        raw.out.assign(raw.period * raw.channels[1], 0.0f);
        raw.counts[0] = snd_pcm_poll_descriptors_count(raw.pcm[0]);
        raw.counts[1] = snd_pcm_poll_descriptors_count(raw.pcm[1]);
        raw.fds.resize(static_cast<std::size_t>(raw.counts[0] + raw.counts[1]));
        res.wakes.reserve(static_cast<std::size_t>(o.seconds * o.rate / static_cast<double>(size)) +
                          1024);
        RawThread t{&raw, o.seconds, o.priority, &res};
        pthread_t th;
        pthread_create(&th, nullptr, &rawLoop, &t);
        pthread_join(th, nullptr);
        if (raw.linked) snd_pcm_unlink(raw.pcm[0]);
    }
    for (auto* p : raw.pcm)
        if (p) {
            snd_pcm_drop(p);
            snd_pcm_close(p);
        }
    return res;
}

// ---- the driver -------------------------------------------------------------------------

struct DriverHost {
    std::vector<std::int64_t> wakes;
    std::atomic<long long> count{0};
    long size = 0, inputs = 0, outputs = 0;
    std::vector<void*> in[2], out[2];
};
DriverHost* gHost = nullptr;

void onSwitch(long index, ASIOBool) {
    DriverHost& h = *gHost;
    const long long n = h.count.load(std::memory_order_relaxed);
    if (n < static_cast<long long>(h.wakes.size())) h.wakes[static_cast<std::size_t>(n)] = nowNs();
    for (long c = 0; c < h.outputs; ++c) {
        float* o = static_cast<float*>(h.out[index][static_cast<std::size_t>(c)]);
        if (c < h.inputs)
            std::memcpy(o, h.in[index][static_cast<std::size_t>(c)],
                        static_cast<std::size_t>(h.size) * sizeof(float));
        else
            std::memset(o, 0, static_cast<std::size_t>(h.size) * sizeof(float));
    }
    h.count.store(n + 1, std::memory_order_release);
}
ASIOTime* onSwitchTimeInfo(ASIOTime* t, long index, ASIOBool direct) {
    onSwitch(index, direct);
    return t;
}
void onRate(ASIOSampleRate) {}
long onMessage(long selector, long value, void*, double*) {
    if (selector == kAsioSelectorSupported)
        return value == kAsioEngineVersion || value == kAsioSupportsTimeInfo;
    if (selector == kAsioEngineVersion) return 2;
    if (selector == kAsioSupportsTimeInfo) return 1;
    return 0;
}

Result runDriver(const Options& o, long size, const std::string& root) {
    Result res;
    res.size = size;
    const std::string name = "bench-alsa-" + std::to_string(size);
    const fs::path dir = fs::path(root) / name;
    fs::create_directories(dir);
    std::ofstream(dir / "driver") << FOLDBACK_BENCH_ALSA_DRIVER << "\n";
    std::ofstream(dir / "description") << "bench\n";
    std::ofstream(dir / "config.toml")
        << "[alsa]\ncapture = \"" << o.capture << "\"\nplayback = \"" << o.playback
        << "\"\nperiods = " << o.periods << "\nbuffer_size = " << size
        << "\ncapture_channels = 2\nplayback_channels = 2\nformat = \"FLOAT_LE\"\n"
        << "layout = \"interleaved\"\naccess = \"rw\"\nrate = " << o.rate << "\n"
        << "[kit]\nrt_priority = " << o.priority << "\n";
    void* lib = dlopen(FOLDBACK_BENCH_ALSA_DRIVER, RTLD_NOW | RTLD_LOCAL);
    auto make =
        lib ? reinterpret_cast<FoldbackInstantiateFn>(dlsym(lib, "instantiateDriver")) : nullptr;
    FoldbackDriver* d = make ? make() : nullptr;
    if (!d) {
        res.problem = "cannot load the driver";
        return res;
    }
    const auto& v = *d->lpVtbl;
    char text[128] = {};
    v.future(d, kFoldbackSetInstanceName, const_cast<char*>(name.c_str()));
    if (v.init(d, nullptr) != ASIOTrue) {
        v.getErrorMessage(d, text);
        res.problem = text;
        v.release(d);
        return res;
    }
    DriverHost host;
    gHost = &host;
    host.size = size;
    v.getChannels(d, &host.inputs, &host.outputs);
    std::vector<ASIOBufferInfo> infos;
    for (long c = 0; c < host.inputs; ++c) infos.push_back({ASIOTrue, c, {nullptr, nullptr}});
    for (long c = 0; c < host.outputs; ++c) infos.push_back({ASIOFalse, c, {nullptr, nullptr}});
    static ASIOCallbacks cb{&onSwitch, &onRate, &onMessage, &onSwitchTimeInfo};
    host.wakes.assign(
        static_cast<std::size_t>(o.seconds * o.rate / static_cast<double>(size)) + 1024, 0);
    if (v.createBuffers(d, infos.data(), static_cast<long>(infos.size()), size, &cb) != ASE_OK) {
        v.getErrorMessage(d, text);
        res.problem = text;
        v.release(d);
        return res;
    }
    for (int h = 0; h < 2; ++h)
        for (const auto& i : infos) (i.isInput ? host.in[h] : host.out[h]).push_back(i.buffers[h]);
    const std::int64_t t0 = nowNs();
    v.start(d);
    usleep(static_cast<useconds_t>(o.seconds * 1e6));
    v.stop(d);
    res.seconds = static_cast<double>(nowNs() - t0) / 1e9;
    FoldbackCounters counters{};
    v.future(d, kFoldbackGetCounters, &counters);
    res.xruns = counters.resyncs;
    res.overloads = counters.overloads;
    res.lost = counters.resets > 0;
    const long long n =
        std::min<long long>(host.count.load(), static_cast<long long>(host.wakes.size()));
    res.wakes.assign(host.wakes.begin(), host.wakes.begin() + n);
    v.disposeBuffers(d);
    v.release(d);
    gHost = nullptr;
    res.ok = true;
    return res;
}

std::vector<long> parseSizes(const std::string& s) {
    std::vector<long> out;
    std::stringstream in(s);
    std::string item;
    while (std::getline(in, item, ',')) out.push_back(std::stol(item));
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
        if (a == "--capture")
            o.capture = next();
        else if (a == "--playback")
            o.playback = next();
        else if (a == "--device")
            o.capture = o.playback = next();
        else if (a == "--sizes")
            o.sizes = parseSizes(next());
        else if (a == "--seconds")
            o.seconds = std::stod(next());
        else if (a == "--periods")
            o.periods = static_cast<unsigned>(std::stoul(next()));
        else if (a == "--priority")
            o.priority = std::stoi(next());
        else if (a == "--rate")
            o.rate = static_cast<unsigned>(std::stoul(next()));
        else {
            std::fprintf(
                stderr,
                "usage: bench_alsa --device PCM | --capture PCM --playback PCM [--sizes 16,32,64] "
                "[--seconds 20] [--periods 2] [--priority 70] [--rate 48000]\n");
            return 2;
        }
    }
    if (o.capture.empty() || o.playback.empty()) {
        std::fprintf(stderr, "bench_alsa: name the PCMs (--device, or --capture and --playback)\n");
        return 2;
    }
    std::string tmpl = (fs::temp_directory_path() / "foldback-bench-alsa-XXXXXX").string();
    const std::string root = mkdtemp(tmpl.data());
    setenv("FOLDBACK_DRIVER_PATH", root.c_str(), 1);

    std::printf("capture %s, playback %s, %u periods, %u Hz, %.0f s per run, SCHED_FIFO %d\n",
                o.capture.c_str(), o.playback.c_str(), o.periods, o.rate, o.seconds, o.priority);
    std::printf("%6s %-7s %8s %9s %9s %9s %11s %11s\n", "frames", "mode", "wakes", "p50 us",
                "p99 us", "max us", "xruns/min", "overl/min");
    for (long size : o.sizes) {
        Stats s[2];
        bool ok[2] = {false, false};
        for (int m = 0; m < 2; ++m) {
            const Result r = m == 0 ? runRaw(o, size) : runDriver(o, size, root);
            const char* mode = m == 0 ? "raw" : "driver";
            if (!r.ok) {
                std::printf("%6ld %-7s %s\n", size, mode, r.problem.c_str());
                continue;
            }
            ok[m] = true;
            s[m] = stats(r, o.rate);
            std::printf("%6ld %-7s %8lld %9.1f %9.1f %9.1f %11.1f %11.1f%s\n", size, mode,
                        s[m].wakes, s[m].p50, s[m].p99, s[m].max, s[m].xrunsPerMinute,
                        s[m].overloadsPerMinute, r.lost ? "  (device lost: reset request)" : "");
        }
        if (ok[0] && ok[1]) {
            auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
            std::printf("%6ld %-7s %8s %9.2f %9.2f %9.2f %11s\n", size, "ratio", "",
                        ratio(s[1].p50, s[0].p50), ratio(s[1].p99, s[0].p99),
                        ratio(s[1].max, s[0].max),
                        s[0].xrunsPerMinute > 0
                            ? std::to_string(ratio(s[1].xrunsPerMinute, s[0].xrunsPerMinute))
                                  .substr(0, 5)
                                  .c_str()
                            : (s[1].xrunsPerMinute > 0 ? "inf" : "-"));
        }
        std::fflush(stdout);
    }
    std::error_code ec;
    fs::remove_all(root, ec);
    return 0;
}
