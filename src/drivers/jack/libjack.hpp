// libjack, loaded at run time (dlopen), so the driver loads and `foldback list` can say
// why it is unavailable on a machine without JACK. The header <jack/jack.h> is used for
// types and constants only: every function is reached through the table below, and the
// driver module has no link dependency on libjack (checked by -z defs).
//
// Process-wide state lives here, because libjack's own is process-wide:
//   - the error and info functions (jack_set_error_function / jack_set_info_function):
//     libjack's messages are dropped unless a debug setting asks for them, so hosts'
//     stderr stays clean ("Cannot connect to server socket..." on every probe);
//   - the thread creator (jack_set_thread_creator has no context pointer): one
//     trampoline, installed once, that forwards to the creator of the instance whose
//     control thread is inside jack_activate() at that moment (thread-local), else to
//     pthread_create with JACK's own attributes.
#pragma once

#include <jack/jack.h>
#include <jack/thread.h>

#include <string>

#include "foldback/driver.h"

namespace foldback::jack {

struct LibJack {
    std::string path;  // what was dlopen()ed
    // Required.
    decltype(&::jack_client_open) client_open = nullptr;
    decltype(&::jack_client_close) client_close = nullptr;
    decltype(&::jack_get_client_name) get_client_name = nullptr;
    decltype(&::jack_activate) activate = nullptr;
    decltype(&::jack_deactivate) deactivate = nullptr;
    decltype(&::jack_set_process_callback) set_process_callback = nullptr;
    decltype(&::jack_set_buffer_size_callback) set_buffer_size_callback = nullptr;
    decltype(&::jack_set_sample_rate_callback) set_sample_rate_callback = nullptr;
    decltype(&::jack_set_xrun_callback) set_xrun_callback = nullptr;
    decltype(&::jack_on_shutdown) on_shutdown = nullptr;
    decltype(&::jack_get_sample_rate) get_sample_rate = nullptr;
    decltype(&::jack_get_buffer_size) get_buffer_size = nullptr;
    decltype(&::jack_port_register) port_register = nullptr;
    decltype(&::jack_port_get_buffer) port_get_buffer = nullptr;
    decltype(&::jack_port_name) port_name = nullptr;
    decltype(&::jack_port_by_name) port_by_name = nullptr;
    decltype(&::jack_get_ports) get_ports = nullptr;
    decltype(&::jack_connect) connect = nullptr;
    decltype(&::jack_get_time) get_time = nullptr;
    decltype(&::jack_last_frame_time) last_frame_time = nullptr;
    decltype(&::jack_set_error_function) set_error_function = nullptr;
    decltype(&::jack_set_info_function) set_info_function = nullptr;
    // Optional (older or partial implementations): checked before use.
    decltype(&::jack_on_info_shutdown) on_info_shutdown = nullptr;
    decltype(&::jack_get_cycle_times) get_cycle_times = nullptr;
    decltype(&::jack_set_latency_callback) set_latency_callback = nullptr;
    decltype(&::jack_port_get_latency_range) port_get_latency_range = nullptr;
    decltype(&::jack_port_set_latency_range) port_set_latency_range = nullptr;
    decltype(&::jack_recompute_total_latencies) recompute_total_latencies = nullptr;
    decltype(&::jack_port_get_aliases) port_get_aliases = nullptr;
    decltype(&::jack_port_get_all_connections) port_get_all_connections = nullptr;
    decltype(&::jack_port_name_size) port_name_size = nullptr;
    decltype(&::jack_set_thread_creator) set_thread_creator = nullptr;
    decltype(&::jack_free) free = nullptr;

    // jack_free when the library has it (jack_get_ports' arrays), else free().
    void release(void* p) const noexcept;
};

// The library at `path` ("" = libjack.so.0, whatever provides it: jackd2's or
// pipewire-jack's), loaded once per process and never unloaded (libjack keeps threads and
// atexit handlers). Throws kit::Error(ASE_NotPresent, "JACK library not found (install
// libjack-jackd2-0 or pipewire-jack)...") when it cannot be loaded, and a clear error when
// another libjack was already loaded into this process.
const LibJack& load(const std::string& path);

// libjack's messages go to stderr while any open instance asked for them ([jack] debug =
// true) or FOLDBACK_JACK_DEBUG=1 is set; dropped otherwise.
void debugMessages(bool on) noexcept;

// While alive, threads that libjack creates on this thread (jack_activate starts the
// process thread synchronously) are created through `creator`. Serialised process-wide.
class CreatorScope {
  public:
    CreatorScope(const LibJack& lib, const FoldbackThreadCreator& creator);
    ~CreatorScope();
    CreatorScope(const CreatorScope&) = delete;
    CreatorScope& operator=(const CreatorScope&) = delete;
    // Threads libjack created through the host's creator inside this scope.
    int hostThreads() const noexcept;

  private:
    bool locked_ = false;
};

}  // namespace foldback::jack
