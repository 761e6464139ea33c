#include "kit/audio_thread.hpp"

#include <sched.h>
#include <time.h>

#include <cerrno>
#include <cmath>
#include <cstring>

#include "kit/error.hpp"
#include "kit/rt_advice.hpp"

namespace foldback::kit {

std::int64_t monotonicNs() noexcept {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

static int createWithPthread(void*, pthread_t* thread, void* (*fn)(void*), void* arg) {
    return pthread_create(thread, nullptr, fn, arg);
}

const FoldbackThreadCreator& defaultThreadCreator() noexcept {
    static const FoldbackThreadCreator creator{&createWithPthread, nullptr};
    return creator;
}

AudioThread::AudioThread(Backend& backend, StreamCore& core, const KitSettings& settings,
                         double rate, const FoldbackThreadCreator& creator)
    : backend_(backend), core_(core), settings_(settings), rate_(rate), creator_(creator) {}

AudioThread::~AudioThread() {
    stop();
}

RtStatus AudioThread::start() {
    stop_.store(false);
    started_.store(0);
    const int rc = creator_.create(creator_.context, &thread_, &AudioThread::entry, this);
    if (rc != 0) fail(ASE_HWMalfunction, "cannot start the audio thread: {}", std::strerror(rc));
    joinable_ = true;
    // The thread reports its scheduling before it delivers the first period.
    while (started_.load(std::memory_order_acquire) == 0) {
        struct timespec ts {
            0, 50'000
        };
        nanosleep(&ts, nullptr);
    }
    RtStatus status;
    const int sched = schedResult_.load();
    if (!settings_.realtime) {
        status.warning = "real-time scheduling is off ([kit] realtime = false)";
    } else if (sched == 0) {
        status.realtime = true;
        status.priority = settings_.rtPriority;
    } else {
        status.warning = fmt::format(
            "real-time scheduling refused (SCHED_FIFO {}: {}); audio may drop out under load. {}",
            settings_.rtPriority, std::strerror(sched), kRtAdvice);
    }
    return status;
}

void AudioThread::stop() noexcept {
    stop_.store(true, std::memory_order_release);
    if (joinable_) {
        backend_.interruptWait();  // Style::Device: a wait() blocked on the device returns
        pthread_join(thread_, nullptr);
        joinable_ = false;
    }
}

void* AudioThread::entry(void* self) {
    static_cast<AudioThread*>(self)->run();
    return nullptr;
}

void AudioThread::run() noexcept {
    if (settings_.realtime) {
        sched_param param{};
        param.sched_priority = settings_.rtPriority;
        schedResult_.store(pthread_setschedparam(pthread_self(), SCHED_FIFO, &param));
    }
    started_.store(1, std::memory_order_release);
    if (backend_.style() == Style::Timer)
        runTimer();
    else
        runDevice();
}

void AudioThread::runTimer() noexcept {
    const long frames = core_.bufferSize();
    double periodNs = frames * 1e9 / rate_;
    std::int64_t baseTime = monotonicNs();
    std::int64_t baseIndex = 0;
    std::int64_t n = 0;  // next period to deliver (delivered + skipped)
    auto deadline = [&](std::int64_t k) {
        return baseTime + static_cast<std::int64_t>(
                              std::llround(static_cast<double>(k - baseIndex) * periodNs));
    };
    dll_.reset(baseTime, periodNs);
    bool lost = false;

    while (!stop_.load(std::memory_order_acquire)) {
        const std::int64_t late = injectLateNs_.exchange(0, std::memory_order_acq_rel);
        const std::int64_t wake = deadline(n) + late;
        struct timespec ts {
            static_cast<time_t>(wake / 1'000'000'000), static_cast<long>(wake % 1'000'000'000)
        };
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
        }
        if (stop_.load(std::memory_order_acquire)) break;
        const std::int64_t now = monotonicNs();

        bool rebased = false;
        if (n == 0) {
            // The stream starts when the thread first runs: a late first wake-up is not a
            // late period, and the first switch has position 0 with the start time.
            baseTime = now;
            dll_.reset(baseTime, periodNs);
            rebased = true;
        }
        const double changed = newRate_.exchange(0, std::memory_order_acq_rel);
        if (changed > 0) {
            baseTime = deadline(n);
            baseIndex = n;
            periodNs = frames * 1e9 / changed;
            dll_.reset(baseTime, periodNs);
            rebased = true;
        }
        if (backend_.deviceLost()) {
            if (!lost) core_.resetRequest();
            lost = true;
            n = baseIndex + static_cast<std::int64_t>((now - baseTime) / periodNs) + 1;
            continue;
        }
        lost = false;

        // Periods whose deadline has passed, the one we slept for included.
        std::int64_t owed =
            baseIndex + static_cast<std::int64_t>(std::floor((now - baseTime) / periodNs)) + 1 - n;
        if (owed < 1) owed = 1;
        long skip = 0;
        const long drop = injectDropFrames_.exchange(0, std::memory_order_acq_rel);
        if (drop > 0) skip += (drop + frames - 1) / frames;
        if (owed - 1 > settings_.maxLatePeriods) {
            skip += static_cast<long>(owed - 1);
            owed = 1;
        }
        if (skip > 0) {
            backend_.skip(skip);
            core_.skipPeriods(skip);
            for (long k = 0; k < skip; ++k) dll_.advance();
            n += skip;
        }
        if (owed > 1) core_.latePeriods(static_cast<long>(owed - 1));

        for (std::int64_t k = 0; k < owed && !stop_.load(std::memory_order_relaxed); ++k) {
            std::int64_t t;
            if (k == 0 && rebased)
                t = dll_.current();
            else if (k == 0 && owed == 1 && skip == 0)
                t = dll_.update(now);
            else
                t = dll_.advance();
            const DeviceIo io = backend_.begin();
            core_.process(io, t);
            backend_.end();
            ++n;
        }
    }
}

void AudioThread::runDevice() noexcept {
    const long frames = core_.bufferSize();
    bool first = true;
    while (!stop_.load(std::memory_order_acquire)) {
        // Fault injection (kFoldbackInjectFault): a late wake-up is a real one here (the
        // device xruns or holds a backlog); lost frames are periods the device runs
        // through unheard (Backend::skip) while the position jumps over them.
        const std::int64_t late = injectLateNs_.exchange(0, std::memory_order_acq_rel);
        if (late > 0) {
            struct timespec ts {
                static_cast<time_t>(late / 1'000'000'000), static_cast<long>(late % 1'000'000'000)
            };
            while (nanosleep(&ts, &ts) == EINTR) {
            }
        }
        long dropped = 0;
        if (!first) {
            const long drop = injectDropFrames_.exchange(0, std::memory_order_acq_rel);
            if (drop > 0) {
                dropped = (drop + frames - 1) / frames;
                backend_.skip(dropped);
                core_.skipPeriods(dropped);
            }
        }
        const WaitResult r = backend_.wait();
        if (r == WaitResult::Stopped) break;
        if (r == WaitResult::Lost) {
            core_.resetRequest();
            while (!stop_.load(std::memory_order_acquire)) {
                struct timespec ts {
                    0, 10'000'000
                };
                nanosleep(&ts, nullptr);
            }
            break;
        }
        const std::int64_t now = monotonicNs();
        const long lost = backend_.lostPeriods();
        if (lost > 0) {
            // The device recovered from an xrun by restarting: the position jumps over the
            // lost periods (kAsioOverload + kAsioResyncRequest) and the time line restarts.
            core_.skipPeriods(lost);
            first = true;
        }
        const long behind = backend_.latePeriods();
        if (behind > 0) core_.latePeriods(behind);
        std::int64_t t;
        if (first) {
            dll_.reset(now, frames * 1e9 / rate_);
            t = dll_.current();
            first = false;
        } else if (dropped > 0) {
            for (long k = 0; k < dropped; ++k) dll_.advance();
            t = dll_.advance();
        } else {
            t = dll_.update(now);
        }
        const DeviceIo io = backend_.begin();
        core_.process(io, t);
        backend_.end();
    }
}

}  // namespace foldback::kit
