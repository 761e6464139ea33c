/*
 * libfoldback_rtcheck.so: fails a test when a thread inside a checked scope allocates,
 * frees, locks a mutex or waits (contract in rtcheck.h, usage in README.md).
 *
 * Written in C on purpose: a library that replaces malloc must not bring a C++ runtime
 * with its own allocations and static constructors. operator new/delete need no hook of
 * their own: libstdc++ implements them with malloc/free, which land here.
 *
 * Rules for everything below, because it runs inside malloc and pthread_mutex_lock:
 * no allocation, no stdio, no locks. Text goes out through write(2) from stack buffers.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <unwind.h>

#include "rtcheck.h"

#define RTCHECK_EXPORT __attribute__((visibility("default")))
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* glibc's own allocator entry points: forwarding to them needs no dlsym, so there is no
 * bootstrap problem (dlsym itself may call calloc). */
extern void* __libc_malloc(size_t size);
extern void* __libc_calloc(size_t count, size_t size);
extern void* __libc_realloc(void* ptr, size_t size);
extern void __libc_free(void* ptr);
extern void* __libc_memalign(size_t alignment, size_t size);
extern void* __libc_valloc(size_t size);
extern void* __libc_pvalloc(size_t size);

/* initial-exec: a plain %fs-relative access. The general-dynamic model may call
 * __tls_get_addr, which can allocate; this library is meant for LD_PRELOAD only, where
 * static TLS is always available. */
static __thread int t_depth __attribute__((tls_model("initial-exec")));
/* Set while this thread is reporting: anything the reporter itself calls (the unwinder,
 * dladdr) is forwarded without being flagged. */
static __thread int t_reporting __attribute__((tls_model("initial-exec")));

enum { kModeAbort = 0, kModeCount = 1 };
static int g_mode = kModeAbort;
static atomic_long g_violations;
static atomic_int g_used; /* some thread entered a scope: print a summary at exit */
static atomic_int g_first_claimed;
static atomic_int g_first_ready;
static char g_first[160]; /* count mode: the first violation, for the summary */
static void* g_self_base;

/* ---- allocation-free text ------------------------------------------------------------ */

typedef struct Line {
    char text[320];
    size_t len;
} Line;

static void put_str(Line* l, const char* s) {
    while (*s != '\0' && l->len < sizeof l->text - 1) l->text[l->len++] = *s++;
}

static void put_dec(Line* l, unsigned long v) {
    char digits[24];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0 && l->len < sizeof l->text - 1) l->text[l->len++] = digits[--n];
}

static void put_hex(Line* l, uintptr_t v) {
    char digits[2 * sizeof v];
    int n = 0;
    do {
        digits[n++] = "0123456789abcdef"[v & 0xf];
        v >>= 4;
    } while (v != 0);
    put_str(l, "0x");
    while (n > 0 && l->len < sizeof l->text - 1) l->text[l->len++] = digits[--n];
}

static void put_ptr(Line* l, const void* p) {
    put_hex(l, (uintptr_t)p);
}

static void write_all(const char* p, size_t n) {
    while (n > 0) {
        ssize_t w = write(STDERR_FILENO, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        p += w;
        n -= (size_t)w;
    }
}

static void emit(Line* l) {
    l->text[l->len++] = '\n';
    write_all(l->text, l->len);
}

static const char* base_name(const char* path) {
    const char* slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

/* ---- the report ------------------------------------------------------------------------ */

typedef struct Trace {
    int frames;
} Trace;

static _Unwind_Reason_Code trace_frame(struct _Unwind_Context* ctx, void* arg) {
    Trace* trace = arg;
    uintptr_t ip = (uintptr_t)_Unwind_GetIP(ctx);
    if (ip == 0) return _URC_END_OF_STACK;
    if (trace->frames >= 16) return _URC_END_OF_STACK;
    Dl_info info;
    /* ip - 1 lies inside the call instruction, so the lookup names the caller even when
     * the call is the last instruction of a function. */
    int found = dladdr((void*)(ip - 1), &info);
    if (found && info.dli_fbase == g_self_base) return _URC_NO_REASON; /* our own frames */
    Line l = {.len = 0};
    put_str(&l, "foldback-rtcheck:   #");
    put_dec(&l, (unsigned long)trace->frames++);
    put_str(&l, " ");
    put_hex(&l, ip);
    if (found && info.dli_fname != NULL) {
        put_str(&l, " ");
        put_str(&l, base_name(info.dli_fname));
        put_str(&l, "+");
        put_hex(&l, ip - (uintptr_t)info.dli_fbase);
        if (info.dli_sname != NULL) {
            put_str(&l, " ");
            put_str(&l, info.dli_sname);
            put_str(&l, "+");
            put_hex(&l, ip - (uintptr_t)info.dli_saddr);
        }
    }
    emit(&l);
    return _URC_NO_REASON;
}

/* `call` is the offending call as text, e.g. "malloc(64)". */
static void violation(const Line* call) {
    t_reporting = 1;
    atomic_fetch_add_explicit(&g_violations, 1, memory_order_relaxed);
    if (g_mode == kModeCount) {
        if (atomic_exchange_explicit(&g_first_claimed, 1, memory_order_relaxed) == 0) {
            size_t n = call->len < sizeof g_first - 1 ? call->len : sizeof g_first - 1;
            memcpy(g_first, call->text, n);
            g_first[n] = '\0';
            atomic_store_explicit(&g_first_ready, 1, memory_order_release);
        }
        t_reporting = 0;
        return;
    }
    Line l = {.len = 0};
    put_str(&l, "foldback-rtcheck: ");
    for (size_t i = 0; i < call->len && l.len < sizeof l.text - 1; ++i)
        l.text[l.len++] = call->text[i];
    put_str(&l, " on the audio thread");
    emit(&l);
    Trace trace = {.frames = 0};
    _Unwind_Backtrace(trace_frame, &trace);
    abort();
}

static inline int checked(void) {
    return UNLIKELY(t_depth > 0) && !t_reporting;
}

static void flag_n(const char* fn, size_t a) {
    Line l = {.len = 0};
    put_str(&l, fn);
    put_str(&l, "(");
    put_dec(&l, a);
    put_str(&l, ")");
    violation(&l);
}

static void flag_nn(const char* fn, size_t a, size_t b) {
    Line l = {.len = 0};
    put_str(&l, fn);
    put_str(&l, "(");
    put_dec(&l, a);
    put_str(&l, ", ");
    put_dec(&l, b);
    put_str(&l, ")");
    violation(&l);
}

static void flag_p(const char* fn, const void* p) {
    Line l = {.len = 0};
    put_str(&l, fn);
    put_str(&l, "(");
    put_ptr(&l, p);
    put_str(&l, ")");
    violation(&l);
}

static void flag_pn(const char* fn, const void* p, size_t a) {
    Line l = {.len = 0};
    put_str(&l, fn);
    put_str(&l, "(");
    put_ptr(&l, p);
    put_str(&l, ", ");
    put_dec(&l, a);
    put_str(&l, ")");
    violation(&l);
}

static void flag_pnn(const char* fn, const void* p, size_t a, size_t b) {
    Line l = {.len = 0};
    put_str(&l, fn);
    put_str(&l, "(");
    put_ptr(&l, p);
    put_str(&l, ", ");
    put_dec(&l, a);
    put_str(&l, ", ");
    put_dec(&l, b);
    put_str(&l, ")");
    violation(&l);
}

/* ---- scope API ------------------------------------------------------------------------- */

RTCHECK_EXPORT void foldback_rtcheck_enter(void) {
    if (t_depth++ == 0 && !atomic_load_explicit(&g_used, memory_order_relaxed))
        atomic_store_explicit(&g_used, 1, memory_order_relaxed);
}

RTCHECK_EXPORT void foldback_rtcheck_leave(void) {
    if (t_depth > 0) --t_depth;
}

RTCHECK_EXPORT long foldback_rtcheck_violations(void) {
    return atomic_load_explicit(&g_violations, memory_order_relaxed);
}

/* ---- allocation ------------------------------------------------------------------------ */

RTCHECK_EXPORT void* malloc(size_t size) {
    if (checked()) flag_n("malloc", size);
    return __libc_malloc(size);
}

RTCHECK_EXPORT void* calloc(size_t count, size_t size) {
    if (checked()) flag_nn("calloc", count, size);
    return __libc_calloc(count, size);
}

RTCHECK_EXPORT void* realloc(void* ptr, size_t size) {
    if (checked()) flag_pn("realloc", ptr, size);
    return __libc_realloc(ptr, size);
}

RTCHECK_EXPORT void* reallocarray(void* ptr, size_t count, size_t size) {
    if (checked()) flag_pnn("reallocarray", ptr, count, size);
    size_t bytes;
    if (__builtin_mul_overflow(count, size, &bytes)) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_realloc(ptr, bytes);
}

RTCHECK_EXPORT void free(void* ptr) {
    if (ptr != NULL && checked()) flag_p("free", ptr);
    __libc_free(ptr);
}

RTCHECK_EXPORT int posix_memalign(void** out, size_t alignment, size_t size) {
    if (checked()) flag_nn("posix_memalign", alignment, size);
    if (alignment % sizeof(void*) != 0 || (alignment & (alignment - 1)) != 0 || alignment == 0)
        return EINVAL;
    void* p = __libc_memalign(alignment, size);
    if (p == NULL) return ENOMEM;
    *out = p;
    return 0;
}

RTCHECK_EXPORT void* aligned_alloc(size_t alignment, size_t size) {
    if (checked()) flag_nn("aligned_alloc", alignment, size);
    return __libc_memalign(alignment, size);
}

RTCHECK_EXPORT void* memalign(size_t alignment, size_t size) {
    if (checked()) flag_nn("memalign", alignment, size);
    return __libc_memalign(alignment, size);
}

RTCHECK_EXPORT void* valloc(size_t size) {
    if (checked()) flag_n("valloc", size);
    return __libc_valloc(size);
}

RTCHECK_EXPORT void* pvalloc(size_t size) {
    if (checked()) flag_n("pvalloc", size);
    return __libc_pvalloc(size);
}

/* ---- locks and waits: forwarded through dlsym(RTLD_NEXT) ------------------------------- */

/* Each hook has a slot with the symbol's name. The constructor resolves all of them; a
 * hook that runs before the constructor (another library's constructor taking a lock)
 * resolves its own slot on first use. Both happen outside any scope. */
typedef void (*AnyFn)(void);

typedef struct Real {
    const char* name;
    AnyFn fn;
} Real;

enum {
    kMutexLock,
    kMutexTrylock,
    kMutexTimedlock,
    kMutexClocklock,
    kRwRdlock,
    kRwWrlock,
    kRwTryrdlock,
    kRwTrywrlock,
    kRwTimedrdlock,
    kRwTimedwrlock,
    kRwClockrdlock,
    kRwClockwrlock,
    kCondWait,
    kCondTimedwait,
    kCondClockwait,
    kSemWait,
    kSemTimedwait,
    kSemClockwait,
    kRealCount
};

static Real g_real[kRealCount] = {
    [kMutexLock] = {"pthread_mutex_lock", NULL},
    [kMutexTrylock] = {"pthread_mutex_trylock", NULL},
    [kMutexTimedlock] = {"pthread_mutex_timedlock", NULL},
    [kMutexClocklock] = {"pthread_mutex_clocklock", NULL},
    [kRwRdlock] = {"pthread_rwlock_rdlock", NULL},
    [kRwWrlock] = {"pthread_rwlock_wrlock", NULL},
    [kRwTryrdlock] = {"pthread_rwlock_tryrdlock", NULL},
    [kRwTrywrlock] = {"pthread_rwlock_trywrlock", NULL},
    [kRwTimedrdlock] = {"pthread_rwlock_timedrdlock", NULL},
    [kRwTimedwrlock] = {"pthread_rwlock_timedwrlock", NULL},
    [kRwClockrdlock] = {"pthread_rwlock_clockrdlock", NULL},
    [kRwClockwrlock] = {"pthread_rwlock_clockwrlock", NULL},
    [kCondWait] = {"pthread_cond_wait", NULL},
    [kCondTimedwait] = {"pthread_cond_timedwait", NULL},
    [kCondClockwait] = {"pthread_cond_clockwait", NULL},
    [kSemWait] = {"sem_wait", NULL},
    [kSemTimedwait] = {"sem_timedwait", NULL},
    [kSemClockwait] = {"sem_clockwait", NULL},
};

static void die(const char* what, const char* name) {
    Line l = {.len = 0};
    put_str(&l, "foldback-rtcheck: ");
    put_str(&l, what);
    put_str(&l, name);
    emit(&l);
    abort();
}

static AnyFn real(int slot) {
    AnyFn fn = __atomic_load_n(&g_real[slot].fn, __ATOMIC_ACQUIRE);
    if (UNLIKELY(fn == NULL)) {
        void* sym = dlsym(RTLD_NEXT, g_real[slot].name);
        if (sym == NULL) die("cannot find the real ", g_real[slot].name);
        /* ISO C has no cast from an object pointer to a function pointer: copy the bits. */
        memcpy(&fn, &sym, sizeof fn);
        __atomic_store_n(&g_real[slot].fn, fn, __ATOMIC_RELEASE);
    }
    return fn;
}

#define REAL(slot, type) ((type)real(slot))

typedef int (*MutexFn)(pthread_mutex_t*);
typedef int (*MutexTimedFn)(pthread_mutex_t*, const struct timespec*);
typedef int (*MutexClockFn)(pthread_mutex_t*, clockid_t, const struct timespec*);
typedef int (*RwFn)(pthread_rwlock_t*);
typedef int (*RwTimedFn)(pthread_rwlock_t*, const struct timespec*);
typedef int (*RwClockFn)(pthread_rwlock_t*, clockid_t, const struct timespec*);
typedef int (*CondWaitFn)(pthread_cond_t*, pthread_mutex_t*);
typedef int (*CondTimedFn)(pthread_cond_t*, pthread_mutex_t*, const struct timespec*);
typedef int (*CondClockFn)(pthread_cond_t*, pthread_mutex_t*, clockid_t, const struct timespec*);
typedef int (*SemFn)(sem_t*);
typedef int (*SemTimedFn)(sem_t*, const struct timespec*);
typedef int (*SemClockFn)(sem_t*, clockid_t, const struct timespec*);

RTCHECK_EXPORT int pthread_mutex_lock(pthread_mutex_t* m) {
    if (checked()) flag_p("pthread_mutex_lock", m);
    return REAL(kMutexLock, MutexFn)(m);
}

RTCHECK_EXPORT int pthread_mutex_trylock(pthread_mutex_t* m) {
    if (checked()) flag_p("pthread_mutex_trylock", m);
    return REAL(kMutexTrylock, MutexFn)(m);
}

RTCHECK_EXPORT int pthread_mutex_timedlock(pthread_mutex_t* m, const struct timespec* t) {
    if (checked()) flag_p("pthread_mutex_timedlock", m);
    return REAL(kMutexTimedlock, MutexTimedFn)(m, t);
}

RTCHECK_EXPORT int pthread_mutex_clocklock(pthread_mutex_t* m, clockid_t c,
                                           const struct timespec* t) {
    if (checked()) flag_p("pthread_mutex_clocklock", m);
    return REAL(kMutexClocklock, MutexClockFn)(m, c, t);
}

RTCHECK_EXPORT int pthread_rwlock_rdlock(pthread_rwlock_t* l) {
    if (checked()) flag_p("pthread_rwlock_rdlock", l);
    return REAL(kRwRdlock, RwFn)(l);
}

RTCHECK_EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t* l) {
    if (checked()) flag_p("pthread_rwlock_wrlock", l);
    return REAL(kRwWrlock, RwFn)(l);
}

RTCHECK_EXPORT int pthread_rwlock_tryrdlock(pthread_rwlock_t* l) {
    if (checked()) flag_p("pthread_rwlock_tryrdlock", l);
    return REAL(kRwTryrdlock, RwFn)(l);
}

RTCHECK_EXPORT int pthread_rwlock_trywrlock(pthread_rwlock_t* l) {
    if (checked()) flag_p("pthread_rwlock_trywrlock", l);
    return REAL(kRwTrywrlock, RwFn)(l);
}

RTCHECK_EXPORT int pthread_rwlock_timedrdlock(pthread_rwlock_t* l, const struct timespec* t) {
    if (checked()) flag_p("pthread_rwlock_timedrdlock", l);
    return REAL(kRwTimedrdlock, RwTimedFn)(l, t);
}

RTCHECK_EXPORT int pthread_rwlock_timedwrlock(pthread_rwlock_t* l, const struct timespec* t) {
    if (checked()) flag_p("pthread_rwlock_timedwrlock", l);
    return REAL(kRwTimedwrlock, RwTimedFn)(l, t);
}

RTCHECK_EXPORT int pthread_rwlock_clockrdlock(pthread_rwlock_t* l, clockid_t c,
                                              const struct timespec* t) {
    if (checked()) flag_p("pthread_rwlock_clockrdlock", l);
    return REAL(kRwClockrdlock, RwClockFn)(l, c, t);
}

RTCHECK_EXPORT int pthread_rwlock_clockwrlock(pthread_rwlock_t* l, clockid_t c,
                                              const struct timespec* t) {
    if (checked()) flag_p("pthread_rwlock_clockwrlock", l);
    return REAL(kRwClockwrlock, RwClockFn)(l, c, t);
}

RTCHECK_EXPORT int pthread_cond_wait(pthread_cond_t* cv, pthread_mutex_t* m) {
    if (checked()) flag_p("pthread_cond_wait", cv);
    return REAL(kCondWait, CondWaitFn)(cv, m);
}

RTCHECK_EXPORT int pthread_cond_timedwait(pthread_cond_t* cv, pthread_mutex_t* m,
                                          const struct timespec* t) {
    if (checked()) flag_p("pthread_cond_timedwait", cv);
    return REAL(kCondTimedwait, CondTimedFn)(cv, m, t);
}

RTCHECK_EXPORT int pthread_cond_clockwait(pthread_cond_t* cv, pthread_mutex_t* m, clockid_t c,
                                          const struct timespec* t) {
    if (checked()) flag_p("pthread_cond_clockwait", cv);
    return REAL(kCondClockwait, CondClockFn)(cv, m, c, t);
}

RTCHECK_EXPORT int sem_wait(sem_t* s) {
    if (checked()) flag_p("sem_wait", s);
    return REAL(kSemWait, SemFn)(s);
}

RTCHECK_EXPORT int sem_timedwait(sem_t* s, const struct timespec* t) {
    if (checked()) flag_p("sem_timedwait", s);
    return REAL(kSemTimedwait, SemTimedFn)(s, t);
}

RTCHECK_EXPORT int sem_clockwait(sem_t* s, clockid_t c, const struct timespec* t) {
    if (checked()) flag_p("sem_clockwait", s);
    return REAL(kSemClockwait, SemClockFn)(s, c, t);
}

/* ---- process start and end ------------------------------------------------------------- */

__attribute__((constructor)) static void rtcheck_init(void) {
    const char* mode = getenv("FOLDBACK_RTCHECK");
    if (mode != NULL && strcmp(mode, "count") == 0) {
        g_mode = kModeCount;
    } else if (mode != NULL && mode[0] != '\0' && strcmp(mode, "abort") != 0) {
        Line l = {.len = 0};
        put_str(&l, "foldback-rtcheck: unknown FOLDBACK_RTCHECK=");
        put_str(&l, mode);
        put_str(&l, " (expected abort or count); using abort");
        emit(&l);
    }
    Dl_info self;
    if (dladdr(&g_mode, &self) != 0) g_self_base = self.dli_fbase; /* any address of ours */
    for (int i = 0; i < kRealCount; ++i) (void)real(i);
}

/* Silent in processes that never opened a scope (LD_PRELOAD also reaches ctest's and
 * cmake's own processes). */
__attribute__((destructor)) static void rtcheck_fini(void) {
    if (g_mode != kModeCount || !atomic_load(&g_used)) return;
    long n = atomic_load(&g_violations);
    Line l = {.len = 0};
    put_str(&l, "foldback-rtcheck: ");
    put_dec(&l, (unsigned long)n);
    put_str(&l, n == 1 ? " violation" : " violations");
    put_str(&l, " on the audio thread (count mode)");
    if (n > 0 && atomic_load_explicit(&g_first_ready, memory_order_acquire)) {
        put_str(&l, "; first: ");
        put_str(&l, g_first);
    }
    emit(&l);
    if (n > 0) {
        /* ELF destructors run before exit() flushes stdio: flush the program's output
         * now, since _exit will not. We are outside every scope here. */
        fflush(NULL);
        _exit(FOLDBACK_RTCHECK_EXIT_VIOLATIONS);
    }
}
