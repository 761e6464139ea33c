/* The PipeWire side of the PipeWire driver (pwio.h): every libpipewire / libspa call.
 *
 * Threads
 *   control threads   call the fbpw_* functions; each takes the thread loop's lock.
 *   the loop thread   pw_thread_loop: core, registry, metadata, filter state and param
 *                     events. They update this struct under the lock and tell the driver
 *                     through fbpw_callbacks.event (which never blocks).
 *   the data thread   the context's data loop: on_process, once per graph cycle while the
 *                     node is active. It reads only what fbpw_filter_open set up before the
 *                     node was connected, and calls fbpw_callbacks.process.
 *
 * Facts of PipeWire 0.3.65 this relies on (measured on the CI rig, docs/drivers/pipewire.md):
 *   - pw_context_new starts the data loop's thread at once, through the thread utils of
 *     module-rt (client-rt.conf). pw_data_loop_stop / set_thread_utils / start replaces
 *     that thread with one made by the host's creator; module-rt still raises it to
 *     SCHED_FIFO (acquire_rt is delegated).
 *   - killing the daemon gives a core error on id 0 with -EPIPE, then the filter goes
 *     to "unconnected"; the connection is dead, a new context is needed.
 *   - with PW_FILTER_FLAG_CUSTOM_LATENCY the filter emits param_changed(Latency) for the
 *     Latency parameters its peers send, and leaves propagation to us.
 */
#define _GNU_SOURCE
#include "pwio.h"

#include <errno.h>
#include <float.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* pipewire.h first, in a block of its own: the headers below need its types. */
#include <pipewire/pipewire.h>

#include <pipewire/extensions/metadata.h>
#include <pipewire/filter.h>
#include <pipewire/thread.h>
#include <spa/param/latency-utils.h>
#include <spa/pod/builder.h>
#include <spa/support/thread.h>
#include <spa/utils/json.h>
#include <spa/utils/result.h>
#include <spa/utils/string.h>

#define WAIT_MS 3000

struct node_entry {
    struct spa_list link;
    uint32_t id;
    char name[128];
    char media_class[64];
};

struct port_entry {
    struct spa_list link;
    uint32_t id, node_id, index;
    int input, monitor;
    char name[64];
    char channel[32];
};

enum { META_SETTINGS = 1, META_DEFAULT = 2 };

struct meta_entry {
    struct spa_list link;
    struct fbpw* pw;
    uint32_t id;
    int kind;
    struct pw_proxy* proxy;
    struct spa_hook listener;
};

struct link_entry {
    struct spa_list link;
    struct pw_proxy* proxy;
};

/* The user data of each filter port. */
struct port_data {
    int input;
    uint32_t index;
};

struct fbpw {
    struct pw_thread_loop* loop;
    struct pw_context* context;
    struct pw_core* core;
    struct spa_hook core_listener;
    struct pw_registry* registry;
    struct spa_hook registry_listener;
    struct spa_list nodes, ports, metas, links;
    fbpw_callbacks cb;
    void* user;

    fbpw_settings settings;
    char default_sink[128], default_source[128];

    int pending_seq, done_seq;
    int lost;
    char lost_text[160];

    /* The node. Set up before pw_filter_connect, read by the data thread afterwards. */
    struct pw_filter* filter;
    struct spa_hook filter_listener;
    enum pw_filter_state state;
    char state_error[128];
    uint32_t n_in, n_out;
    struct port_data *in_port[FBPW_MAX_PORTS], *out_port[FBPW_MAX_PORTS];
    char in_name[FBPW_MAX_PORTS][64], out_name[FBPW_MAX_PORTS][64];
    const float* in_ptr[FBPW_MAX_PORTS];
    float* out_ptr[FBPW_MAX_PORTS];
    float* silence;
    /* Latency parameters our peers sent: capture side of inputs, playback side of outputs. */
    struct spa_latency_info in_lat[FBPW_MAX_PORTS], out_lat[FBPW_MAX_PORTS];
    int in_lat_valid[FBPW_MAX_PORTS], out_lat_valid[FBPW_MAX_PORTS];

    /* The data loop's thread creator. */
    struct spa_thread_utils utils;
    struct spa_thread_utils* rt_utils; /* module-rt's (or the global default) */
    int (*create)(void*, pthread_t*, void* (*)(void*), void*);
    void* create_context;
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static void do_init(void) {
    pw_init(NULL, NULL);
}

static void copy(char* dst, size_t size, const char* src) {
    if (size == 0) return;
    snprintf(dst, size, "%s", src ? src : "");
}

static void set_error(char* err, size_t len, const char* fmt, ...) SPA_PRINTF_FUNC(3, 4);
static void set_error(char* err, size_t len, const char* fmt, ...) {
    if (!err || len == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
}

static void emit(struct fbpw* pw, int event) {
    if (pw->cb.event) pw->cb.event(pw->user, event);
}

/* ---- waiting (thread loop lock held) ------------------------------------------------- */

typedef int (*predicate)(struct fbpw* pw);

static int wait_for(struct fbpw* pw, predicate done, int timeout_ms) {
    struct timespec abstime;
    pw_thread_loop_get_time(pw->loop, &abstime, (int64_t)timeout_ms * SPA_NSEC_PER_MSEC);
    while (!done(pw)) {
        if (pw->lost) return -EPIPE;
        if (pw_thread_loop_timed_wait_full(pw->loop, &abstime) == -ETIMEDOUT)
            return done(pw) ? 0 : -ETIMEDOUT;
    }
    return 0;
}

static int synced(struct fbpw* pw) {
    return pw->done_seq == pw->pending_seq;
}

static int sync_locked(struct fbpw* pw, int timeout_ms) {
    if (pw->lost) return -EPIPE;
    pw->pending_seq = pw_core_sync(pw->core, PW_ID_CORE, pw->pending_seq);
    return wait_for(pw, synced, timeout_ms);
}

/* ---- parsing ----------------------------------------------------------------------------- */

static uint32_t parse_u32(const char* s) {
    if (!s) return 0;
    char* end = NULL;
    unsigned long v = strtoul(s, &end, 10);
    return end != s && v <= UINT32_MAX ? (uint32_t)v : 0;
}

static int parse_bool(const char* s) {
    return s && (spa_streq(s, "true") || spa_streq(s, "1"));
}

static void parse_rates(struct fbpw* pw, const char* value) {
    struct spa_json it[2];
    char v[32];
    uint32_t n = 0;
    if (value) {
        spa_json_init(&it[0], value, strlen(value));
        if (spa_json_enter_array(&it[0], &it[1]) <= 0) spa_json_init(&it[1], value, strlen(value));
        while (n < FBPW_MAX_RATES && spa_json_get_string(&it[1], v, sizeof(v)) > 0) {
            const uint32_t r = parse_u32(v);
            if (r > 0) pw->settings.allowed_rates[n++] = r;
        }
    }
    pw->settings.n_allowed_rates = n;
}

/* default.audio.sink = { "name": "rig-sink" } */
static void parse_default(char* dst, size_t size, const char* value) {
    struct spa_json it[2];
    char key[64];
    dst[0] = '\0';
    if (!value) return;
    spa_json_init(&it[0], value, strlen(value));
    if (spa_json_enter_object(&it[0], &it[1]) <= 0) return;
    while (spa_json_get_string(&it[1], key, sizeof(key)) > 0) {
        if (spa_streq(key, "name")) {
            if (spa_json_get_string(&it[1], dst, (int)size) <= 0) dst[0] = '\0';
            return;
        }
        const char* skip;
        if (spa_json_next(&it[1], &skip) <= 0) return;
    }
}

/* ---- core, registry, metadata (loop thread) ----------------------------------------------- */

static void mark_lost(struct fbpw* pw, const char* text) {
    if (!pw->lost) {
        pw->lost = 1;
        copy(pw->lost_text, sizeof(pw->lost_text), text);
        emit(pw, FBPW_EVENT_LOST);
    }
    pw_thread_loop_signal(pw->loop, false);
}

static void on_core_info(void* data, const struct pw_core_info* info) {
    struct fbpw* pw = data;
    if (info->version) copy(pw->settings.version, sizeof(pw->settings.version), info->version);
    if (!info->props) return;
    const char* s;
    if ((s = spa_dict_lookup(info->props, "default.clock.quantum-limit")))
        pw->settings.quantum_limit = parse_u32(s);
    if ((s = spa_dict_lookup(info->props, "clock.power-of-two-quantum")))
        pw->settings.power_of_two = parse_bool(s);
    /* The daemon's defaults, until the settings metadata says otherwise. */
    if (!pw->settings.rate && (s = spa_dict_lookup(info->props, "default.clock.rate")))
        pw->settings.rate = parse_u32(s);
    if (!pw->settings.quantum && (s = spa_dict_lookup(info->props, "default.clock.quantum")))
        pw->settings.quantum = parse_u32(s);
    if (!pw->settings.min_quantum &&
        (s = spa_dict_lookup(info->props, "default.clock.min-quantum")))
        pw->settings.min_quantum = parse_u32(s);
    if (!pw->settings.max_quantum &&
        (s = spa_dict_lookup(info->props, "default.clock.max-quantum")))
        pw->settings.max_quantum = parse_u32(s);
    if (!pw->settings.n_allowed_rates &&
        (s = spa_dict_lookup(info->props, "default.clock.allowed-rates")))
        parse_rates(pw, s);
    emit(pw, FBPW_EVENT_SETTINGS);
}

static void on_core_done(void* data, uint32_t id, int seq) {
    struct fbpw* pw = data;
    if (id == PW_ID_CORE) {
        pw->done_seq = seq;
        pw_thread_loop_signal(pw->loop, false);
    }
}

static void on_core_error(void* data, uint32_t id, int seq, int res, const char* message) {
    struct fbpw* pw = data;
    (void)seq;
    if (id == PW_ID_CORE && res == -EPIPE) {
        char text[160];
        snprintf(text, sizeof(text), "the PipeWire daemon closed the connection (%s)",
                 message ? message : spa_strerror(res));
        mark_lost(pw, text);
    }
}

static const struct pw_core_events core_events = {
    PW_VERSION_CORE_EVENTS,
    .info = on_core_info,
    .done = on_core_done,
    .error = on_core_error,
};

static int on_meta_property(void* data, uint32_t subject, const char* key, const char* type,
                            const char* value) {
    struct meta_entry* m = data;
    struct fbpw* pw = m->pw;
    (void)type;
    if (subject != PW_ID_CORE) return 0;
    if (m->kind == META_DEFAULT) {
        if (!key || spa_streq(key, "default.audio.sink"))
            parse_default(pw->default_sink, sizeof(pw->default_sink), value);
        if (!key || spa_streq(key, "default.audio.source"))
            parse_default(pw->default_source, sizeof(pw->default_source), value);
        return 0;
    }
    fbpw_settings* s = &pw->settings;
    if (!key) {
        s->force_quantum = s->force_rate = 0;
    } else if (spa_streq(key, "clock.rate")) {
        if (value) s->rate = parse_u32(value);
    } else if (spa_streq(key, "clock.quantum")) {
        if (value) s->quantum = parse_u32(value);
    } else if (spa_streq(key, "clock.min-quantum")) {
        if (value) s->min_quantum = parse_u32(value);
    } else if (spa_streq(key, "clock.max-quantum")) {
        if (value) s->max_quantum = parse_u32(value);
    } else if (spa_streq(key, "clock.force-quantum")) {
        s->force_quantum = parse_u32(value);
    } else if (spa_streq(key, "clock.force-rate")) {
        s->force_rate = parse_u32(value);
    } else if (spa_streq(key, "clock.allowed-rates")) {
        if (value) parse_rates(pw, value);
    } else {
        return 0;
    }
    emit(pw, FBPW_EVENT_SETTINGS);
    return 0;
}

static const struct pw_metadata_events meta_events = {
    PW_VERSION_METADATA_EVENTS,
    .property = on_meta_property,
};

static void registry_global(void* data, uint32_t id, uint32_t permissions, const char* type,
                            uint32_t version, const struct spa_dict* props) {
    struct fbpw* pw = data;
    (void)permissions;
    (void)version;
    if (!props) return;
    if (spa_streq(type, PW_TYPE_INTERFACE_Node)) {
        struct node_entry* n = calloc(1, sizeof(*n));
        if (!n) return;
        n->id = id;
        copy(n->name, sizeof(n->name), spa_dict_lookup(props, PW_KEY_NODE_NAME));
        copy(n->media_class, sizeof(n->media_class), spa_dict_lookup(props, PW_KEY_MEDIA_CLASS));
        spa_list_append(&pw->nodes, &n->link);
    } else if (spa_streq(type, PW_TYPE_INTERFACE_Port)) {
        struct port_entry* p = calloc(1, sizeof(*p));
        if (!p) return;
        p->id = id;
        p->node_id = parse_u32(spa_dict_lookup(props, PW_KEY_NODE_ID));
        p->index = parse_u32(spa_dict_lookup(props, PW_KEY_PORT_ID));
        p->input = spa_streq(spa_dict_lookup(props, PW_KEY_PORT_DIRECTION), "in");
        p->monitor = parse_bool(spa_dict_lookup(props, PW_KEY_PORT_MONITOR));
        copy(p->name, sizeof(p->name), spa_dict_lookup(props, PW_KEY_PORT_NAME));
        copy(p->channel, sizeof(p->channel), spa_dict_lookup(props, PW_KEY_AUDIO_CHANNEL));
        spa_list_append(&pw->ports, &p->link);
    } else if (spa_streq(type, PW_TYPE_INTERFACE_Metadata)) {
        const char* name = spa_dict_lookup(props, PW_KEY_METADATA_NAME);
        const int kind = spa_streq(name, "settings")  ? META_SETTINGS
                         : spa_streq(name, "default") ? META_DEFAULT
                                                      : 0;
        if (!kind) return;
        struct meta_entry* m = calloc(1, sizeof(*m));
        if (!m) return;
        m->pw = pw;
        m->id = id;
        m->kind = kind;
        m->proxy =
            pw_registry_bind(pw->registry, id, PW_TYPE_INTERFACE_Metadata, PW_VERSION_METADATA, 0);
        if (!m->proxy) {
            free(m);
            return;
        }
        pw_metadata_add_listener((struct pw_metadata*)m->proxy, &m->listener, &meta_events, m);
        spa_list_append(&pw->metas, &m->link);
    }
}

static void destroy_meta(struct meta_entry* m) {
    spa_hook_remove(&m->listener);
    pw_proxy_destroy(m->proxy);
    spa_list_remove(&m->link);
    free(m);
}

static void registry_global_remove(void* data, uint32_t id) {
    struct fbpw* pw = data;
    struct node_entry *n, *nt;
    struct port_entry *p, *pt;
    struct meta_entry *m, *mt;
    spa_list_for_each_safe(n, nt, &pw->nodes, link) if (n->id == id) {
        spa_list_remove(&n->link);
        free(n);
    }
    spa_list_for_each_safe(p, pt, &pw->ports, link) if (p->id == id) {
        spa_list_remove(&p->link);
        free(p);
    }
    spa_list_for_each_safe(m, mt, &pw->metas, link) if (m->id == id) destroy_meta(m);
}

static const struct pw_registry_events registry_events = {
    PW_VERSION_REGISTRY_EVENTS,
    .global = registry_global,
    .global_remove = registry_global_remove,
};

/* ---- the filter ------------------------------------------------------------------------- */

static void on_filter_state(void* data, enum pw_filter_state old, enum pw_filter_state state,
                            const char* error) {
    struct fbpw* pw = data;
    (void)old;
    pw->state = state;
    if (state == PW_FILTER_STATE_ERROR) {
        copy(pw->state_error, sizeof(pw->state_error), error);
        char text[160];
        snprintf(text, sizeof(text), "the PipeWire node failed (%s)",
                 error ? error : "unknown error");
        mark_lost(pw, text);
    }
    pw_thread_loop_signal(pw->loop, false);
}

static void on_filter_process(void* data, struct spa_io_position* position) {
    struct fbpw* pw = data;
    if (!position) return;
    const uint32_t n = (uint32_t)position->clock.duration;
    uint32_t unbuffered = 0;
    for (uint32_t i = 0; i < pw->n_in; ++i) {
        const float* b = pw_filter_get_dsp_buffer(pw->in_port[i], n);
        unbuffered += b == NULL;
        pw->in_ptr[i] = b && n <= FBPW_MAX_FRAMES ? b : pw->silence;
    }
    for (uint32_t o = 0; o < pw->n_out; ++o) {
        pw->out_ptr[o] = pw_filter_get_dsp_buffer(pw->out_port[o], n);
        unbuffered += pw->out_ptr[o] == NULL;
    }
    const fbpw_period period = {
        .in = pw->in_ptr,
        .out = pw->out_ptr,
        .frames = n,
        .rate = position->clock.rate.denom,
        .position = position->clock.position,
        .nsec = position->clock.nsec,
        .next_nsec = position->clock.next_nsec,
        .clock_id = position->clock.id,
        .unbuffered = unbuffered,
    };
    pw->cb.process(pw->user, &period);
}

/* Our node passes input to output in the same cycle and adds no latency of its own, so,
 * as PipeWire's default propagation does: every output port carries the largest capture
 * latency of our inputs, every input port the largest playback latency of our outputs. */
static void publish_latency(struct fbpw* pw) {
    struct spa_latency_info capture, playback;
    spa_latency_info_combine_start(&capture, SPA_DIRECTION_OUTPUT);
    spa_latency_info_combine_start(&playback, SPA_DIRECTION_INPUT);
    for (uint32_t i = 0; i < pw->n_in; ++i)
        if (pw->in_lat_valid[i]) spa_latency_info_combine(&capture, &pw->in_lat[i]);
    for (uint32_t o = 0; o < pw->n_out; ++o)
        if (pw->out_lat_valid[o]) spa_latency_info_combine(&playback, &pw->out_lat[o]);
    spa_latency_info_combine_finish(&capture);
    spa_latency_info_combine_finish(&playback);
    for (uint32_t k = 0; k < pw->n_in + pw->n_out; ++k) {
        const int input = k < pw->n_in;
        const uint32_t i = input ? k : k - pw->n_in;
        uint8_t buffer[512];
        struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buffer, sizeof(buffer));
        const struct spa_pod* params[2];
        struct spa_latency_info own = input ? pw->in_lat[i] : pw->out_lat[i];
        if (!(input ? pw->in_lat_valid[i] : pw->out_lat_valid[i]))
            own = SPA_LATENCY_INFO(input ? SPA_DIRECTION_OUTPUT : SPA_DIRECTION_INPUT);
        params[0] = spa_latency_build(&b, SPA_PARAM_Latency, &own);
        params[1] = spa_latency_build(&b, SPA_PARAM_Latency, input ? &playback : &capture);
        pw_filter_update_params(pw->filter, input ? (void*)pw->in_port[i] : (void*)pw->out_port[i],
                                params, 2);
    }
}

static void on_filter_param(void* data, void* port_data, uint32_t id, const struct spa_pod* param) {
    struct fbpw* pw = data;
    if (!port_data || id != SPA_PARAM_Latency || !param) return;
    const struct port_data* port = port_data;
    struct spa_latency_info info;
    if (spa_latency_parse(param, &info) < 0) return;
    /* What a peer tells an input port is its capture side (direction OUTPUT); what it tells
     * an output port, its playback side (direction INPUT). The other one is ours. */
    const enum spa_direction wanted = port->input ? SPA_DIRECTION_OUTPUT : SPA_DIRECTION_INPUT;
    if (info.direction != wanted) return;
    struct spa_latency_info* slot =
        port->input ? &pw->in_lat[port->index] : &pw->out_lat[port->index];
    int* valid = port->input ? &pw->in_lat_valid[port->index] : &pw->out_lat_valid[port->index];
    if (*valid && spa_latency_info_compare(slot, &info) == 0) return;
    *slot = info;
    *valid = 1;
    publish_latency(pw);
    emit(pw, FBPW_EVENT_LATENCY);
}

static const struct pw_filter_events filter_events = {
    PW_VERSION_FILTER_EVENTS,
    .state_changed = on_filter_state,
    .param_changed = on_filter_param,
    .process = on_filter_process,
};

static void filter_close_locked(struct fbpw* pw) {
    struct link_entry *l, *lt;
    spa_list_for_each_safe(l, lt, &pw->links, link) {
        pw_proxy_destroy(l->proxy);
        spa_list_remove(&l->link);
        free(l);
    }
    if (pw->filter) {
        spa_hook_remove(&pw->filter_listener);
        pw_filter_destroy(pw->filter); /* no process callback runs after this */
        pw->filter = NULL;
    }
    pw->n_in = pw->n_out = 0;
    memset(pw->in_lat_valid, 0, sizeof(pw->in_lat_valid));
    memset(pw->out_lat_valid, 0, sizeof(pw->out_lat_valid));
}

/* ---- thread utils: the data loop's thread through the host's creator ------------------- */

static struct spa_thread* tu_create(void* object, const struct spa_dict* props,
                                    void* (*start)(void*), void* arg) {
    struct fbpw* pw = object;
    pthread_t thread;
    (void)props;
    const int r = pw->create(pw->create_context, &thread, start, arg);
    if (r != 0) {
        errno = r;
        return NULL;
    }
    return (struct spa_thread*)(uintptr_t)thread;
}

static int tu_join(void* object, struct spa_thread* thread, void** retval) {
    (void)object;
    return -pthread_join((pthread_t)(uintptr_t)thread, retval);
}

static int tu_get_rt_range(void* object, const struct spa_dict* props, int* min, int* max) {
    struct fbpw* pw = object;
    return pw->rt_utils ? spa_thread_utils_get_rt_range(pw->rt_utils, props, min, max) : -ENOTSUP;
}

static int tu_acquire_rt(void* object, struct spa_thread* thread, int priority) {
    struct fbpw* pw = object;
    return pw->rt_utils ? spa_thread_utils_acquire_rt(pw->rt_utils, thread, priority) : -ENOTSUP;
}

static int tu_drop_rt(void* object, struct spa_thread* thread) {
    struct fbpw* pw = object;
    return pw->rt_utils ? spa_thread_utils_drop_rt(pw->rt_utils, thread) : -ENOTSUP;
}

static const struct spa_thread_utils_methods thread_utils_methods = {
    SPA_VERSION_THREAD_UTILS_METHODS, .create = tu_create,         .join = tu_join,
    .get_rt_range = tu_get_rt_range,  .acquire_rt = tu_acquire_rt, .drop_rt = tu_drop_rt,
};

/* ---- the API ------------------------------------------------------------------------------- */

int fbpw_open(fbpw** out, const char* remote, const char* client_name, const fbpw_callbacks* cb,
              void* user, char* err, size_t errlen) {
    *out = NULL;
    pthread_once(&init_once, do_init);
    struct fbpw* pw = calloc(1, sizeof(*pw));
    if (!pw) {
        set_error(err, errlen, "out of memory");
        return -ENOMEM;
    }
    spa_list_init(&pw->nodes);
    spa_list_init(&pw->ports);
    spa_list_init(&pw->metas);
    spa_list_init(&pw->links);
    pw->cb = *cb;
    pw->user = user;
    pw->settings.power_of_two = 1; /* 0.3.65's default when the daemon does not say */

    const char* where = remote && *remote ? remote : getenv("PIPEWIRE_REMOTE");
    if (!where || !*where) where = "pipewire-0";
    const char* dir = getenv("PIPEWIRE_RUNTIME_DIR");
    if (!dir || !*dir) dir = getenv("XDG_RUNTIME_DIR");

    int res = 0;
    pw->loop = pw_thread_loop_new("foldback-pw", NULL);
    if (!pw->loop) {
        res = -errno;
        set_error(err, errlen, "cannot create PipeWire's loop thread: %s", spa_strerror(res));
        goto fail;
    }
    /* client-rt.conf loads module-rt: the data loop's thread runs SCHED_FIFO. */
    pw->context = pw_context_new(pw_thread_loop_get_loop(pw->loop),
                                 pw_properties_new(PW_KEY_CONFIG_NAME, "client-rt.conf", NULL), 0);
    if (!pw->context) {
        res = -errno;
        set_error(err, errlen,
                  "cannot create a PipeWire context (%s): is libpipewire installed whole?",
                  spa_strerror(res));
        goto fail;
    }
    pw->rt_utils = pw_context_get_object(pw->context, SPA_TYPE_INTERFACE_ThreadUtils);
    if (!pw->rt_utils) pw->rt_utils = pw_thread_utils_get();
    if ((res = pw_thread_loop_start(pw->loop)) < 0) {
        set_error(err, errlen, "cannot start PipeWire's loop thread: %s", spa_strerror(res));
        goto fail;
    }
    pw_thread_loop_lock(pw->loop);
    struct pw_properties* props =
        pw_properties_new(PW_KEY_APP_NAME, "Foldback", PW_KEY_CLIENT_NAME, client_name, NULL);
    if (remote && *remote) pw_properties_set(props, PW_KEY_REMOTE_NAME, remote);
    pw->core = pw_context_connect(pw->context, props, 0);
    if (!pw->core) {
        res = -errno;
        pw_thread_loop_unlock(pw->loop);
        /* The action first: getErrorMessage keeps 123 characters. */
        set_error(err, errlen,
                  "no PipeWire daemon (start it, or set PIPEWIRE_RUNTIME_DIR): %s at %s/%s",
                  spa_strerror(res), dir ? dir : "$XDG_RUNTIME_DIR", where);
        goto fail;
    }
    pw_core_add_listener(pw->core, &pw->core_listener, &core_events, pw);
    pw->registry = pw_core_get_registry(pw->core, PW_VERSION_REGISTRY, 0);
    pw_registry_add_listener(pw->registry, &pw->registry_listener, &registry_events, pw);
    /* First round trip: the globals (and the metadata binds they trigger); second: the
     * metadata's properties. */
    if ((res = sync_locked(pw, WAIT_MS)) == 0) res = sync_locked(pw, WAIT_MS);
    pw_thread_loop_unlock(pw->loop);
    if (res < 0) {
        set_error(err, errlen, "the PipeWire daemon did not answer (restart it): %s at %s/%s",
                  spa_strerror(res), dir ? dir : "$XDG_RUNTIME_DIR", where);
        goto fail;
    }
    *out = pw;
    return 0;
fail:
    fbpw_close(pw);
    return res < 0 ? res : -EIO;
}

void fbpw_close(fbpw* pw) {
    if (!pw) return;
    if (pw->loop) {
        pw_thread_loop_lock(pw->loop);
        filter_close_locked(pw);
        struct meta_entry *m, *mt;
        spa_list_for_each_safe(m, mt, &pw->metas, link) destroy_meta(m);
        if (pw->registry) {
            spa_hook_remove(&pw->registry_listener);
            pw_proxy_destroy((struct pw_proxy*)pw->registry);
            pw->registry = NULL;
        }
        if (pw->core) {
            spa_hook_remove(&pw->core_listener);
            pw_core_disconnect(pw->core);
            pw->core = NULL;
        }
        pw_thread_loop_unlock(pw->loop);
        pw_thread_loop_stop(pw->loop);
    }
    if (pw->context) pw_context_destroy(pw->context); /* joins the data loop's thread */
    if (pw->loop) pw_thread_loop_destroy(pw->loop);
    struct node_entry *n, *nt;
    struct port_entry *p, *pt;
    spa_list_for_each_safe(n, nt, &pw->nodes, link) free(n);
    spa_list_for_each_safe(p, pt, &pw->ports, link) free(p);
    free(pw->silence);
    free(pw);
}

int fbpw_lost(fbpw* pw, char* text, size_t len) {
    pw_thread_loop_lock(pw->loop);
    const int lost = pw->lost;
    if (lost && text) copy(text, len, pw->lost_text);
    pw_thread_loop_unlock(pw->loop);
    return lost;
}

void fbpw_get_settings(fbpw* pw, fbpw_settings* out) {
    pw_thread_loop_lock(pw->loop);
    *out = pw->settings;
    pw_thread_loop_unlock(pw->loop);
}

int fbpw_default_node(fbpw* pw, int sink, char* name, size_t len) {
    pw_thread_loop_lock(pw->loop);
    const char* v = sink ? pw->default_sink : pw->default_source;
    const int found = v[0] != '\0';
    if (found) copy(name, len, v);
    pw_thread_loop_unlock(pw->loop);
    return found ? 0 : -ENOENT;
}

static struct node_entry* find_node(struct fbpw* pw, const char* name) {
    struct node_entry* n;
    spa_list_for_each(n, &pw->nodes, link) if (spa_streq(n->name, name)) return n;
    return NULL;
}

int fbpw_node_ports(fbpw* pw, const char* node_name, int capture, fbpw_port_info* out, int cap) {
    pw_thread_loop_lock(pw->loop);
    const struct node_entry* node = find_node(pw, node_name);
    if (!node) {
        pw_thread_loop_unlock(pw->loop);
        return -ENOENT;
    }
    /* A capture from a sink listens to its monitor ports. */
    const int sink = strstr(node->media_class, "Sink") != NULL;
    /* Port order: port.id, the index within the node. */
    int count = 0;
    uint32_t last = 0;
    for (;;) {
        const struct port_entry *best = NULL, *p;
        spa_list_for_each(p, &pw->ports, link) {
            if (p->node_id != node->id) continue;
            if (capture ? (p->input || (sink && !p->monitor)) : (!p->input)) continue;
            if (count > 0 && p->index <= last) continue;
            if (!best || p->index < best->index) best = p;
        }
        if (!best) break;
        if (count < cap) {
            out[count].id = best->id;
            copy(out[count].name, sizeof(out[count].name), best->name);
            copy(out[count].channel, sizeof(out[count].channel), best->channel);
        }
        last = best->index;
        ++count;
    }
    pw_thread_loop_unlock(pw->loop);
    return count;
}

int fbpw_node_is_sink(fbpw* pw, const char* node_name) {
    pw_thread_loop_lock(pw->loop);
    const struct node_entry* node = find_node(pw, node_name);
    const int sink = node && strstr(node->media_class, "Sink") != NULL;
    pw_thread_loop_unlock(pw->loop);
    return sink;
}

int fbpw_set_thread_creator(fbpw* pw, int (*create)(void*, pthread_t*, void* (*)(void*), void*),
                            void* context) {
    struct pw_data_loop* dl = pw_context_get_data_loop(pw->context);
    if (pw->filter) return -EBUSY;
    pw->create = create;
    pw->create_context = context;
    pw->utils.iface = SPA_INTERFACE_INIT(SPA_TYPE_INTERFACE_ThreadUtils, SPA_VERSION_THREAD_UTILS,
                                         &thread_utils_methods, pw);
    int res = pw_data_loop_stop(dl);
    if (res < 0) return res;
    pw_data_loop_set_thread_utils(dl, create ? &pw->utils : pw->rt_utils);
    return pw_data_loop_start(dl);
}

static int connected(struct fbpw* pw) {
    return pw->state == PW_FILTER_STATE_PAUSED || pw->state == PW_FILTER_STATE_STREAMING ||
           pw->state == PW_FILTER_STATE_ERROR;
}

int fbpw_filter_open(fbpw* pw, const fbpw_filter_desc* desc, char* err, size_t errlen) {
    if (desc->n_in > FBPW_MAX_PORTS || desc->n_out > FBPW_MAX_PORTS) {
        set_error(err, errlen, "at most %d ports each way", FBPW_MAX_PORTS);
        return -EINVAL;
    }
    if (!pw->silence) pw->silence = calloc(FBPW_MAX_FRAMES, sizeof(float));
    if (!pw->silence) {
        set_error(err, errlen, "out of memory");
        return -ENOMEM;
    }
    pw_thread_loop_lock(pw->loop);
    int res = 0;
    if (pw->lost) {
        res = -EPIPE;
        set_error(err, errlen, "%s", pw->lost_text);
        goto done;
    }
    filter_close_locked(pw);
    struct pw_properties* props = pw_properties_new(
        PW_KEY_MEDIA_TYPE, "Audio", PW_KEY_MEDIA_CATEGORY, "Duplex", PW_KEY_MEDIA_ROLE, "DSP",
        PW_KEY_NODE_NAME, desc->node_name, PW_KEY_NODE_DESCRIPTION, desc->description,
        PW_KEY_NODE_ALWAYS_PROCESS, "true", NULL);
    for (uint32_t k = 0; k < desc->n_props; ++k)
        pw_properties_set(props, desc->props[2 * k], desc->props[2 * k + 1]);
    pw->filter = pw_filter_new(pw->core, desc->node_name, props);
    if (!pw->filter) {
        res = -errno;
        set_error(err, errlen, "cannot create the PipeWire node '%s': %s", desc->node_name,
                  spa_strerror(res));
        goto done;
    }
    pw->state = PW_FILTER_STATE_UNCONNECTED;
    pw->state_error[0] = '\0';
    pw_filter_add_listener(pw->filter, &pw->filter_listener, &filter_events, pw);
    for (uint32_t k = 0; k < desc->n_in + desc->n_out; ++k) {
        const int input = k < desc->n_in;
        const uint32_t i = input ? k : k - desc->n_in;
        const char* name = input ? desc->in_names[i] : desc->out_names[i];
        struct port_data* port =
            pw_filter_add_port(pw->filter, input ? PW_DIRECTION_INPUT : PW_DIRECTION_OUTPUT,
                               PW_FILTER_PORT_FLAG_MAP_BUFFERS, sizeof(struct port_data),
                               pw_properties_new(PW_KEY_FORMAT_DSP, "32 bit float mono audio",
                                                 PW_KEY_PORT_NAME, name, NULL),
                               NULL, 0);
        if (!port) {
            res = -errno;
            set_error(err, errlen, "cannot add the port '%s': %s", name, spa_strerror(res));
            goto done;
        }
        port->input = input;
        port->index = i;
        if (input) {
            pw->in_port[i] = port;
            pw->in_ptr[i] = pw->silence;
            copy(pw->in_name[i], sizeof(pw->in_name[i]), name);
        } else {
            pw->out_port[i] = port;
            pw->out_ptr[i] = NULL;
            copy(pw->out_name[i], sizeof(pw->out_name[i]), name);
        }
    }
    pw->n_in = desc->n_in;
    pw->n_out = desc->n_out;
    res = pw_filter_connect(
        pw->filter,
        PW_FILTER_FLAG_RT_PROCESS | PW_FILTER_FLAG_CUSTOM_LATENCY | PW_FILTER_FLAG_INACTIVE, NULL,
        0);
    if (res < 0) {
        set_error(err, errlen, "cannot connect the PipeWire node '%s': %s", desc->node_name,
                  spa_strerror(res));
        goto done;
    }
    res = wait_for(pw, connected, WAIT_MS);
    if (res == 0 && pw->state == PW_FILTER_STATE_ERROR) res = -EIO;
    if (res == 0) res = sync_locked(pw, WAIT_MS); /* our ports are in the registry */
    if (res < 0)
        set_error(err, errlen, "the PipeWire daemon did not take the node '%s' (%s%s%s)",
                  desc->node_name, spa_strerror(res), pw->state_error[0] ? ": " : "",
                  pw->state_error);
done:
    if (res < 0) filter_close_locked(pw);
    pw_thread_loop_unlock(pw->loop);
    return res;
}

void fbpw_filter_close(fbpw* pw) {
    pw_thread_loop_lock(pw->loop);
    filter_close_locked(pw);
    pw_thread_loop_unlock(pw->loop);
}

static const struct port_entry* find_port(struct fbpw* pw, uint32_t id) {
    const struct port_entry* p;
    spa_list_for_each(p, &pw->ports, link) if (p->id == id) return p;
    return NULL;
}

static const struct port_entry* own_port(struct fbpw* pw, int input, uint32_t index) {
    const uint32_t node = pw->filter ? pw_filter_get_node_id(pw->filter) : SPA_ID_INVALID;
    const char* name = input ? pw->in_name[index] : pw->out_name[index];
    const struct port_entry* p;
    spa_list_for_each(p, &pw->ports, link) if (p->node_id == node && p->input == input &&
                                               spa_streq(p->name, name)) return p;
    return NULL;
}

int fbpw_filter_link(fbpw* pw, int input, uint32_t index, uint32_t peer_port) {
    pw_thread_loop_lock(pw->loop);
    int res = 0;
    const struct port_entry *own = NULL, *peer = NULL;
    struct link_entry* l = NULL;
    if (pw->lost) {
        res = -EPIPE;
        goto done;
    }
    if (!pw->filter || index >= (input ? pw->n_in : pw->n_out) ||
        !(own = own_port(pw, input, index)) || !(peer = find_port(pw, peer_port))) {
        res = -ENOENT;
        goto done;
    }
    const struct port_entry *from = input ? peer : own, *to = input ? own : peer;
    struct pw_properties* props = pw_properties_new(PW_KEY_OBJECT_LINGER, "false", NULL);
    pw_properties_setf(props, PW_KEY_LINK_OUTPUT_NODE, "%u", from->node_id);
    pw_properties_setf(props, PW_KEY_LINK_OUTPUT_PORT, "%u", from->id);
    pw_properties_setf(props, PW_KEY_LINK_INPUT_NODE, "%u", to->node_id);
    pw_properties_setf(props, PW_KEY_LINK_INPUT_PORT, "%u", to->id);
    l = calloc(1, sizeof(*l));
    if (l)
        l->proxy = pw_core_create_object(pw->core, "link-factory", PW_TYPE_INTERFACE_Link,
                                         PW_VERSION_LINK, &props->dict, 0);
    pw_properties_free(props);
    if (!l || !l->proxy) {
        res = l ? -errno : -ENOMEM;
        free(l);
        goto done;
    }
    spa_list_append(&pw->links, &l->link);
done:
    pw_thread_loop_unlock(pw->loop);
    return res;
}

int fbpw_filter_set_active(fbpw* pw, int active) {
    pw_thread_loop_lock(pw->loop);
    const int res = pw->lost     ? -EPIPE
                    : pw->filter ? pw_filter_set_active(pw->filter, active != 0)
                                 : -ENOENT;
    pw_thread_loop_unlock(pw->loop);
    return res;
}

int fbpw_sync(fbpw* pw, int timeout_ms) {
    pw_thread_loop_lock(pw->loop);
    const int res = sync_locked(pw, timeout_ms);
    pw_thread_loop_unlock(pw->loop);
    return res;
}

static int64_t frames_of(const struct spa_latency_info* l, uint32_t quantum, uint32_t rate) {
    return (int64_t)(l->max_quantum * (float)quantum) + (int64_t)l->max_rate +
           (int64_t)((double)l->max_ns * rate / SPA_NSEC_PER_SEC);
}

struct port_query {
    struct pw_proxy* proxy;
    struct spa_hook listener;
    enum spa_direction wanted;
    int found;
    struct spa_latency_info info;
};

static void on_port_param(void* data, int seq, uint32_t id, uint32_t index, uint32_t next,
                          const struct spa_pod* param) {
    struct port_query* q = data;
    struct spa_latency_info info;
    (void)seq;
    (void)index;
    (void)next;
    if (id != SPA_PARAM_Latency || !param || spa_latency_parse(param, &info) < 0 ||
        info.direction != q->wanted)
        return;
    q->info = info;
    q->found = 1;
}

static const struct pw_port_events port_events = {
    PW_VERSION_PORT_EVENTS,
    .param = on_port_param,
};

int64_t fbpw_ports_latency(fbpw* pw, const uint32_t* ports, uint32_t n, int capture,
                           uint32_t quantum, uint32_t rate) {
    if (n == 0) return 0;
    struct port_query* q = calloc(n, sizeof(*q));
    if (!q) return 0;
    pw_thread_loop_lock(pw->loop);
    int64_t most = 0;
    if (!pw->lost) {
        for (uint32_t i = 0; i < n; ++i) {
            q[i].wanted = capture ? SPA_DIRECTION_OUTPUT : SPA_DIRECTION_INPUT;
            q[i].proxy = pw_registry_bind(pw->registry, ports[i], PW_TYPE_INTERFACE_Port,
                                          PW_VERSION_PORT, 0);
            if (!q[i].proxy) continue;
            pw_port_add_listener((struct pw_port*)q[i].proxy, &q[i].listener, &port_events, &q[i]);
            pw_port_enum_params((struct pw_port*)q[i].proxy, 0, SPA_PARAM_Latency, 0, UINT32_MAX,
                                NULL);
        }
        if (sync_locked(pw, WAIT_MS) == 0)
            for (uint32_t i = 0; i < n; ++i) {
                if (!q[i].found) continue;
                const int64_t f = frames_of(&q[i].info, quantum, rate);
                if (f > most) most = f;
            }
        for (uint32_t i = 0; i < n; ++i)
            if (q[i].proxy) {
                spa_hook_remove(&q[i].listener);
                pw_proxy_destroy(q[i].proxy);
            }
    }
    pw_thread_loop_unlock(pw->loop);
    free(q);
    return most;
}

int64_t fbpw_latency(fbpw* pw, int capture, uint32_t quantum, uint32_t rate) {
    pw_thread_loop_lock(pw->loop);
    int64_t most = 0;
    const uint32_t n = capture ? pw->n_in : pw->n_out;
    for (uint32_t i = 0; i < n; ++i) {
        const int valid = capture ? pw->in_lat_valid[i] : pw->out_lat_valid[i];
        if (!valid) continue;
        const int64_t f = frames_of(capture ? &pw->in_lat[i] : &pw->out_lat[i], quantum, rate);
        if (f > most) most = f;
    }
    pw_thread_loop_unlock(pw->loop);
    return most;
}
