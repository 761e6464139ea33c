/* Test helper: a PipeWire node that claims latency, as a device node would.
 *
 *   pw_latency_node NAME
 *
 * Makes the node NAME with an output port "capture_1" whose capture latency is one quantum
 * + 100 frames, and an input port "playback_1" whose playback latency is 200 frames + 1 ms
 * (Latency parameters; PW_FILTER_FLAG_CUSTOM_LATENCY keeps PipeWire from recomputing them).
 * Prints "ready" once the daemon has the node. SIGUSR1 toggles the capture latency's
 * frames between 100 and 150; SIGTERM, SIGINT or the end of stdin end it. Outputs silence.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

/* pipewire.h first, in a block of its own: the headers below need its types. */
#include <pipewire/pipewire.h>

#include <pipewire/filter.h>
#include <spa/param/latency-utils.h>
#include <spa/pod/builder.h>

struct app {
    struct pw_main_loop* loop;
    struct pw_filter* filter;
    void *capture, *playback;
    int capture_rate;
    int ready;
};

static void set_latency(struct app* a) {
    uint8_t buffer[512];
    struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buffer, sizeof(buffer));
    const struct spa_pod* params[1];
    struct spa_latency_info capture =
        SPA_LATENCY_INFO(SPA_DIRECTION_OUTPUT, .min_quantum = 1, .max_quantum = 1,
                         .min_rate = a->capture_rate, .max_rate = a->capture_rate);
    params[0] = spa_latency_build(&b, SPA_PARAM_Latency, &capture);
    pw_filter_update_params(a->filter, a->capture, params, 1);
    b = SPA_POD_BUILDER_INIT(buffer, sizeof(buffer));
    struct spa_latency_info playback =
        SPA_LATENCY_INFO(SPA_DIRECTION_INPUT, .min_rate = 200, .max_rate = 200, .min_ns = 1000000,
                         .max_ns = 1000000);
    params[0] = spa_latency_build(&b, SPA_PARAM_Latency, &playback);
    pw_filter_update_params(a->filter, a->playback, params, 1);
}

static void on_process(void* data, struct spa_io_position* position) {
    struct app* a = data;
    if (!position) return;
    const uint32_t n = (uint32_t)position->clock.duration;
    float* out = pw_filter_get_dsp_buffer(a->capture, n);
    if (out) memset(out, 0, n * sizeof(float));
}

static void on_state(void* data, enum pw_filter_state old, enum pw_filter_state state,
                     const char* error) {
    struct app* a = data;
    (void)old;
    if (state == PW_FILTER_STATE_ERROR) {
        fprintf(stderr, "pw_latency_node: %s\n", error ? error : "error");
        pw_main_loop_quit(a->loop);
    } else if ((state == PW_FILTER_STATE_PAUSED || state == PW_FILTER_STATE_STREAMING) &&
               !a->ready) {
        a->ready = 1;
        printf("ready\n");
        fflush(stdout);
    }
}

static const struct pw_filter_events events = {
    PW_VERSION_FILTER_EVENTS,
    .state_changed = on_state,
    .process = on_process,
};

static void on_quit(void* data, int signal_number) {
    struct app* a = data;
    (void)signal_number;
    pw_main_loop_quit(a->loop);
}

static void on_more(void* data, int signal_number) {
    struct app* a = data;
    (void)signal_number;
    a->capture_rate = a->capture_rate == 100 ? 150 : 100;
    set_latency(a);
}

static void on_stdin(void* data, int fd, uint32_t mask) {
    struct app* a = data;
    char buf[64];
    if ((mask & (SPA_IO_HUP | SPA_IO_ERR)) || read(fd, buf, sizeof(buf)) <= 0)
        pw_main_loop_quit(a->loop);
}

int main(int argc, char** argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: pw_latency_node NAME\n");
        return 2;
    }
    pw_init(&argc, &argv);
    struct app a = {.capture_rate = 100};
    a.loop = pw_main_loop_new(NULL);
    struct pw_loop* loop = pw_main_loop_get_loop(a.loop);
    pw_loop_add_signal(loop, SIGINT, on_quit, &a);
    pw_loop_add_signal(loop, SIGTERM, on_quit, &a);
    pw_loop_add_signal(loop, SIGUSR1, on_more, &a);
    pw_loop_add_io(loop, 0, SPA_IO_IN | SPA_IO_HUP | SPA_IO_ERR, false, on_stdin, &a);
    a.filter =
        pw_filter_new_simple(loop, argv[1],
                             pw_properties_new(PW_KEY_MEDIA_TYPE, "Audio", PW_KEY_MEDIA_CATEGORY,
                                               "Duplex", PW_KEY_MEDIA_ROLE, "DSP", PW_KEY_NODE_NAME,
                                               argv[1], PW_KEY_NODE_ALWAYS_PROCESS, "true", NULL),
                             &events, &a);
    a.capture =
        pw_filter_add_port(a.filter, PW_DIRECTION_OUTPUT, PW_FILTER_PORT_FLAG_MAP_BUFFERS, 0,
                           pw_properties_new(PW_KEY_FORMAT_DSP, "32 bit float mono audio",
                                             PW_KEY_PORT_NAME, "capture_1", NULL),
                           NULL, 0);
    a.playback =
        pw_filter_add_port(a.filter, PW_DIRECTION_INPUT, PW_FILTER_PORT_FLAG_MAP_BUFFERS, 0,
                           pw_properties_new(PW_KEY_FORMAT_DSP, "32 bit float mono audio",
                                             PW_KEY_PORT_NAME, "playback_1", NULL),
                           NULL, 0);
    set_latency(&a);
    if (pw_filter_connect(a.filter, PW_FILTER_FLAG_RT_PROCESS | PW_FILTER_FLAG_CUSTOM_LATENCY, NULL,
                          0) < 0) {
        fprintf(stderr, "pw_latency_node: cannot connect: %s\n", strerror(errno));
        return 1;
    }
    pw_main_loop_run(a.loop);
    pw_filter_destroy(a.filter);
    pw_main_loop_destroy(a.loop);
    pw_deinit();
    return 0;
}
