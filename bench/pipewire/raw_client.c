/* bench_pipewire's raw client (raw_client.h): the least a PipeWire client can do for a
 * copy of N channels: a pw_filter with DSP ports, RT_PROCESS, a memcpy per port. It loads
 * client-rt.conf as the driver does, so both data threads run SCHED_FIFO. */
#define _GNU_SOURCE
#include "raw_client.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

/* pipewire.h first, in a block of its own: the headers below need its types. */
#include <pipewire/pipewire.h>

#include <pipewire/filter.h>

#define MAX_CHANNELS 64

static struct pw_thread_loop* loop;
static struct pw_context* context;
static struct pw_core* core;
static struct pw_filter* filter;
static void *in_port[MAX_CHANNELS], *out_port[MAX_CHANNELS];
static int n_channels;
static atomic_llong callbacks;
static enum pw_filter_state state;
static struct spa_hook filter_listener;

static void on_process(void* data, struct spa_io_position* position) {
    (void)data;
    if (!position) return;
    const uint32_t n = (uint32_t)position->clock.duration;
    for (int c = 0; c < n_channels; ++c) {
        float* out = pw_filter_get_dsp_buffer(out_port[c], n);
        const float* in = pw_filter_get_dsp_buffer(in_port[c], n);
        if (!out) continue;
        if (in)
            memcpy(out, in, n * sizeof(float));
        else
            memset(out, 0, n * sizeof(float));
    }
    atomic_fetch_add_explicit(&callbacks, 1, memory_order_relaxed);
}

static void on_state(void* data, enum pw_filter_state old, enum pw_filter_state s,
                     const char* error) {
    (void)data;
    (void)old;
    (void)error;
    state = s;
    pw_thread_loop_signal(loop, false);
}

static const struct pw_filter_events events = {
    PW_VERSION_FILTER_EVENTS,
    .state_changed = on_state,
    .process = on_process,
};

int bench_raw_open(const char* name, int channels, char* err, size_t errlen) {
    if (channels < 1 || channels > MAX_CHANNELS) {
        snprintf(err, errlen, "1..%d channels", MAX_CHANNELS);
        return -1;
    }
    pw_init(NULL, NULL);
    n_channels = channels;
    loop = pw_thread_loop_new("bench-raw", NULL);
    context = pw_context_new(pw_thread_loop_get_loop(loop),
                             pw_properties_new(PW_KEY_CONFIG_NAME, "client-rt.conf", NULL), 0);
    if (!loop || !context || pw_thread_loop_start(loop) < 0) {
        snprintf(err, errlen, "cannot start a PipeWire loop");
        return -1;
    }
    pw_thread_loop_lock(loop);
    core = pw_context_connect(context, NULL, 0);
    if (!core) {
        pw_thread_loop_unlock(loop);
        snprintf(err, errlen, "no PipeWire daemon: %s", strerror(errno));
        return -1;
    }
    filter = pw_filter_new(core, name,
                           pw_properties_new(PW_KEY_MEDIA_TYPE, "Audio", PW_KEY_MEDIA_CATEGORY,
                                             "Duplex", PW_KEY_MEDIA_ROLE, "DSP", PW_KEY_NODE_NAME,
                                             name, PW_KEY_NODE_ALWAYS_PROCESS, "true", NULL));
    pw_filter_add_listener(filter, &filter_listener, &events, NULL);
    for (int c = 0; c < channels; ++c) {
        char port[32];
        snprintf(port, sizeof(port), "in_%d", c + 1);
        in_port[c] =
            pw_filter_add_port(filter, PW_DIRECTION_INPUT, PW_FILTER_PORT_FLAG_MAP_BUFFERS, 0,
                               pw_properties_new(PW_KEY_FORMAT_DSP, "32 bit float mono audio",
                                                 PW_KEY_PORT_NAME, port, NULL),
                               NULL, 0);
        snprintf(port, sizeof(port), "out_%d", c + 1);
        out_port[c] =
            pw_filter_add_port(filter, PW_DIRECTION_OUTPUT, PW_FILTER_PORT_FLAG_MAP_BUFFERS, 0,
                               pw_properties_new(PW_KEY_FORMAT_DSP, "32 bit float mono audio",
                                                 PW_KEY_PORT_NAME, port, NULL),
                               NULL, 0);
    }
    int res = pw_filter_connect(filter, PW_FILTER_FLAG_RT_PROCESS, NULL, 0);
    while (res == 0 && state != PW_FILTER_STATE_STREAMING && state != PW_FILTER_STATE_ERROR)
        if (pw_thread_loop_timed_wait(loop, 3) != 0) res = -ETIMEDOUT;
    pw_thread_loop_unlock(loop);
    if (res < 0 || state == PW_FILTER_STATE_ERROR) {
        snprintf(err, errlen, "the node did not start: %s",
                 res < 0 ? strerror(-res) : "error state");
        return -1;
    }
    return 0;
}

long long bench_raw_callbacks(void) {
    return atomic_load_explicit(&callbacks, memory_order_relaxed);
}

void bench_raw_close(void) {
    if (loop) {
        pw_thread_loop_lock(loop);
        if (filter) pw_filter_destroy(filter);
        if (core) pw_core_disconnect(core);
        pw_thread_loop_unlock(loop);
        pw_thread_loop_stop(loop);
    }
    if (context) pw_context_destroy(context);
    if (loop) pw_thread_loop_destroy(loop);
    filter = NULL;
    core = NULL;
    context = NULL;
    loop = NULL;
}
