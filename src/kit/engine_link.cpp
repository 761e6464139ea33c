#include "kit/engine_link.hpp"

#include <time.h>

#include <cerrno>
#include <utility>

#include "kit/backend.hpp"

namespace foldback::kit {

EngineLink::EngineLink() noexcept {
    sem_init(&wake_, 0, 0);
}

EngineLink::~EngineLink() {
    stopWorker();
    sem_destroy(&wake_);
}

void EngineLink::startWorker(KitContext& kit, std::function<void()> changed) {
    stopWorker();
    kit_ = &kit;
    changed_ = std::move(changed);
    quit_.store(false);
    worker_ = std::thread([this] { work(); });
    workerThread_ = worker_.native_handle();
}

void EngineLink::stopWorker() noexcept {
    if (!worker_.joinable()) return;
    quit_.store(true);
    wake();
    worker_.join();
}

bool EngineLink::close() noexcept {
    streaming_.store(false, std::memory_order_seq_cst);
    const pthread_t self = pthread_self();
    const bool onProcessThread =
        processThreadKnown_.load() && pthread_equal(processThread_.load(), self);
    // A period inside KitContext::process finishes; none starts after this.
    if (!onProcessThread) {
        while (inProcess_.load(std::memory_order_seq_cst) != 0) {
            timespec ts{0, 100'000};
            nanosleep(&ts, nullptr);
        }
    }
    // Nor does a worker call into the kit (unless this is that call).
    if (!(worker_.joinable() && pthread_equal(workerThread_, self))) {
        std::lock_guard<std::mutex> lock(kitMutex_);
    }
    return onProcessThread;
}

void EngineLink::work() noexcept {
    for (;;) {
        while (sem_wait(&wake_) != 0 && errno == EINTR) {
        }
        if (quit_.load()) return;
        std::lock_guard<std::mutex> lock(kitMutex_);
        if (!streaming_.load()) continue;
        if (lost_.load()) {
            if (!resetSent_) {
                resetSent_ = true;
                kit_->resetRequest();
            }
            continue;
        }
        if (changed_) changed_();
    }
}

}  // namespace foldback::kit
