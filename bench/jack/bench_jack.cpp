// Per-period CPU cost of a JACK client that copies 8 inputs to 8 outputs, four ways, side
// by side on one private jackd (dummy backend) per period size:
//
//   foldback   a Foldback host (foldback::Driver, FloatHandler) through the JACK driver
//   raw        a plain libjack client (process callback: memcpy per port)
//   portaudio  PortAudio's JACK host API (paFloat32 | paNonInterleaved callback)
//   rtaudio    RtAudio's UNIX_JACK API (RTAUDIO_FLOAT32, RTAUDIO_NONINTERLEAVED callback)
//
// and, on request (--clients), two plain libjack clients that move the bytes an API with
// buffers of its own must move, with no other code, as yardsticks:
//
//   floor      ports -> own input buffers -> own output buffers -> ports, alternating the
//              two halves of a double buffer laid out as the kit lays out ASIO buffers:
//              the least any ASIO-compatible driver on JACK can cost
//   copy3      the same three copies through one buffer per channel (RtAudio's shape)
//
// and what code costs a period on this machine, to weigh the driver's code layout by
// (src/kit/hot.hpp; bench/jack/instructions.sh counts the lines and pages each client runs):
//
//   floor+linesN   the floor, plus a call to N consecutive 64-byte lines of code (a `ret`
//                  on each) every period
//   floor+pagesN   the floor, plus a call to one line on each of N pages of code
//   floor+dataN    the floor, plus a load from one line on each of N pages of data (the
//                  same for the state a driver reads, spread over N pages)
//
// --driver-b PATH adds a client "foldback-b": the same host through another build of the
// JACK driver, to A/B a driver change in one run (keep the copy in a directory only you can
// write: the registry refuses drivers in world-writable ones such as /tmp).
//
// Each client runs in a process of its own (this program, re-executed with --child), so
// CLOCK_PROCESS_CPUTIME_ID is its whole cost: the callback, libjack's process thread and
// its other threads, and the library around them. A run gives each client the server to
// itself in turn, back to back (the order rotates from run to run), for --seconds after a
// 0.5 s warm-up; the child samples (process CPU, callbacks) every 250 ms. Per run and
// client: CPU ns / period over the window. Reported per client: the median of the runs and
// the p99 of the 250 ms windows of all runs; ratios: of the medians, and the median of the
// per-run ratios (the clients of one run saw the same machine, minutes apart at most).
// With the floor among the clients, the floor against raw, PortAudio, RtAudio and copy3
// (and Foldback against the floor) follows, the same two ways with the per-run ratio's
// 95 % interval: what a target asks of any ASIO-compatible driver, not of this one.
// The measuring, the runs' bookkeeping and the table are bench/common/period_bench.*,
// shared with bench_pipewire.
//
// --together streams the four at once in one graph instead (same wall-clock window for
// all). It is not the default: in a shared graph the client that finishes a cycle last
// wakes the server, and that wake-up (a futex and an IPI, 5-20 us on a VM) lands on
// whichever client is a little slower, which turns small differences into large ones.
//
// --pin same (the default) runs jackd's threads and every client on one core (see main()).
//
//   bench_jack [--runs 9] [--seconds 2] [--periods 64,256] [--clients foldback,raw,...]
//   [--together] [--threads] [--pin same|split|none] [--driver-b PATH]
//
// bench/jack/instructions.sh counts what the same clients execute per period (callgrind,
// from the process callback down): the part of their cost the VM's noise does not move.
#include <jack/jack.h>
#include <portaudio.h>
#include <rtaudio/RtAudio.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "period_bench.hpp"

#ifndef FOLDBACK_BENCH_JACK_DRIVER
#error "FOLDBACK_BENCH_JACK_DRIVER must name the JACK driver module"
#endif
#ifndef FOLDBACK_BENCH_RIGS_DIR
#error "FOLDBACK_BENCH_RIGS_DIR must name the shared rigs folder"
#endif

namespace {

using namespace foldback::bench;

// ---- the clients (child side) -----------------------------------------------------------

// A plain libjack client's 8 in / 8 out ports, connected as the others connect theirs:
// physical capture -> in, out -> physical playback.
struct JackPorts {
    jack_client_t* client = nullptr;
    jack_port_t* in[kChannels]{};
    jack_port_t* out[kChannels]{};
    std::string open(const char* name, JackProcessCallback process, void* arg) {
        jack_status_t st{};
        client = jack_client_open(name, JackNoStartServer, &st);
        if (!client) return "jack_client_open failed";
        for (int c = 0; c < kChannels; ++c) {
            in[c] = jack_port_register(client, ("in_" + std::to_string(c + 1)).c_str(),
                                       JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
            out[c] = jack_port_register(client, ("out_" + std::to_string(c + 1)).c_str(),
                                        JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
        }
        jack_set_process_callback(client, process, arg);
        if (jack_activate(client) != 0) return "jack_activate failed";
        for (int c = 0; c < kChannels; ++c) {
            const std::string n = std::to_string(c + 1);
            jack_connect(client, ("system:capture_" + n).c_str(), jack_port_name(in[c]));
            jack_connect(client, jack_port_name(out[c]), ("system:playback_" + n).c_str());
        }
        return "";
    }
    ~JackPorts() {
        if (client) jack_client_close(client);
    }
};

// A plain libjack client.
struct RawClient final : Client {
    JackPorts jack;
    [[gnu::hot]] static int process(jack_nframes_t n, void* arg) {
        auto& j = static_cast<RawClient*>(arg)->jack;
        for (int c = 0; c < kChannels; ++c)
            std::memcpy(jack_port_get_buffer(j.out[c], n), jack_port_get_buffer(j.in[c], n),
                        n * sizeof(float));
        gCallbacks.fetch_add(1, std::memory_order_relaxed);
        return 0;
    }
    std::string open(long) override { return jack.open("bench-raw", &RawClient::process, this); }
};

// A plain libjack client that moves the bytes an ASIO driver on JACK has to move, and
// nothing else: ports -> its own input buffers, input buffers -> output buffers (the host's
// copy), output buffers -> ports, laid out as the kit lays out ASIO buffers (per channel,
// 64-byte aligned, inputs then outputs). halves = 2 alternates the two halves of ASIO's
// double buffer ("floor": what any ASIO-compatible JACK driver costs at least, no Foldback
// code); halves = 1 keeps one buffer per channel, as RtAudio does ("copy3").
struct CopyClient final : Client {
    explicit CopyClient(int h, int lineCount = 0, int pageCount = 0, int dataPageCount = 0)
        : halves(h), codeLines(lineCount), codePages(pageCount), dataPages(dataPageCount) {}
    int halves;
    // Yardsticks for the cost of code (see the header): each period also calls a `ret` on
    // codeLines consecutive 64-byte lines, or on one line in each of codePages pages.
    int codeLines, codePages;
    // And loads one line on each of dataPages pages of data.
    int dataPages;
    char* data = nullptr;
    char* code = nullptr;  // the lines, then the pages
    char* pages = nullptr;
    std::size_t codeBytes = 0;
    unsigned dataSum = 0;
    int index = 0;
    std::size_t stride = 0;  // floats per half
    float* mem = nullptr;
    JackPorts jack;  // closed in ~CopyClient (callbacks stopped) before mem is freed
    float* half(bool input, int c, int i) const {
        return mem + ((input ? 0 : kChannels) + c) * halves * stride + i * stride;
    }
    [[gnu::hot]] static int process(jack_nframes_t n, void* arg) {
        auto* self = static_cast<CopyClient*>(arg);
        const JackPorts& j = self->jack;
        const int i = self->index;
        const std::size_t bytes = n * sizeof(float);
        if (n <= self->stride) {
            for (int c = 0; c < kChannels; ++c)
                std::memcpy(self->half(true, c, i), jack_port_get_buffer(j.in[c], n), bytes);
            for (int c = 0; c < kChannels; ++c)
                std::memcpy(self->half(false, c, i), self->half(true, c, i), bytes);
            for (int c = 0; c < kChannels; ++c)
                std::memcpy(jack_port_get_buffer(j.out[c], n), self->half(false, c, i), bytes);
        }
        for (int l = 0; l < self->codeLines; ++l)
            reinterpret_cast<void (*)()>(self->code + l * 64)();
        for (int p = 0; p < self->codePages; ++p)
            reinterpret_cast<void (*)()>(self->pages + p * 4096 + (p % 64) * 64)();
        unsigned sum = 0;
        for (int p = 0; p < self->dataPages; ++p)
            sum +=
                *reinterpret_cast<volatile unsigned char*>(self->data + p * 4096 + (p % 64) * 64);
        self->dataSum = sum;
        self->index = (i + 1) % self->halves;
        gCallbacks.fetch_add(1, std::memory_order_relaxed);
        return 0;
    }
    std::string open(long period) override {
        stride = (static_cast<std::size_t>(period) + 15) / 16 * 16;
        const std::size_t bytes = 2 * kChannels * static_cast<std::size_t>(halves) * stride * 4;
        mem = static_cast<float*>(std::aligned_alloc(64, bytes));
        if (!mem) return "out of memory";
        std::memset(mem, 0, bytes);
        if (codeLines > 0 || codePages > 0) {
            // One `ret` (0xc3) at each line the period calls, in memory made executable.
            const std::size_t linesBytes =
                (static_cast<std::size_t>(codeLines) * 64 + 4095) / 4096 * 4096;
            codeBytes = linesBytes + static_cast<std::size_t>(codePages) * 4096;
            void* m = mmap(nullptr, codeBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                           -1, 0);
            if (m == MAP_FAILED) return "mmap failed";
            code = static_cast<char*>(m);
            for (int l = 0; l < codeLines; ++l) code[l * 64] = '\xc3';
            pages = code + linesBytes;
            for (int p = 0; p < codePages; ++p) pages[p * 4096 + (p % 64) * 64] = '\xc3';
            if (mprotect(code, codeBytes, PROT_READ | PROT_EXEC) != 0) return "mprotect failed";
        }
        if (dataPages > 0) {
            const std::size_t dataBytes = static_cast<std::size_t>(dataPages) * 4096;
            data = static_cast<char*>(std::aligned_alloc(4096, dataBytes));
            if (!data) return "out of memory";
            std::memset(data, 1, dataBytes);
        }
        return jack.open(halves == 2 ? "bench-floor" : "bench-copy3", &CopyClient::process, this);
    }
    ~CopyClient() override {
        if (jack.client) jack_client_close(jack.client);
        jack.client = nullptr;
        std::free(mem);
        std::free(data);
        if (code) munmap(code, codeBytes);
    }
};

struct PortAudioClient final : Client {
    PaStream* stream = nullptr;
    bool initialized = false;
    [[gnu::hot]] static int callback(const void* input, void* output, unsigned long frames,
                                     const PaStreamCallbackTimeInfo*, PaStreamCallbackFlags,
                                     void*) {
        const auto* const* in = static_cast<const float* const*>(input);
        auto* const* out = static_cast<float* const*>(output);
        for (int c = 0; c < kChannels; ++c) std::memcpy(out[c], in[c], frames * sizeof(float));
        gCallbacks.fetch_add(1, std::memory_order_relaxed);
        return paContinue;
    }
    std::string open(long period) override {
        if (Pa_Initialize() != paNoError) return "Pa_Initialize failed";
        initialized = true;
        const PaHostApiIndex api = Pa_HostApiTypeIdToHostApiIndex(paJACK);
        if (api < 0) return "PortAudio has no JACK host API";
        const PaHostApiInfo* info = Pa_GetHostApiInfo(api);
        PaStreamParameters in{}, out{};
        in.device = info->defaultInputDevice;
        out.device = info->defaultOutputDevice;
        if (in.device < 0 || out.device < 0)
            return "PortAudio's JACK host API has no default device";
        in.channelCount = out.channelCount = kChannels;
        in.sampleFormat = out.sampleFormat = paFloat32 | paNonInterleaved;
        in.suggestedLatency = Pa_GetDeviceInfo(in.device)->defaultLowInputLatency;
        out.suggestedLatency = Pa_GetDeviceInfo(out.device)->defaultLowOutputLatency;
        const PaError e =
            Pa_OpenStream(&stream, &in, &out, 48000, static_cast<unsigned long>(period), paNoFlag,
                          &PortAudioClient::callback, nullptr);
        if (e != paNoError) return std::string("Pa_OpenStream: ") + Pa_GetErrorText(e);
        if (Pa_StartStream(stream) != paNoError) return "Pa_StartStream failed";
        return "";
    }
    ~PortAudioClient() override {
        if (stream) {
            Pa_StopStream(stream);
            Pa_CloseStream(stream);
        }
        if (initialized) Pa_Terminate();
    }
};

struct RtAudioClient final : Client {
    std::unique_ptr<RtAudio> audio;
    [[gnu::hot]] static int callback(void* output, void* input, unsigned int frames, double,
                                     RtAudioStreamStatus, void*) {
        // Non-interleaved: channel c starts at c * frames.
        std::memcpy(output, input, static_cast<std::size_t>(frames) * kChannels * sizeof(float));
        gCallbacks.fetch_add(1, std::memory_order_relaxed);
        return 0;
    }
    std::string open(long period) override {
        try {
            audio = std::make_unique<RtAudio>(RtAudio::UNIX_JACK);
        } catch (const RtAudioError& e) {
            return "RtAudio: " + e.getMessage();
        }
        if (audio->getDeviceCount() == 0) return "RtAudio sees no JACK device";
        RtAudio::StreamParameters out, in;
        out.deviceId = audio->getDefaultOutputDevice();
        in.deviceId = audio->getDefaultInputDevice();
        out.nChannels = in.nChannels = kChannels;
        RtAudio::StreamOptions options;
        options.flags = RTAUDIO_NONINTERLEAVED | RTAUDIO_SCHEDULE_REALTIME;
        options.streamName = "bench-rtaudio";
        unsigned int frames = static_cast<unsigned int>(period);
        try {  // RtAudio 5 (Debian 12's librtaudio-dev) reports errors as exceptions
            audio->openStream(&out, &in, RTAUDIO_FLOAT32, 48000, &frames, &RtAudioClient::callback,
                              nullptr, &options);
            audio->startStream();
        } catch (const RtAudioError& e) {
            return "RtAudio: " + e.getMessage();
        }
        return "";
    }
    ~RtAudioClient() override {
        try {
            if (audio && audio->isStreamOpen()) {
                if (audio->isStreamRunning()) audio->stopStream();
                audio->closeStream();
            }
        } catch (const RtAudioError&) {
        }
    }
};

int child(const std::string& kind, long period, double seconds, std::int64_t startAt,
          bool threads) {
    std::unique_ptr<Client> c;
    if (kind == "raw")
        c = std::make_unique<RawClient>();
    else if (kind == "foldback")
        c = std::make_unique<FoldbackClient>("bench-jack");
    else if (kind == "foldback-b")
        c = std::make_unique<FoldbackClient>("bench-jack-b");
    else if (kind == "portaudio")
        c = std::make_unique<PortAudioClient>();
    else if (kind == "floor")
        c = std::make_unique<CopyClient>(2);
    else if (kind.rfind("floor+lines", 0) == 0)
        c = std::make_unique<CopyClient>(2, std::atoi(kind.c_str() + 11), 0);
    else if (kind.rfind("floor+pages", 0) == 0)
        c = std::make_unique<CopyClient>(2, 0, std::atoi(kind.c_str() + 11));
    else if (kind.rfind("floor+data", 0) == 0)
        c = std::make_unique<CopyClient>(2, 0, 0, std::atoi(kind.c_str() + 10));
    else if (kind == "copy3")
        c = std::make_unique<CopyClient>(1);
    else if (kind == "rtaudio")
        c = std::make_unique<RtAudioClient>();
    else
        return 2;
    return measureChild(std::move(c), period, seconds, startAt, threads);
}

}  // namespace

int main(int argc, char** argv) {
    int runs = 7;
    double seconds = 3;
    std::vector<std::string> periods{"64", "256"},
        clients{"foldback", "raw", "portaudio", "rtaudio"};
    std::string childKind;
    long childPeriod = 0;
    std::int64_t startAt = 0;
    bool together = false, threads = false;
    std::string pin = "same", driverB;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
        if (a == "--runs")
            runs = std::max(1, std::atoi(next().c_str()));
        else if (a == "--seconds")
            seconds = std::max(0.5, std::atof(next().c_str()));
        else if (a == "--periods")
            periods = split(next());
        else if (a == "--clients")
            clients = split(next());
        else if (a == "--child")
            childKind = next();
        else if (a == "--period")
            childPeriod = std::atol(next().c_str());
        else if (a == "--start-at")
            startAt = std::atoll(next().c_str());
        else if (a == "--threads")
            threads = true;
        else if (a == "--together")
            together = true;
        else if (a == "--pin")
            pin = next();
        else if (a == "--driver-b") {
            driverB = next();
            std::error_code ec;
            if (!std::filesystem::is_regular_file(driverB, ec)) {
                std::fprintf(stderr,
                             "--driver-b: '%s' is not a file; give the path of a JACK driver "
                             "module, e.g. a copy of build/lib/foldback/drivers/foldback-jack.so\n",
                             driverB.c_str());
                return 2;
            }
        } else {
            std::fprintf(
                stderr,
                "usage: %s [--runs N] [--seconds S] [--periods 64,256] "
                "[--clients "
                "foldback,raw,portaudio,rtaudio,floor,copy3,floor+linesN,floor+pagesN,floor+dataN] "
                "[--together] [--threads] "
                "[--pin split|same|none] [--driver-b PATH]\n",
                argv[0]);
            return 2;
        }
    }
    if (!childKind.empty()) return child(childKind, childPeriod, seconds, startAt, threads);

    namespace fs = std::filesystem;
    const std::string server = "foldback-bench-" + std::to_string(getpid());
    const char* rigsEnv = std::getenv("FOLDBACK_RIGS_DIR");
    const std::string rigs = rigsEnv && *rigsEnv ? rigsEnv : FOLDBACK_BENCH_RIGS_DIR;
    setenv("JACK_DEFAULT_SERVER", server.c_str(), 1);
    setenv("JACK_NO_START_SERVER", "1", 1);
    // Where the server's threads and each client run. Left to the scheduler, a client lands
    // on the server's core in some runs (a plain context switch per period) and on the
    // other in others (a cross-core wake-up: an IPI and an idle exit), which moved a
    // client's median by 20-45 % between runs here. "same" (the default): jackd's threads
    // and the client on CPU 1, so the server's timer wake-up (an idle exit) is the
    // server's and a period costs the client its wake by the server on the same core and
    // its own work; "split": jackd on CPU 0, the client on CPU 1 (a cross-core wake-up per
    // period, noisier); "none": where the scheduler puts them.
    std::string serverCpu, clientCpu;
    if (pin == "split" && std::thread::hardware_concurrency() >= 2) {
        serverCpu = "0";
        clientCpu = "1";
    } else if (pin == "same" || pin == "split") {
        serverCpu = clientCpu = std::thread::hardware_concurrency() >= 2 ? "1" : "0";
    } else if (pin != "none") {
        std::fprintf(stderr, "--pin: split, same or none\n");
        return 2;
    }
    const char* stateEnv = std::getenv("JACK_RIG_STATE");
    const char* tmpEnv = std::getenv("TMPDIR");
    const std::string rigState =
        stateEnv && *stateEnv
            ? stateEnv
            : std::string(tmpEnv && *tmpEnv ? tmpEnv : "/tmp") + "/foldback-rigs/jack";
    // The Foldback instance, in a private registry.
    std::string tmpl = (fs::temp_directory_path() / "foldback-bench-jack-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) return 1;
    addInstance(fs::path(tmpl) / "drivers", "bench-jack", FOLDBACK_BENCH_JACK_DRIVER,
                "[jack]\ninputs = 8\noutputs = 8\n");
    if (!driverB.empty()) {
        // A second build of the driver, as client "foldback-b": A/B in the same run.
        addInstance(fs::path(tmpl) / "drivers", "bench-jack-b", fs::absolute(driverB).string(),
                    "[jack]\ninputs = 8\noutputs = 8\n");
        if (std::find(clients.begin(), clients.end(), "foldback-b") == clients.end())
            clients.push_back("foldback-b");
    }
    setenv("FOLDBACK_DRIVER_PATH", (fs::path(tmpl) / "drivers").c_str(), 1);
    setenv("XDG_CONFIG_HOME", (fs::path(tmpl) / "xdg").c_str(), 1);

    std::printf(
        "bench_jack: %d runs x %.1f s per client (%s), 8 in / 8 out copy, jackd dummy 48 kHz, "
        "server %s\n",
        runs, seconds,
        together ? "all four at once in one graph" : "each alone on the server, in turn",
        server.c_str());
    std::printf(
        "CPU per period = process CPU time (all threads) / process callbacks; median of runs, "
        "p99 of %.0f ms windows; --pin %s (jackd on CPU %s, clients on CPU %s)\n\n",
        kWindow * 1000, pin.c_str(), serverCpu.empty() ? "any" : serverCpu.c_str(),
        clientCpu.empty() ? "any" : clientCpu.c_str());
    bool ok = true;
    for (const auto& period : periods) {
        int status = 0;
        const std::string up =
            run("JACK_RIG_PERIOD=" + period + " bash '" + rigs + "/jack-up.sh' " + server + " 2>&1",
                &status);
        if (status != 0) {
            std::fprintf(stderr, "jack-up.sh failed:\n%s\n", up.c_str());
            return 1;
        }
        if (!serverCpu.empty()) {
            std::ifstream pidFile(rigState + "/jackd-" + server + ".pid");
            long pid = 0;
            if (pidFile >> pid && pid > 0)
                run("taskset -a -p -c " + serverCpu + " " + std::to_string(pid) +
                    " >/dev/null 2>&1");
        }
        Runs results;
        for (int r = 0; r < runs; ++r) {
            // Together: each opens, then waits for the common start. Alone: one after another.
            const std::int64_t runStart = together ? monoNs() + 3'000'000'000LL : 0;
            std::vector<std::pair<std::string, FILE*>> children;
            std::map<std::string, std::string> outputs;
            auto collect = [&](const std::string& kind, FILE* pipe) {
                std::string out;
                char buf[4096];
                std::size_t n;
                while (pipe && (n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
                if (pipe) pclose(pipe);
                outputs[kind] = out;
            };
            for (std::size_t k = 0; k < clients.size(); ++k) {
                const std::string& kind =
                    clients[(k + static_cast<std::size_t>(r)) % clients.size()];
                const std::string cmd =
                    (clientCpu.empty() ? "" : "taskset -c " + clientCpu + " ") + "'" +
                    std::string(argv[0]) + "' --child " + kind + " --period " + period +
                    " --seconds " + std::to_string(seconds) + " --start-at " +
                    std::to_string(runStart) + (threads ? " --threads" : "") + " 2>/dev/null";
                FILE* pipe = popen(cmd.c_str(), "r");
                if (together) {
                    children.emplace_back(kind, pipe);
                    sleepSeconds(0.3);  // one at a time into the graph
                } else {
                    collect(kind, pipe);
                }
            }
            for (auto& [kind, pipe] : children) collect(kind, pipe);
            for (std::size_t k = 0; k < clients.size(); ++k) {
                const std::string& kind =
                    clients[(k + static_cast<std::size_t>(r)) % clients.size()];
                results.add(r, kind, outputs[kind], threads);
            }
        }
        run("bash '" + rigs + "/jack-down.sh' " + server + " >/dev/null 2>&1");

        ok &= results.print(period, clients);
        const double fb = results.median("foldback");
        if (!std::isnan(fb) && results.has("raw")) {
            const double vsRaw = fb / results.median("raw");
            const bool okRaw = vsRaw <= 1.10;
            // Each target on its own line of verdicts: the ratio of medians decides (the
            // issue's rule); the per-run interval says whether the run told them apart.
            const auto told = [&](const char* other) {
                const auto r = results.ratio("foldback", other);
                if (std::isnan(r.lo)) return std::string();
                char buf[96];
                std::snprintf(buf, sizeof buf, "; per run %.3f [%.3f, %.3f]%s", r.median, r.lo,
                              r.hi, r.lo <= 1.0 && r.hi >= 1.0 ? ", not told apart from 1" : "");
                return std::string(buf);
            };
            std::printf("  acceptance: Foldback/raw %.3f (<= 1.10: %s%s)", vsRaw,
                        okRaw ? "yes" : "NO", told("raw").c_str());
            bool belowOthers = true;
            for (const char* other : {"portaudio", "rtaudio"}) {
                const char* name = std::strcmp(other, "portaudio") == 0 ? "PortAudio" : "RtAudio";
                if (!results.has(other)) {
                    std::printf("\n              below %s: not measured (add it to --clients)",
                                name);
                    continue;
                }
                const double vs = fb / results.median(other);
                belowOthers &= vs < 1.0;
                std::printf("\n              below %s: %s (%.3f%s)", name, vs < 1.0 ? "yes" : "NO",
                            vs, told(other).c_str());
            }
            std::printf("\n\n");
            ok &= okRaw && belowOthers;
            if (results.has("floor")) {
                // The floor against the others, as medians and run by run [95 % interval]:
                // whether a target is within reach of any ASIO-compatible driver at all.
                std::printf("  floor (the bytes ASIO's buffers make a driver move, no code):\n");
                for (const char* other : {"raw", "portaudio", "rtaudio", "copy3"}) {
                    if (!results.has(other)) continue;
                    const auto r = results.ratio("floor", other);
                    std::printf("    floor/%-9s %.3f / %.3f", other,
                                results.median("floor") / results.median(other), r.median);
                    if (!std::isnan(r.lo)) std::printf(" [%.3f, %.3f]", r.lo, r.hi);
                    std::printf("\n");
                }
                const auto r = results.ratio("foldback", "floor");
                std::printf("    Foldback/floor  %.3f / %.3f", fb / results.median("floor"),
                            r.median);
                if (!std::isnan(r.lo)) std::printf(" [%.3f, %.3f]", r.lo, r.hi);
                std::printf("\n\n");
            }
        }
    }
    std::error_code ec;
    fs::remove_all(tmpl, ec);
    return ok ? 0 : 1;
}
