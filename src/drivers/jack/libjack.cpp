#include "drivers/jack/libjack.hpp"

#include <dlfcn.h>
#include <pthread.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "kit/audio_thread.hpp"
#include "kit/error.hpp"

namespace foldback::jack {

namespace {

constexpr const char* kDefaultLibrary = "libjack.so.0";

std::mutex gLoadMutex;
LibJack gTable;        // static storage: never freed, like the library itself
bool gLoaded = false;  // under gLoadMutex

std::atomic<int> gDebug{0};  // instances (and the environment) that asked for messages

void printMessage(const char* kind, const char* text) {
    if (gDebug.load(std::memory_order_relaxed) > 0)
        std::fprintf(stderr, "foldback-jack: libjack %s: %s\n", kind, text ? text : "");
}
void onError(const char* text) {
    printMessage("error", text);
}
void onInfo(const char* text) {
    printMessage("info", text);
}

// The thread creator. JACK's is process-wide and carries no context, so the instance is
// found through the control thread that is inside jack_activate() (CreatorScope).
std::mutex gActivateMutex;
thread_local FoldbackThreadCreator tCreator{nullptr, nullptr};
thread_local int tHostThreads = 0;

int createThread(pthread_t* thread, const pthread_attr_t* attr, void* (*fn)(void*), void* arg) {
    const FoldbackThreadCreator c = tCreator;
    if (c.create != nullptr && c.create != kit::defaultThreadCreator().create) {
        // The host's creator (the Wine bridge's): JACK's attributes cannot be passed on; the
        // process thread raises its own priority once it runs (jackd2: AcquireSelfRealTime
        // in the client thread's Init; pipewire-jack: its thread utils).
        ++tHostThreads;
        return c.create(c.context, thread, fn, arg);
    }
    return pthread_create(thread, attr, fn, arg);
}

template <typename F>
void resolve(void* handle, F& slot, const char* name) {
    slot = reinterpret_cast<F>(dlsym(handle, name));
}

}  // namespace

void LibJack::release(void* p) const noexcept {
    if (!p) return;
    if (free)
        free(p);
    else
        std::free(p);
}

const LibJack& load(const std::string& path) {
    std::lock_guard<std::mutex> lock(gLoadMutex);
    const std::string want = path.empty() ? kDefaultLibrary : path;
    if (gLoaded) {
        if (want == gTable.path) return gTable;
        void* other = dlopen(want.c_str(), RTLD_LAZY | RTLD_LOCAL);
        if (!other)
            kit::fail(ASE_NotPresent,
                      "JACK library not found (install libjack-jackd2-0 or pipewire-jack); [jack] "
                      "library = \"{}\" (and {} is in use)",
                      want, gTable.path);
        dlclose(other);
        kit::fail(ASE_NotPresent,
                  "libjack is already loaded from {} in this process; [jack] library = \"{}\" "
                  "cannot be loaded beside it",
                  gTable.path, want);
    }
    // RTLD_NODELETE: libjack starts threads and registers atexit handlers; it must outlive
    // every client, whatever the host does with our module.
    void* h = dlopen(want.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!h) {
        if (path.empty())
            kit::fail(ASE_NotPresent,
                      "JACK library not found (install libjack-jackd2-0 or pipewire-jack)");
        kit::fail(ASE_NotPresent,
                  "JACK library not found (install libjack-jackd2-0 or pipewire-jack); [jack] "
                  "library = \"{}\"",
                  want);
    }
    LibJack t;
    t.path = want;
    resolve(h, t.client_open, "jack_client_open");
    resolve(h, t.client_close, "jack_client_close");
    resolve(h, t.get_client_name, "jack_get_client_name");
    resolve(h, t.activate, "jack_activate");
    resolve(h, t.deactivate, "jack_deactivate");
    resolve(h, t.set_process_callback, "jack_set_process_callback");
    resolve(h, t.set_buffer_size_callback, "jack_set_buffer_size_callback");
    resolve(h, t.set_sample_rate_callback, "jack_set_sample_rate_callback");
    resolve(h, t.set_xrun_callback, "jack_set_xrun_callback");
    resolve(h, t.on_shutdown, "jack_on_shutdown");
    resolve(h, t.get_sample_rate, "jack_get_sample_rate");
    resolve(h, t.get_buffer_size, "jack_get_buffer_size");
    resolve(h, t.port_register, "jack_port_register");
    resolve(h, t.port_get_buffer, "jack_port_get_buffer");
    resolve(h, t.port_name, "jack_port_name");
    resolve(h, t.port_by_name, "jack_port_by_name");
    resolve(h, t.get_ports, "jack_get_ports");
    resolve(h, t.connect, "jack_connect");
    resolve(h, t.get_time, "jack_get_time");
    resolve(h, t.last_frame_time, "jack_last_frame_time");
    resolve(h, t.set_error_function, "jack_set_error_function");
    resolve(h, t.set_info_function, "jack_set_info_function");
    const void* required[] = {reinterpret_cast<void*>(t.client_open),
                              reinterpret_cast<void*>(t.client_close),
                              reinterpret_cast<void*>(t.get_client_name),
                              reinterpret_cast<void*>(t.activate),
                              reinterpret_cast<void*>(t.deactivate),
                              reinterpret_cast<void*>(t.set_process_callback),
                              reinterpret_cast<void*>(t.set_buffer_size_callback),
                              reinterpret_cast<void*>(t.set_sample_rate_callback),
                              reinterpret_cast<void*>(t.set_xrun_callback),
                              reinterpret_cast<void*>(t.on_shutdown),
                              reinterpret_cast<void*>(t.get_sample_rate),
                              reinterpret_cast<void*>(t.get_buffer_size),
                              reinterpret_cast<void*>(t.port_register),
                              reinterpret_cast<void*>(t.port_get_buffer),
                              reinterpret_cast<void*>(t.port_name),
                              reinterpret_cast<void*>(t.port_by_name),
                              reinterpret_cast<void*>(t.get_ports),
                              reinterpret_cast<void*>(t.connect),
                              reinterpret_cast<void*>(t.get_time),
                              reinterpret_cast<void*>(t.last_frame_time),
                              reinterpret_cast<void*>(t.set_error_function),
                              reinterpret_cast<void*>(t.set_info_function)};
    for (const void* f : required)
        if (!f)
            kit::fail(ASE_NotPresent,
                      "{} is not a usable libjack (a function is missing); install "
                      "libjack-jackd2-0 or pipewire-jack",
                      want);
    resolve(h, t.on_info_shutdown, "jack_on_info_shutdown");
    resolve(h, t.get_cycle_times, "jack_get_cycle_times");
    resolve(h, t.set_latency_callback, "jack_set_latency_callback");
    resolve(h, t.port_get_latency_range, "jack_port_get_latency_range");
    resolve(h, t.port_set_latency_range, "jack_port_set_latency_range");
    resolve(h, t.recompute_total_latencies, "jack_recompute_total_latencies");
    resolve(h, t.port_get_aliases, "jack_port_get_aliases");
    resolve(h, t.port_get_all_connections, "jack_port_get_all_connections");
    resolve(h, t.port_name_size, "jack_port_name_size");
    resolve(h, t.set_thread_creator, "jack_set_thread_creator");
    resolve(h, t.free, "jack_free");

    if (const char* env = std::getenv("FOLDBACK_JACK_DEBUG");
        env && *env && std::strcmp(env, "0") != 0)
        gDebug.fetch_add(1, std::memory_order_relaxed);
    t.set_error_function(&onError);
    t.set_info_function(&onInfo);
    if (t.set_thread_creator) t.set_thread_creator(&createThread);
    gTable = std::move(t);
    gLoaded = true;
    return gTable;
}

void debugMessages(bool on) noexcept {
    gDebug.fetch_add(on ? 1 : -1, std::memory_order_relaxed);
}

CreatorScope::CreatorScope(const LibJack& lib, const FoldbackThreadCreator& creator) {
    if (creator.create != nullptr && creator.create != kit::defaultThreadCreator().create &&
        !lib.set_thread_creator)
        kit::fail(ASE_NotPresent,
                  "{} cannot start its threads through the host's thread creator "
                  "(no jack_set_thread_creator)",
                  lib.path);
    gActivateMutex.lock();
    locked_ = true;
    tCreator = creator;
    tHostThreads = 0;
}

CreatorScope::~CreatorScope() {
    tCreator = FoldbackThreadCreator{nullptr, nullptr};
    if (locked_) gActivateMutex.unlock();
}

int CreatorScope::hostThreads() const noexcept {
    return tHostThreads;
}

}  // namespace foldback::jack
