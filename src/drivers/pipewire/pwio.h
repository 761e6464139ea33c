/* The PipeWire side of the PipeWire driver, as a small C API.
 *
 * libspa's headers are C: designated initialisers, compound literals and statement
 * expressions that do not compile as C++20 with -Wpedantic -Werror. Every libpipewire /
 * libspa call of the driver therefore lives in pwio.c (C11 with GNU extensions, the
 * dialect libspa is written in), and pipewire.cpp, the kit backend, sees only this header.
 *
 * One `fbpw` is one connection: a pw_thread_loop (the control loop's thread), a
 * pw_context with its data loop (the real-time thread), a pw_core, the registry (nodes,
 * ports, the "settings" and "default" metadata) and at most one pw_filter, the driver's
 * node. Every function here is for control threads and takes the thread loop's lock
 * itself; none may be called from a callback. The callbacks never block.
 */
#ifndef FOLDBACK_PWIO_H
#define FOLDBACK_PWIO_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FBPW_MAX_PORTS 256
#define FBPW_MAX_RATES 32
#define FBPW_MAX_FRAMES 8192 /* larger quanta get silence on the inputs */

typedef struct fbpw fbpw;

/* One graph cycle, as the data thread hands it to the driver. */
typedef struct fbpw_period {
    const float* const* in; /* one per input port; a silent buffer when a port has none */
    float* const* out;      /* one per output port; NULL where a port has no buffer */
    uint32_t frames;        /* spa_io_position.clock.duration: this cycle's quantum */
    uint32_t rate;          /* clock.rate.denom (the graph rate) */
    uint64_t position;      /* clock.position, in frames of the driver */
    uint64_t nsec;          /* clock.nsec: CLOCK_MONOTONIC ns of the cycle's start */
    uint64_t next_nsec;     /* clock.next_nsec: the driver's estimate of the next cycle */
    uint32_t clock_id;      /* clock.id: changes when another driver takes over */
    uint32_t unbuffered;    /* ports without a buffer this cycle (links still negotiating) */
} fbpw_period;

enum fbpw_event {
    FBPW_EVENT_LOST = 1,     /* the daemon is gone (core error -EPIPE) or the node failed */
    FBPW_EVENT_SETTINGS = 2, /* "settings" metadata or core properties changed */
    FBPW_EVENT_LATENCY = 3,  /* a Latency parameter of one of our ports changed */
};

typedef struct fbpw_callbacks {
    /* The data thread (real time), once per cycle while the node is active. */
    void (*process)(void* user, const fbpw_period* period);
    /* The control loop's thread: record and wake someone; never block or call fbpw_*. */
    void (*event)(void* user, int event);
} fbpw_callbacks;

/* The graph's clock settings: the "settings" metadata over the daemon's properties. */
typedef struct fbpw_settings {
    uint32_t rate;          /* clock.rate */
    uint32_t quantum;       /* clock.quantum (the graph's default quantum) */
    uint32_t min_quantum;   /* clock.min-quantum */
    uint32_t max_quantum;   /* clock.max-quantum */
    uint32_t quantum_limit; /* default.clock.quantum-limit */
    uint32_t force_quantum; /* clock.force-quantum, 0 = none */
    uint32_t force_rate;    /* clock.force-rate, 0 = none */
    int power_of_two;       /* clock.power-of-two-quantum (quanta are rounded down) */
    uint32_t allowed_rates[FBPW_MAX_RATES];
    uint32_t n_allowed_rates;
    char version[32]; /* the daemon's version */
} fbpw_settings;

typedef struct fbpw_port_info {
    uint32_t id;      /* the port's global id */
    char name[64];    /* port.name */
    char channel[32]; /* audio.channel ("FL", "AUX3"), "" when unknown */
} fbpw_port_info;

typedef struct fbpw_filter_desc {
    const char* node_name;
    const char* description;
    uint32_t n_in, n_out;
    const char* const* in_names; /* port names */
    const char* const* out_names;
    const char* const* props; /* key, value, key, value ... extra node properties */
    uint32_t n_props;         /* pairs */
} fbpw_filter_desc;

/* Connects to the daemon (remote NULL or "" = $PIPEWIRE_REMOTE, else "pipewire-0") and
 * reads the registry and the metadata. 0, or -errno with a sentence in err. */
int fbpw_open(fbpw** out, const char* remote, const char* client_name, const fbpw_callbacks* cb,
              void* user, char* err, size_t errlen);
/* Destroys the filter, disconnects and stops every thread of the connection. */
void fbpw_close(fbpw* pw);

/* 1 once the daemon went away or the node failed; the reason, if any, in text. */
int fbpw_lost(fbpw* pw, char* text, size_t len);

void fbpw_get_settings(fbpw* pw, fbpw_settings* out);
/* The default sink (sink = 1) or source's node.name. 0, or -ENOENT. */
int fbpw_default_node(fbpw* pw, int sink, char* name, size_t len);
/* The ports a node offers to a capture (capture = 1: its outputs, or a sink's monitor
 * ports) or a playback (capture = 0: its inputs) in port order. Returns the number found
 * (up to cap written) or -ENOENT when no node has that name. */
int fbpw_node_ports(fbpw* pw, const char* node_name, int capture, fbpw_port_info* out, int cap);
/* 1 when the node is a sink (media.class "…/Sink"): a capture from it is its monitor. */
int fbpw_node_is_sink(fbpw* pw, const char* node_name);

/* The data loop's thread (the node's real-time thread) is created through `create` from
 * now on (NULL = PipeWire's own, module-rt's). Restarts the data loop: only while no
 * filter exists. Real-time priority is still asked of PipeWire's thread utils. */
int fbpw_set_thread_creator(fbpw* pw, int (*create)(void*, pthread_t*, void* (*)(void*), void*),
                            void* context);

/* Creates and connects the driver's node, inactive, and waits until the daemon has it.
 * 0, or -errno with a sentence in err. */
int fbpw_filter_open(fbpw* pw, const fbpw_filter_desc* desc, char* err, size_t errlen);
void fbpw_filter_close(fbpw* pw);
/* Links our port (input = 1: our input `index` from peer port `peer_port`, else our output
 * `index` to it). 0, or -errno. Call fbpw_sync afterwards to know the daemon has them. */
int fbpw_filter_link(fbpw* pw, int input, uint32_t index, uint32_t peer_port);
int fbpw_filter_set_active(fbpw* pw, int active);
/* Round trip to the daemon: every event it sent before is handled. 0, or -errno. */
int fbpw_sync(fbpw* pw, int timeout_ms);
/* The largest latency the graph reports for our ports, in frames at `quantum` and
 * `rate`: capture = 1, what reaches our inputs (the upstream nodes' capture latency);
 * capture = 0, what follows our outputs (the downstream playback latency). */
int64_t fbpw_latency(fbpw* pw, int capture, uint32_t quantum, uint32_t rate);
/* The same figure for other nodes' ports, before our node exists (an estimate of what
 * fbpw_latency will say once they are linked): the largest capture latency (capture = 1)
 * or playback latency (capture = 0) the ports' own Latency parameters claim. */
int64_t fbpw_ports_latency(fbpw* pw, const uint32_t* ports, uint32_t n, int capture,
                           uint32_t quantum, uint32_t rate);

#ifdef __cplusplus
}
#endif

#endif /* FOLDBACK_PWIO_H */
