// rtcheck_probe CASE: one scenario for the RT-safety interposer, run by run_probe.cmake.
//
// It finds the scope functions exactly as the kit does (dlsym(RTLD_DEFAULT) once, before
// any audio work) and refuses to run without them (exit 2), so that no test can pass
// because the interposer was not loaded. Planted cases put exactly one forbidden call
// inside a scope; they must die (abort mode) or end with exit 86 (count mode). Clean
// cases must exit 0.
#include <dlfcn.h>
#include <malloc.h>
#include <pthread.h>
#include <semaphore.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "rtcheck.h"

namespace {

FoldbackRtcheckScopeFn enterScope = nullptr;
FoldbackRtcheckScopeFn leaveScope = nullptr;
FoldbackRtcheckViolationsFn violations = nullptr;

// Results go here so that the compiler cannot drop an allocation it can see is unused.
void* volatile g_sink = nullptr;

class Scope {
  public:
    Scope() { enterScope(); }
    ~Scope() { leaveScope(); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
};

timespec soon() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 1;
    return ts;
}

// ---- planted: every forbidden call, one per case --------------------------------------

int plantMalloc() {
    Scope s;
    g_sink = std::malloc(64);
    return 0;
}

int plantCalloc() {
    Scope s;
    g_sink = std::calloc(4, 16);
    return 0;
}

int plantRealloc() {
    void* p = std::malloc(16);
    Scope s;
    g_sink = std::realloc(p, 128);
    return 0;
}

int plantReallocarray() {
    Scope s;
    g_sink = reallocarray(nullptr, 8, 8);
    return 0;
}

int plantFree() {
    void* p = std::malloc(32);
    g_sink = p;
    Scope s;
    std::free(p);
    return 0;
}

int plantPosixMemalign() {
    void* p = nullptr;
    Scope s;
    if (posix_memalign(&p, 64, 256) == 0) g_sink = p;
    return 0;
}

int plantAlignedAlloc() {
    Scope s;
    g_sink = std::aligned_alloc(64, 256);
    return 0;
}

int plantMemalign() {
    Scope s;
    g_sink = memalign(64, 256);
    return 0;
}

int plantValloc() {
    Scope s;
    g_sink = valloc(100);
    return 0;
}

int plantPvalloc() {
    Scope s;
    g_sink = pvalloc(100);
    return 0;
}

int plantNew() {
    Scope s;
    g_sink = new int[16];  // operator new[] -> operator new -> malloc(64)
    return 0;
}

struct alignas(64) OverAligned {
    char bytes[256];
};

int plantAlignedNew() {
    Scope s;
    g_sink = new OverAligned;  // operator new(size_t, align_val_t) -> aligned_alloc(64, 256)
    return 0;
}

int plantDelete() {
    int* p = new int(7);
    g_sink = p;
    Scope s;
    delete p;  // operator delete -> free
    return 0;
}

int plantVectorGrowth() {
    std::vector<int> v;
    Scope s;
    v.push_back(1);  // the first element allocates: malloc(4)
    g_sink = v.data();
    return 0;
}

int plantStdMutex() {
    std::mutex m;
    Scope s;
    m.lock();
    m.unlock();
    return 0;
}

int plantStdMutexTryLock() {
    std::mutex m;
    Scope s;
    if (m.try_lock()) m.unlock();
    return 0;
}

int plantStdTimedMutex() {
    std::timed_mutex m;
    Scope s;
    if (m.try_lock_for(std::chrono::milliseconds(1))) m.unlock();
    return 0;
}

int plantStdSharedMutex() {
    std::shared_mutex m;
    Scope s;
    m.lock_shared();
    m.unlock_shared();
    return 0;
}

int plantStdConditionVariable() {
    std::mutex m;
    std::condition_variable cv;
    std::unique_lock lock(m);
    Scope s;
    cv.wait_for(lock, std::chrono::milliseconds(1));
    return 0;
}

int plantMutexLock() {
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    Scope s;
    pthread_mutex_lock(&m);
    pthread_mutex_unlock(&m);
    return 0;
}

int plantMutexTrylock() {
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    Scope s;
    if (pthread_mutex_trylock(&m) == 0) pthread_mutex_unlock(&m);
    return 0;
}

int plantMutexTimedlock() {
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    const timespec t = soon();
    Scope s;
    if (pthread_mutex_timedlock(&m, &t) == 0) pthread_mutex_unlock(&m);
    return 0;
}

int plantMutexClocklock() {
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    const timespec t = soon();
    Scope s;
    if (pthread_mutex_clocklock(&m, CLOCK_REALTIME, &t) == 0) pthread_mutex_unlock(&m);
    return 0;
}

template <int (*Lock)(pthread_rwlock_t*)>
int plantRwlock() {
    pthread_rwlock_t l = PTHREAD_RWLOCK_INITIALIZER;
    Scope s;
    if (Lock(&l) == 0) pthread_rwlock_unlock(&l);
    return 0;
}

template <int (*Lock)(pthread_rwlock_t*, const timespec*)>
int plantRwlockTimed() {
    pthread_rwlock_t l = PTHREAD_RWLOCK_INITIALIZER;
    const timespec t = soon();
    Scope s;
    if (Lock(&l, &t) == 0) pthread_rwlock_unlock(&l);
    return 0;
}

template <int (*Lock)(pthread_rwlock_t*, clockid_t, const timespec*)>
int plantRwlockClock() {
    pthread_rwlock_t l = PTHREAD_RWLOCK_INITIALIZER;
    const timespec t = soon();
    Scope s;
    if (Lock(&l, CLOCK_REALTIME, &t) == 0) pthread_rwlock_unlock(&l);
    return 0;
}

// A wait that is not caught blocks until the alarm in main() ends the probe.
int plantCondWait() {
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    pthread_mutex_lock(&m);
    Scope s;
    pthread_cond_wait(&cv, &m);
    return 0;
}

int plantCondTimedwait() {
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    pthread_mutex_lock(&m);
    const timespec t = soon();
    Scope s;
    pthread_cond_timedwait(&cv, &m, &t);
    return 0;
}

int plantCondClockwait() {
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    pthread_mutex_lock(&m);
    const timespec t = soon();
    Scope s;
    pthread_cond_clockwait(&cv, &m, CLOCK_REALTIME, &t);
    return 0;
}

int plantSemWait() {
    sem_t sem;
    sem_init(&sem, 0, 1);
    Scope s;
    sem_wait(&sem);
    return 0;
}

int plantSemTimedwait() {
    sem_t sem;
    sem_init(&sem, 0, 1);
    const timespec t = soon();
    Scope s;
    sem_timedwait(&sem, &t);
    return 0;
}

int plantSemClockwait() {
    sem_t sem;
    sem_init(&sem, 0, 1);
    const timespec t = soon();
    Scope s;
    sem_clockwait(&sem, CLOCK_REALTIME, &t);
    return 0;
}

// ---- planted: scope rules ------------------------------------------------------------

// Leaving an inner scope must not end the outer one.
int plantNested() {
    enterScope();
    enterScope();
    leaveScope();
    g_sink = std::malloc(32);
    leaveScope();
    return 0;
}

// Extra leaves at depth 0 are ignored: the next scope is checked again.
int plantAfterExtraLeave() {
    leaveScope();
    leaveScope();
    Scope s;
    g_sink = std::malloc(40);
    return 0;
}

// The audio thread is not the main thread: a scope on a worker thread is checked too.
int plantWorkerThread() {
    std::thread worker([] {
        Scope s;
        g_sink = std::malloc(48);
    });
    worker.join();
    return 0;
}

// Count mode: three violations, the process goes on, the destructor turns it into 86.
int plantThreeCounted() {
    std::mutex m;
    void* p = std::malloc(16);
    g_sink = p;  // otherwise the compiler may drop the malloc/free pair altogether
    {
        Scope s;
        g_sink = std::malloc(24);
        std::free(p);
        m.lock();
        m.unlock();
    }
    std::printf("violations=%ld\n", violations());
    return 0;
}

// ---- clean: must pass ----------------------------------------------------------------

int clean() {
    std::vector<float> out(256);  // allocated before streaming, as the kit does
    std::mutex m;
    void* volatile nothing = nullptr;
    {
        Scope s;
        std::array<float, 64> work{};
        for (std::size_t i = 0; i < work.size(); ++i) work[i] = 0.5f * static_cast<float>(i);
        std::memcpy(out.data(), work.data(), sizeof work);
        std::atomic<int> counter{0};
        counter.fetch_add(1, std::memory_order_relaxed);
        timespec now{};
        clock_gettime(CLOCK_MONOTONIC, &now);
        std::free(nothing);  // free(NULL) is not a violation
        {
            Scope inner;  // the host callback inside the kit's period function
            out[1] += work[2];
        }
        out[0] += static_cast<float>(counter.load() + (now.tv_nsec & 1));
    }
    leaveScope();  // extra leaves at depth 0 are ignored, the depth stays 0
    leaveScope();
    // Outside every scope again: all of this is allowed.
    g_sink = std::malloc(64);
    std::free(g_sink);
    m.lock();
    m.unlock();
    auto owned = std::make_unique<std::vector<int>>(100, 1);
    g_sink = owned.get();
    if (violations() != 0) {
        std::fprintf(stderr, "probe: clean run counted %ld violations\n", violations());
        return 1;
    }
    std::printf("clean: ok (out[0] = %g)\n", static_cast<double>(out[0]));
    return 0;
}

void churn(std::mutex& m) {
    for (int i = 0; i < 100; ++i) {
        g_sink = std::malloc(64);
        std::free(g_sink);
        std::lock_guard guard(m);
        auto v = std::make_unique<int[]>(16);
        g_sink = v.get();
    }
}

// One thread inside a scope never affects another thread.
int otherThread() {
    std::mutex m;
    std::atomic<int> phase{0};

    // 1. A worker sits inside its scope while the main thread allocates and locks.
    std::thread inside([&] {
        Scope s;
        phase.store(1);
        while (phase.load() != 2) std::this_thread::yield();
    });
    while (phase.load() != 1) std::this_thread::yield();
    churn(m);
    phase.store(2);
    inside.join();

    // 2. The main thread sits inside its scope while a worker allocates and locks.
    std::atomic<bool> done{false};
    std::thread outside([&] {
        while (phase.load() != 3) std::this_thread::yield();
        churn(m);
        done.store(true);
    });
    {
        Scope s;
        phase.store(3);
        while (!done.load()) std::this_thread::yield();
    }
    outside.join();

    if (violations() != 0) {
        std::fprintf(stderr, "probe: other-thread run counted %ld violations\n", violations());
        return 1;
    }
    std::printf("other_thread: ok\n");
    return 0;
}

struct Case {
    std::string_view name;
    int (*run)();
};

constexpr Case kCases[] = {
    {"malloc", plantMalloc},
    {"calloc", plantCalloc},
    {"realloc", plantRealloc},
    {"reallocarray", plantReallocarray},
    {"free", plantFree},
    {"posix_memalign", plantPosixMemalign},
    {"aligned_alloc", plantAlignedAlloc},
    {"memalign", plantMemalign},
    {"valloc", plantValloc},
    {"pvalloc", plantPvalloc},
    {"new", plantNew},
    {"aligned_new", plantAlignedNew},
    {"delete", plantDelete},
    {"vector_growth", plantVectorGrowth},
    {"std_mutex", plantStdMutex},
    {"std_mutex_try_lock", plantStdMutexTryLock},
    {"std_timed_mutex", plantStdTimedMutex},
    {"std_shared_mutex", plantStdSharedMutex},
    {"std_condition_variable", plantStdConditionVariable},
    {"pthread_mutex_lock", plantMutexLock},
    {"pthread_mutex_trylock", plantMutexTrylock},
    {"pthread_mutex_timedlock", plantMutexTimedlock},
    {"pthread_mutex_clocklock", plantMutexClocklock},
    {"pthread_rwlock_rdlock", plantRwlock<pthread_rwlock_rdlock>},
    {"pthread_rwlock_wrlock", plantRwlock<pthread_rwlock_wrlock>},
    {"pthread_rwlock_tryrdlock", plantRwlock<pthread_rwlock_tryrdlock>},
    {"pthread_rwlock_trywrlock", plantRwlock<pthread_rwlock_trywrlock>},
    {"pthread_rwlock_timedrdlock", plantRwlockTimed<pthread_rwlock_timedrdlock>},
    {"pthread_rwlock_timedwrlock", plantRwlockTimed<pthread_rwlock_timedwrlock>},
    {"pthread_rwlock_clockrdlock", plantRwlockClock<pthread_rwlock_clockrdlock>},
    {"pthread_rwlock_clockwrlock", plantRwlockClock<pthread_rwlock_clockwrlock>},
    {"pthread_cond_wait", plantCondWait},
    {"pthread_cond_timedwait", plantCondTimedwait},
    {"pthread_cond_clockwait", plantCondClockwait},
    {"sem_wait", plantSemWait},
    {"sem_timedwait", plantSemTimedwait},
    {"sem_clockwait", plantSemClockwait},
    {"nested", plantNested},
    {"extra_leave", plantAfterExtraLeave},
    {"worker_thread", plantWorkerThread},
    {"three_counted", plantThreeCounted},
    {"clean", clean},
    {"other_thread", otherThread},
};

template <class Fn>
Fn lookup(const char* name) {
    return reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, name));
}

}  // namespace

int main(int argc, char** argv) {
    alarm(10);  // an uncaught blocking wait must not hang the test run
    if (argc != 2) {
        std::fprintf(stderr, "usage: rtcheck_probe CASE\n");
        return 3;
    }
    enterScope = lookup<FoldbackRtcheckScopeFn>("foldback_rtcheck_enter");
    leaveScope = lookup<FoldbackRtcheckScopeFn>("foldback_rtcheck_leave");
    violations = lookup<FoldbackRtcheckViolationsFn>("foldback_rtcheck_violations");
    if (enterScope == nullptr || leaveScope == nullptr || violations == nullptr) {
        std::fprintf(stderr,
                     "probe: the interposer is not loaded (run with "
                     "LD_PRELOAD=<build>/lib/libfoldback_rtcheck.so)\n");
        return 2;
    }
    for (const Case& c : kCases) {
        if (c.name == argv[1]) {
            int rc = c.run();
            std::printf("probe: %s returned %d\n", argv[1], rc);
            return rc;
        }
    }
    std::fprintf(stderr, "probe: unknown case %s\n", argv[1]);
    return 3;
}
