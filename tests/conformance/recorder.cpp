#include "recorder.hpp"

#include <time.h>

#include <cmath>
#include <cstring>
#include <mutex>
#include <thread>
#include <utility>

#include "samples.hpp"

namespace foldback::conformance::detail {

thread_local bool tlControlThread = false;

long long monotonicNs() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<long long>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

namespace {

std::array<Slot, kSlotCount>& pool() {
    // Never destroyed: a driver thread may still call a trampoline at process exit.
    static auto* slots = new std::array<Slot, kSlotCount>();
    return *slots;
}

std::mutex gPoolMutex;
std::size_t gNext = 0;  // total slots handed out

template <int N>
struct Trampoline {
    static void bufferSwitch(long index, ASIOBool) { pool()[N].onSwitch(index, nullptr, false); }
    static void rateDidChange(ASIOSampleRate rate) { pool()[N].onRate(rate); }
    static long message(long selector, long value, void*, double*) {
        return pool()[N].onMessage(selector, value);
    }
    static ASIOTime* timeInfo(ASIOTime* time, long index, ASIOBool) {
        pool()[N].onSwitch(index, time, true);
        return nullptr;  // as real hosts do
    }
};

template <std::size_t... I>
void bindAll(std::index_sequence<I...>) {
    ((pool()[I].bindCallbacks(
         ASIOCallbacks{&Trampoline<int(I)>::bufferSwitch, &Trampoline<int(I)>::rateDidChange,
                       &Trampoline<int(I)>::message, &Trampoline<int(I)>::timeInfo})),
     ...);
}

int messageKind(long selector) {
    return selector >= 1 && selector < kAsioNumMessageSelectors ? int(selector) : kMessageKinds - 1;
}

}  // namespace

Slot& acquireSlot() {
    static std::once_flag bound;
    std::call_once(bound, [] { bindAll(std::make_index_sequence<kSlotCount>()); });
    std::lock_guard lock(gPoolMutex);
    Slot& slot = pool()[gNext % kSlotCount];
    ++gNext;
    return slot;
}

std::size_t slotMark() {
    std::lock_guard lock(gPoolMutex);
    return gNext;
}

std::vector<Slot*> slotsSince(std::size_t mark) {
    std::lock_guard lock(gPoolMutex);
    std::vector<Slot*> out;
    std::size_t first = gNext - mark > kSlotCount ? gNext - kSlotCount : mark;
    for (std::size_t i = first; i < gNext; ++i) out.push_back(&pool()[i % kSlotCount]);
    return out;
}

void Slot::arm(SlotSetup setup) {
    phase_.store(Idle, std::memory_order_release);
    buffersReady_.store(false, std::memory_order_release);
    setup_ = std::move(setup);
    infos_.clear();
    types_.clear();
    events_.assign(setup_.eventCapacity, SwitchEvent{});
    reserved_.store(0);
    published_.store(0);
    switchCalls_.store(0);
    timeInfoCalls_.store(0);
    late_.store(0);
    rateChanges_.store(0);
    for (auto& c : msgCount_) c.store(0);
    for (auto& c : msgControl_) c.store(0);
    phase_.store(Open, std::memory_order_release);
}

void Slot::setBuffers(const std::vector<ASIOBufferInfo>& infos,
                      const std::vector<ASIOSampleType>& types) {
    infos_ = infos;
    types_ = types;
    for (auto& p : setup_.pings) {
        p.outInfo = p.inInfo = -1;
        for (std::size_t i = 0; i < infos_.size(); ++i) {
            if (!infos_[i].isInput && infos_[i].channelNum == p.out) p.outInfo = int(i);
            if (infos_[i].isInput && infos_[i].channelNum == p.in) p.inInfo = int(i);
        }
        if (p.outInfo >= 0) p.outType = types_[std::size_t(p.outInfo)];
        if (p.inInfo >= 0) p.inType = types_[std::size_t(p.inInfo)];
        p.nextAt = setup_.firstPingAt;
    }
    buffersReady_.store(true, std::memory_order_release);
}

long long Slot::messages(long selector) const {
    return msgCount_[messageKind(selector)].load();
}

std::vector<SwitchEvent> Slot::events() const {
    std::size_t n = std::min(published_.load(std::memory_order_acquire), events_.size());
    return {events_.begin(), events_.begin() + long(n)};
}

long long Slot::droppedEvents() const {
    std::size_t n = reserved_.load();
    return n > events_.size() ? static_cast<long long>(n - events_.size()) : 0;
}

void Slot::onSwitch(long index, ASIOTime* time, bool timeInfo) {
    long long now = monotonicNs();
    if (phase_.load(std::memory_order_acquire) != Open) {
        late_.fetch_add(1);
        return;
    }
    long long seq = (timeInfo ? timeInfoCalls_ : switchCalls_).fetch_add(1) +
                    (timeInfo ? switchCalls_ : timeInfoCalls_).load();
    SwitchEvent e;
    e.hostNs = now;
    e.index = index;
    e.timeInfo = timeInfo;
    e.resyncsBefore = msgCount_[kAsioResyncRequest].load();
    long long blockPosition = seq * setup_.bufferSize;
    if (timeInfo) {
        if (time == nullptr) {
            e.nullTime = true;
        } else {
            const AsioTimeInfo& ti = time->timeInfo;
            e.flags = ti.flags;
            e.speed = ti.speed;
            e.rate = ti.sampleRate;
            e.systemTime = ti.systemTime;
            e.reservedNonZero =
                time->reserved[0] || time->reserved[1] || time->reserved[2] || time->reserved[3];
            if (ti.flags & kSamplePositionValid) {
                e.position = ti.samplePosition;
                blockPosition = ti.samplePosition;
            }
        }
    } else if (setup_.positionInSwitch && setup_.driver != nullptr) {
        ASIOSamples pos = -1;
        ASIOTimeStamp ts = 0;
        e.spError = setup_.driver->lpVtbl->getSamplePosition(setup_.driver, &pos, &ts);
        if (e.spError == ASE_OK) {
            e.position = pos;
            e.systemTime = ts;
            blockPosition = pos;
        }
    }
    if (buffersReady_.load(std::memory_order_acquire) && (index == 0 || index == 1)) {
        process(index, blockPosition);
    }
    if (setup_.callOutputReady && setup_.driver != nullptr) {
        setup_.driver->lpVtbl->outputReady(setup_.driver);
    }
    // Readers (the control thread, while the stream runs) see only whole events. One
    // callback at a time is the rule; a driver that overlaps them waits here for its turn.
    std::size_t k = reserved_.fetch_add(1, std::memory_order_acq_rel);
    if (k < events_.size()) events_[k] = e;
    for (std::size_t expected = k; !published_.compare_exchange_weak(
             expected, k + 1, std::memory_order_release, std::memory_order_relaxed);
         expected = k) {
        std::this_thread::yield();
    }
}

void Slot::process(long index, long long position) {
    const long n = setup_.bufferSize;
    // Inputs first: what came back in this half was recorded before this switch.
    for (auto& p : setup_.pings) {
        if (p.inInfo < 0 || !impulseSupported(p.inType)) continue;
        const void* half = infos_[std::size_t(p.inInfo)].buffers[index];
        if (half == nullptr) continue;
        for (long j = 0; j < n; ++j) {
            if (std::fabs(readSample(half, p.inType, j)) < 0.5) continue;
            if (p.state == 1) {
                if (p.results < kMaxPings)
                    p.roundTrip[std::size_t(p.results++)] = position + j - p.emitAt;
                p.state = 0;
                p.nextAt = position + n + setup_.pingGap;
            } else {
                ++p.spurious;
            }
        }
    }
    // Then every output half: silence, plus the impulses that are due.
    for (std::size_t i = 0; i < infos_.size(); ++i) {
        if (infos_[i].isInput || infos_[i].buffers[index] == nullptr) continue;
        std::size_t bytes = halfBytes(types_[i], n);
        if (bytes > 0) std::memset(infos_[i].buffers[index], 0, bytes);
    }
    for (auto& p : setup_.pings) {
        if (p.outInfo < 0 || !impulseSupported(p.outType)) continue;
        if (p.state == 1 && position > p.deadline) {
            ++p.timeouts;
            p.state = 0;
            p.nextAt = position + setup_.pingGap;
        }
        if (p.state == 0 && position >= p.nextAt && p.emitted < setup_.maxPings) {
            // Different offsets in the block, so that an off-by-one in either half shows.
            static constexpr long kNum[] = {0, 1, 1, 1, 1, 3, 0, 2};
            static constexpr long kDen[] = {1, 1, 2, 3, 4, 4, 1, 3};
            int m = p.emitted % 8;
            long offset = m == 1 ? n - 1 : m == 6 ? std::min(5L, n - 1) : kNum[m] * n / kDen[m];
            void* half = infos_[std::size_t(p.outInfo)].buffers[index];
            if (half == nullptr) continue;
            writeImpulse(half, p.outType, offset);
            p.emitAt = position + offset;
            p.deadline = p.emitAt + setup_.pingTimeout;
            p.state = 1;
            ++p.emitted;
        }
    }
}

void Slot::onRate(double) {
    if (phase_.load(std::memory_order_acquire) == Closed) {
        late_.fetch_add(1);
        return;
    }
    rateChanges_.fetch_add(1);
}

long Slot::onMessage(long selector, long value) {
    if (phase_.load(std::memory_order_acquire) == Closed ||
        phase_.load(std::memory_order_acquire) == Idle) {
        late_.fetch_add(1);
        return 0;
    }
    int kind = messageKind(selector);
    msgCount_[kind].fetch_add(1);
    if (tlControlThread) msgControl_[kind].fetch_add(1);
    switch (selector) {
        case kAsioSelectorSupported:
            switch (value) {
                case kAsioResetRequest:
                case kAsioEngineVersion:
                case kAsioResyncRequest:
                case kAsioLatenciesChanged:
                case kAsioSupportsTimeInfo:
                case kAsioOverload:
                case kAsioBufferSizeChange:
                    return 1;
                default:
                    return 0;
            }
        case kAsioEngineVersion:
            return 2;
        case kAsioResetRequest:
        case kAsioResyncRequest:
        case kAsioLatenciesChanged:
        case kAsioOverload:
            return 1;
        case kAsioBufferSizeChange:
            return 0;  // not supported: the driver must reset instead
        case kAsioSupportsTimeInfo:
            return setup_.timeInfoAnswer;
        default:
            return 0;
    }
}

}  // namespace foldback::conformance::detail
