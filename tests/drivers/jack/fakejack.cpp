// A stand-in libjack for the JACK driver's tests ([jack] library = "<this .so>"): a server
// the test drives cycle by cycle, so what a real server does only rarely or after a day
// happens on demand and exactly:
//   - the 32-bit frame counter at any value (its wrap after ~24.8 h at 48 kHz),
//   - a frame-counter jump (frames lost), an xrun without loss,
//   - the shutdown callbacks the way pipewire-jack 0.3.65 calls them (plain one only) or
//     jackd2 (info, then plain),
//   - the buffer-size callback on the process thread (older pipewire-jack) or elsewhere,
//   - a sample-rate change, a latency change.
// One client at a time. The process thread is created at jack_activate through the
// installed thread creator, as libjack does. Test controls: the fakejack_* functions.
#include <jack/jack.h>
#include <jack/thread.h>
#include <pthread.h>
#include <semaphore.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

namespace {

struct Port {
    std::string name;
    unsigned long flags = 0;
    std::vector<float> buffer = std::vector<float>(8192, 0.0f);
    jack_latency_range_t capture{0, 0}, playback{0, 0};
    std::vector<Port*> peers;  // connected ports
};

struct Cycle {
    jack_nframes_t frames = 0, counter = 0;
    jack_time_t usecs = 0;
};

struct State {
    std::mutex mutex;
    bool alive = true;
    jack_nframes_t rate = 48000, period = 64;
    std::vector<Port*> ports;  // system ports first, then the client's; never freed while used
    // The client.
    bool open = false, active = false;
    std::string clientName;
    JackProcessCallback process = nullptr;
    void* processArg = nullptr;
    JackBufferSizeCallback bufsize = nullptr;
    void* bufsizeArg = nullptr;
    JackSampleRateCallback srate = nullptr;
    void* srateArg = nullptr;
    JackXRunCallback xrun = nullptr;
    void* xrunArg = nullptr;
    JackLatencyCallback latency = nullptr;
    void* latencyArg = nullptr;
    JackShutdownCallback shutdown = nullptr;
    void* shutdownArg = nullptr;
    JackInfoShutdownCallback infoShutdown = nullptr;
    void* infoShutdownArg = nullptr;
    // The process thread.
    pthread_t thread{};
    sem_t go{}, done{};
    enum Job { None, RunCycle, BufferSize, Quit } job = None;
    Cycle cycle;
    jack_nframes_t jobFrames = 0;
    std::atomic<int> inProcess{0};
};

State& S() {
    static State* s = [] {
        auto* st = new State;  // never freed: libjack's state outlives its clients too
        sem_init(&st->go, 0, 0);
        sem_init(&st->done, 0, 0);
        return st;
    }();
    return *s;
}

jack_thread_creator_t gCreator = nullptr;
clockid_t gClock = CLOCK_MONOTONIC;  // the server's clock (jackd2 1.9.21: CLOCK_MONOTONIC_RAW)
int gCreated = 0;

void* processThread(void*) {
    State& s = S();
    for (;;) {
        while (sem_wait(&s.go) != 0) {
        }
        const auto job = s.job;
        if (job == State::Quit) {
            sem_post(&s.done);
            return nullptr;
        }
        if (job == State::RunCycle && s.process) s.process(s.cycle.frames, s.processArg);
        if (job == State::BufferSize && s.bufsize) s.bufsize(s.jobFrames, s.bufsizeArg);
        sem_post(&s.done);
    }
}

void runJob(State::Job job) {
    State& s = S();
    s.job = job;
    sem_post(&s.go);
    while (sem_wait(&s.done) != 0) {
    }
}

Port* find(const char* name) {
    for (Port* p : S().ports)
        if (p->name == name) return p;
    return nullptr;
}

bool ownPort(const Port* p) {
    return p->name.rfind(S().clientName + ":", 0) == 0;
}

// What the server does before it calls latency callbacks: a client's input port's capture
// latency is the largest of its sources', an output's playback latency the largest of its
// destinations'.
void recompute() {
    State& s = S();
    for (Port* p : s.ports) {
        if (!ownPort(p)) continue;
        jack_latency_range_t r{0, 0};
        const bool input = p->flags & JackPortIsInput;
        for (Port* q : p->peers) {
            const auto& qr = input ? q->capture : q->playback;
            r.min = std::max(r.min, qr.min);
            r.max = std::max(r.max, qr.max);
        }
        (input ? p->capture : p->playback) = r;
    }
    if (s.latency) {
        s.latency(JackCaptureLatency, s.latencyArg);
        s.latency(JackPlaybackLatency, s.latencyArg);
    }
}

jack_time_t serverClockUs() {
    timespec ts{};
    clock_gettime(gClock, &ts);
    return static_cast<jack_time_t>(ts.tv_sec) * 1000000 +
           static_cast<jack_time_t>(ts.tv_nsec) / 1000;
}

}  // namespace

extern "C" {

// ---- the test's controls ---------------------------------------------------------------------

void fakejack_reset(jack_nframes_t rate, jack_nframes_t period, int captures, int playbacks) {
    State& s = S();
    gClock = CLOCK_MONOTONIC;
    s.alive = true;
    s.rate = rate;
    s.period = period;
    for (Port* p : s.ports) delete p;  // no client is open between tests
    s.ports.clear();
    for (int i = 0; i < captures; ++i) {
        auto* p = new Port;
        p->name = "system:capture_" + std::to_string(i + 1);
        p->flags = JackPortIsOutput | JackPortIsPhysical | JackPortIsTerminal;
        p->capture = {period, period};
        s.ports.push_back(p);
    }
    for (int i = 0; i < playbacks; ++i) {
        auto* p = new Port;
        p->name = "system:playback_" + std::to_string(i + 1);
        p->flags = JackPortIsInput | JackPortIsPhysical | JackPortIsTerminal;
        p->playback = {2 * period, 2 * period};
        s.ports.push_back(p);
    }
}

// One period on the process thread; 0 when it ran.
int fakejack_cycle(jack_nframes_t frames, jack_nframes_t counter, jack_time_t usecs) {
    State& s = S();
    if (!s.alive || !s.active) return -1;
    s.cycle = {frames, counter, usecs};
    runJob(State::RunCycle);
    return 0;
}

void fakejack_xrun() {
    State& s = S();
    if (s.xrun) s.xrun(s.xrunArg);
}

// The server's period changes: the callback runs on the process thread (older
// pipewire-jack) or on the caller's (jackd2's notification thread).
void fakejack_set_buffer_size(jack_nframes_t frames, int onProcessThread) {
    State& s = S();
    s.period = frames;
    if (onProcessThread && s.active) {
        s.jobFrames = frames;
        runJob(State::BufferSize);
    } else if (s.bufsize) {
        s.bufsize(frames, s.bufsizeArg);
    }
}

void fakejack_set_sample_rate(jack_nframes_t rate) {
    State& s = S();
    s.rate = rate;
    if (s.srate) s.srate(rate, s.srateArg);
}

void fakejack_set_playback_latency(jack_nframes_t frames) {
    for (Port* p : S().ports)
        if (p->name.rfind("system:playback_", 0) == 0) p->playback = {frames, frames};
    recompute();
}

// The server goes away: jackd2 calls the info callback, then the plain one; pipewire-jack
// 0.3.65 only the plain one.
void fakejack_shutdown(int infoToo) {
    State& s = S();
    s.alive = false;
    if (infoToo && s.infoShutdown)
        s.infoShutdown(static_cast<jack_status_t>(JackFailure | JackServerError),
                       "JACK server has been closed", s.infoShutdownArg);
    if (s.shutdown) s.shutdown(s.shutdownArg);
}

float* fakejack_port_buffer(const char* name) {
    Port* p = find(name);
    return p ? p->buffer.data() : nullptr;
}

int fakejack_threads_created() {
    return gCreated;
}

// The server's clock: CLOCK_MONOTONIC (pipewire-jack) or CLOCK_MONOTONIC_RAW (jackd2 1.9.21).
void fakejack_use_clock(clockid_t id) {
    gClock = id;
}
jack_time_t fakejack_now_us() {
    return serverClockUs();
}

// ---- libjack ------------------------------------------------------------------------------

jack_client_t* jack_client_open(const char* name, jack_options_t, jack_status_t* status, ...) {
    State& s = S();
    if (!s.alive || s.open) {
        if (status) *status = static_cast<jack_status_t>(JackFailure | JackServerFailed);
        return nullptr;
    }
    if (status) *status = static_cast<jack_status_t>(0);
    s.open = true;
    s.clientName = name;
    s.process = nullptr;
    s.bufsize = nullptr;
    s.srate = nullptr;
    s.xrun = nullptr;
    s.latency = nullptr;
    s.shutdown = nullptr;
    s.infoShutdown = nullptr;
    return reinterpret_cast<jack_client_t*>(&s);
}

int jack_deactivate(jack_client_t*) {
    State& s = S();
    if (!s.active) return 0;
    runJob(State::Quit);
    pthread_join(s.thread, nullptr);
    s.active = false;
    for (Port* p : s.ports) p->peers.clear();
    return 0;
}

int jack_client_close(jack_client_t* c) {
    State& s = S();
    jack_deactivate(c);
    s.open = false;
    std::vector<Port*> keep;
    for (Port* p : s.ports) {
        if (ownPort(p))
            delete p;
        else
            keep.push_back(p);
    }
    s.ports = keep;
    return 0;
}

char* jack_get_client_name(jack_client_t*) {
    return const_cast<char*>(S().clientName.c_str());
}

int jack_activate(jack_client_t*) {
    State& s = S();
    if (s.active) return 0;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    const int r = gCreator ? gCreator(&s.thread, &attr, &processThread, nullptr)
                           : pthread_create(&s.thread, &attr, &processThread, nullptr);
    pthread_attr_destroy(&attr);
    if (r != 0) return -1;
    ++gCreated;
    s.active = true;
    // jackd2 calls the buffer-size callback once at activation, on the new thread.
    s.jobFrames = s.period;
    runJob(State::BufferSize);
    return 0;
}

int jack_set_process_callback(jack_client_t*, JackProcessCallback cb, void* arg) {
    S().process = cb;
    S().processArg = arg;
    return 0;
}
int jack_set_buffer_size_callback(jack_client_t*, JackBufferSizeCallback cb, void* arg) {
    S().bufsize = cb;
    S().bufsizeArg = arg;
    return 0;
}
int jack_set_sample_rate_callback(jack_client_t*, JackSampleRateCallback cb, void* arg) {
    S().srate = cb;
    S().srateArg = arg;
    return 0;
}
int jack_set_xrun_callback(jack_client_t*, JackXRunCallback cb, void* arg) {
    S().xrun = cb;
    S().xrunArg = arg;
    return 0;
}
int jack_set_latency_callback(jack_client_t*, JackLatencyCallback cb, void* arg) {
    S().latency = cb;
    S().latencyArg = arg;
    return 0;
}
void jack_on_shutdown(jack_client_t*, JackShutdownCallback cb, void* arg) {
    S().shutdown = cb;
    S().shutdownArg = arg;
}
void jack_on_info_shutdown(jack_client_t*, JackInfoShutdownCallback cb, void* arg) {
    S().infoShutdown = cb;
    S().infoShutdownArg = arg;
}

jack_nframes_t jack_get_sample_rate(jack_client_t*) {
    return S().rate;
}
jack_nframes_t jack_get_buffer_size(jack_client_t*) {
    return S().period;
}

jack_port_t* jack_port_register(jack_client_t*, const char* shortName, const char*,
                                unsigned long flags, unsigned long) {
    auto* p = new Port;
    p->name = S().clientName + ":" + shortName;
    p->flags = flags;
    S().ports.push_back(p);
    return reinterpret_cast<jack_port_t*>(p);
}

void* jack_port_get_buffer(jack_port_t* port, jack_nframes_t) {
    return reinterpret_cast<Port*>(port)->buffer.data();
}
const char* jack_port_name(const jack_port_t* port) {
    return reinterpret_cast<const Port*>(port)->name.c_str();
}
jack_port_t* jack_port_by_name(jack_client_t*, const char* name) {
    return reinterpret_cast<jack_port_t*>(find(name));
}

const char** jack_get_ports(jack_client_t*, const char*, const char*, unsigned long flags) {
    std::vector<const char*> names;
    for (Port* p : S().ports)
        if ((p->flags & flags) == flags) names.push_back(p->name.c_str());
    if (names.empty()) return nullptr;
    auto** out = static_cast<const char**>(std::malloc((names.size() + 1) * sizeof(char*)));
    std::copy(names.begin(), names.end(), out);
    out[names.size()] = nullptr;
    return out;
}

int jack_connect(jack_client_t*, const char* from, const char* to) {
    Port* a = find(from);
    Port* b = find(to);
    if (!a || !b) return -1;
    if (std::find(a->peers.begin(), a->peers.end(), b) != a->peers.end()) return EEXIST;
    a->peers.push_back(b);
    b->peers.push_back(a);
    return 0;
}

jack_time_t jack_get_time() {
    return serverClockUs();
}
jack_nframes_t jack_last_frame_time(const jack_client_t*) {
    return S().cycle.counter;
}

int jack_get_cycle_times(const jack_client_t*, jack_nframes_t* frames, jack_time_t* usecs,
                         jack_time_t* next, float* period) {
    const State& s = S();
    *frames = s.cycle.counter;
    *usecs = s.cycle.usecs;
    *next = s.cycle.usecs + static_cast<jack_time_t>(1e6 * s.cycle.frames / s.rate);
    *period = static_cast<float>(1e6 * s.cycle.frames / s.rate);
    return 0;
}

void jack_set_error_function(void (*)(const char*)) {}
void jack_set_info_function(void (*)(const char*)) {}
void jack_set_thread_creator(jack_thread_creator_t creator) {
    gCreator = creator;
}

void jack_port_get_latency_range(jack_port_t* port, jack_latency_callback_mode_t mode,
                                 jack_latency_range_t* range) {
    const Port* p = reinterpret_cast<const Port*>(port);
    *range = mode == JackCaptureLatency ? p->capture : p->playback;
}
void jack_port_set_latency_range(jack_port_t* port, jack_latency_callback_mode_t mode,
                                 jack_latency_range_t* range) {
    Port* p = reinterpret_cast<Port*>(port);
    (mode == JackCaptureLatency ? p->capture : p->playback) = *range;
}
int jack_recompute_total_latencies(jack_client_t*) {
    recompute();
    return 0;
}
int jack_port_get_aliases(const jack_port_t*, char* const aliases[2]) {
    (void)aliases;
    return 0;
}
int jack_port_name_size() {
    return 320;
}
void jack_free(void* p) {
    std::free(p);
}

}  // extern "C"
