// EngineLink: what every Style::Engine backend (JACK, PipeWire) needs between the engine's
// threads, its own worker and the control thread, done once:
//
//   the window   the engine's process thread may call KitContext::process only between
//                open() and close(); close() returns when no period is inside the kit (or
//                at once when the host stops from its own callback, on that thread).
//                enter() / leave() bracket every period, streaming or not.
//   the worker   a thread of the backend's that turns the engine's notifications (set as
//                atomics by the engine's threads, then wake()) into kit calls, under the
//                kit mutex and only while streaming: outside a stream the kit's state
//                belongs to the control thread (init filling it in, createBuffers /
//                disposeBuffers building or tearing it down), which catches up itself.
//   lost         the engine is gone (server shutdown, daemon killed): markLost() from any
//                thread; the worker sends kAsioResetRequest once per stream.
//
// Memory order: enter() counts the period in (seq_cst) before it reads the window, close()
// shuts the window (seq_cst) before it reads the count, so one of them sees the other.
#pragma once

#include <pthread.h>
#include <semaphore.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

namespace foldback::kit {

class KitContext;

class EngineLink {
  public:
    EngineLink() noexcept;
    ~EngineLink();
    EngineLink(const EngineLink&) = delete;
    EngineLink& operator=(const EngineLink&) = delete;

    // ---- the worker ----------------------------------------------------------------------
    // [control] After each wake(), with the kit mutex held and only while streaming: a lost
    // engine becomes one kAsioResetRequest, otherwise `changed` runs (the backend compares
    // what its atomics say with what the kit was told).
    void startWorker(KitContext& kit, std::function<void()> changed);
    // [control] Joins the worker (idempotent).
    void stopWorker() noexcept;
    // [any, also the engine's real-time threads: one sem_post]
    void wake() noexcept { sem_post(&wake_); }
    // Held by the worker around its kit calls; the control thread takes it to change the
    // kit's view of the engine outside a stream.
    std::mutex& kitMutex() noexcept { return kitMutex_; }

    // ---- the window ------------------------------------------------------------------------
    // [rt] A period begins: true when streaming (the period may call into the kit). Every
    // enter() is followed by leave(), whatever it returned.
    bool enter() noexcept {
        inProcess_.fetch_add(1, std::memory_order_seq_cst);
        if (!streaming_.load(std::memory_order_seq_cst)) return false;
        if (!processThreadKnown_.load(std::memory_order_relaxed)) {
            processThread_.store(pthread_self(), std::memory_order_relaxed);
            processThreadKnown_.store(true, std::memory_order_release);
        }
        return true;
    }
    void leave() noexcept { inProcess_.fetch_sub(1, std::memory_order_release); }
    // [control, kit mutex held] Periods go to the kit from now on; a lost engine may send
    // its reset request again.
    void open() noexcept {
        resetSent_ = false;
        streaming_.store(true, std::memory_order_seq_cst);
    }
    // [control, or the process thread] No period is inside the kit when this returns, and no
    // worker call. True when called on the engine's process thread (a host stopping from its
    // own callback), which must not wait for itself (nor do what waits for it).
    bool close() noexcept;
    bool streaming() const noexcept { return streaming_.load(std::memory_order_seq_cst); }

    // ---- the lost engine -------------------------------------------------------------------
    // [any] Idempotent.
    void markLost() noexcept {
        if (!lost_.exchange(true, std::memory_order_acq_rel)) wake();
    }
    bool lost() const noexcept { return lost_.load(std::memory_order_acquire); }

  private:
    void work() noexcept;

    std::atomic<bool> streaming_{false};
    std::atomic<int> inProcess_{0};
    std::atomic<bool> lost_{false};
    std::atomic<pthread_t> processThread_{};
    std::atomic<bool> processThreadKnown_{false};

    sem_t wake_{};
    std::atomic<bool> quit_{false};
    std::thread worker_;
    pthread_t workerThread_{};
    std::mutex kitMutex_;     // worker and control threads only, never a real-time thread
    bool resetSent_ = false;  // under kitMutex_
    KitContext* kit_ = nullptr;
    std::function<void()> changed_;
};

}  // namespace foldback::kit
