#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

#include "samples.hpp"
#include "suite.hpp"

namespace foldback::conformance::detail {

const char* stateName(State s) {
    switch (s) {
        case State::L:
            return "L";
        case State::I:
            return "I";
        case State::P:
            return "P";
        case State::R:
            return "R";
    }
    return "?";
}

std::string codeName(long code) {
    switch (code) {
        case ASE_OK:
            return "ASE_OK (0)";
        case ASE_SUCCESS:
            return "ASE_SUCCESS";
        case ASE_NotPresent:
            return "ASE_NotPresent (-1000)";
        case ASE_HWMalfunction:
            return "ASE_HWMalfunction (-999)";
        case ASE_InvalidParameter:
            return "ASE_InvalidParameter (-998)";
        case ASE_InvalidMode:
            return "ASE_InvalidMode (-997)";
        case ASE_SPNotAdvancing:
            return "ASE_SPNotAdvancing (-996)";
        case ASE_NoClock:
            return "ASE_NoClock (-995)";
        case ASE_NoMemory:
            return "ASE_NoMemory (-994)";
        default:
            return std::to_string(code);
    }
}

BoundedText readBounded(void (*fn)(FoldbackDriver*, char*), FoldbackDriver* driver,
                        std::size_t limit) {
    constexpr std::size_t kSize = 512;
    unsigned char buf[kSize];
    auto canary = [](std::size_t i) { return static_cast<unsigned char>(0xA5 ^ (i * 7)); };
    for (std::size_t i = 0; i < kSize; ++i) buf[i] = canary(i);
    fn(driver, reinterpret_cast<char*>(buf));
    BoundedText out;
    for (std::size_t i = limit; i < kSize; ++i) {
        if (buf[i] != canary(i)) {
            out.overflow = true;
            out.firstChanged = i;
            break;
        }
    }
    std::size_t n = 0;
    while (n < limit && buf[n] != 0) ++n;
    out.terminated = n < limit;
    out.text.assign(reinterpret_cast<const char*>(buf), n);
    return out;
}

std::optional<long> timedCall(std::function<long()> fn, double seconds) {
    struct Shared {
        std::mutex m;
        std::condition_variable cv;
        bool done = false;
        long result = 0;
    };
    auto shared = std::make_shared<Shared>();
    std::thread([shared, fn = std::move(fn)] {
        tlControlThread = true;
        long r = fn();
        std::lock_guard lock(shared->m);
        shared->result = r;
        shared->done = true;
        shared->cv.notify_all();
    }).detach();
    std::unique_lock lock(shared->m);
    if (!shared->cv.wait_for(lock, std::chrono::duration<double>(seconds),
                             [&] { return shared->done; })) {
        return std::nullopt;
    }
    return shared->result;
}

Instance::Instance(Suite& suite, std::string label, bool setName)
    : suite_(suite), label_(std::move(label)) {
    const Options& o = suite_.options();
    drv_ = o.instantiate ? o.instantiate() : nullptr;
    if (drv_ == nullptr || drv_->lpVtbl == nullptr) {
        drv_ = nullptr;
        problem_ = "Options::instantiate returned no instance";
        return;
    }
    {
        // The baseline: what a new instance says before any call of ours.
        BoundedText first = readBounded(drv_->lpVtbl->getErrorMessage, drv_, 124);
        suite_.noteMessage("getErrorMessage on a new instance", false, first, first.text);
        lastMessage_ = first.text;
    }
    channels = suite_.standardChannels();
    slotSetup = suite_.standardSlot(label_);
    if (setName && !o.instanceName.empty()) {
        long r =
            vt().future(drv_, kFoldbackSetInstanceName, const_cast<char*>(o.instanceName.c_str()));
        observe("future(0x7F000001, name)", r != ASE_SUCCESS);
        if (r != ASE_SUCCESS)
            problem_ = "future(0x7F000001, \"" + o.instanceName + "\") returned " + codeName(r);
    }
}

Instance::~Instance() {
    if (drv_ == nullptr || hung_ || released_) return;
    if (state_ == State::R && !stop()) return;
    if (state_ == State::P && !disposeBuffers()) return;
    release();
}

Slot& Instance::freshSlot(SlotSetup setup) {
    slot_ = &acquireSlot();
    setup.driver = drv_;
    slot_->arm(std::move(setup));
    return *slot_;
}

long Instance::createBuffers(ASIOBufferInfo* infos, long count, long size,
                             const ASIOCallbacks* cb) {
    long r = vt().createBuffers(drv_, infos, count, size, cb);
    if (r == ASE_OK) state_ = State::P;
    return r;
}

long Instance::createBuffersOwn(std::vector<ASIOBufferInfo> infos, long size) {
    // A slot of its own: the instance's current slot (maybe streaming) stays in charge
    // unless this call succeeds.
    SlotSetup setup = slotSetup;
    setup.bufferSize = size;
    setup.driver = drv_;
    Slot& slot = acquireSlot();
    slot.arm(std::move(setup));
    ASIOCallbacks cb = slot.callbacks();
    long r = vt().createBuffers(drv_, infos.data(), long(infos.size()), size, &cb);
    if (r != ASE_OK) {
        slot.markClosed();
        return r;
    }
    if (slot_ != nullptr) slot_->markClosed();
    slot_ = &slot;
    if (state_ < State::P) state_ = State::P;
    return r;
}

bool Instance::bringTo(State target) {
    if (!ok()) return false;
    if (!problem_.empty()) return false;
    while (state_ < target) {
        if (state_ == State::L) {
            long r = vt().init(drv_, nullptr);
            observe("init(NULL)", r != ASIOTrue);
            if (r != ASIOTrue) {
                problem_ = "init(NULL) returned " + std::to_string(r) + " (" + lastMessage_ + ")";
                return false;
            }
            state_ = State::I;
        } else if (state_ == State::I) {
            infos_ = suite_.makeInfos(channels);
            SlotSetup setup = slotSetup;
            setup.bufferSize = suite_.facts().bufferSize;
            Slot& slot = freshSlot(setup);
            ASIOCallbacks cb = slot.callbacks();
            if (nullAsioMessage) cb.asioMessage = nullptr;
            long r = createBuffers(infos_.data(), long(infos_.size()), setup.bufferSize, &cb);
            observe("createBuffers", r != ASE_OK);
            if (r != ASE_OK) {
                slot.markClosed();
                problem_ = "createBuffers(" + std::to_string(infos_.size()) + " channels, " +
                           std::to_string(setup.bufferSize) + " frames) returned " + codeName(r) +
                           " (" + lastMessage_ + ")";
                return false;
            }
            std::vector<ASIOSampleType> types;
            for (auto& bi : infos_) {
                const auto& list =
                    bi.isInput ? suite_.facts().inputTypes : suite_.facts().outputTypes;
                types.push_back(bi.channelNum >= 0 && std::size_t(bi.channelNum) < list.size()
                                    ? list[std::size_t(bi.channelNum)]
                                    : ASIOSampleType(-1));
                // Hosts clear both output halves before start (PortAudio, JUCE).
                std::size_t bytes = halfBytes(types.back(), setup.bufferSize);
                for (void* half : bi.buffers) {
                    if (!bi.isInput && half != nullptr && bytes > 0) std::memset(half, 0, bytes);
                }
            }
            slot.setBuffers(infos_, types);
        } else if (state_ == State::P) {
            if (slot_ != nullptr) slot_->reopen();
            long r = vt().start(drv_);
            observe("start", r != ASE_OK);
            if (r != ASE_OK) {
                problem_ = "start returned " + codeName(r) + " (" + lastMessage_ + ")";
                return false;
            }
            state_ = State::R;
            if (!waitSwitches(2, 3.0)) {
                problem_ = "start returned ASE_OK but no buffer switch came within 3 s";
                return false;
            }
        }
    }
    return true;
}

bool Instance::waitSwitches(long long count, double seconds) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (slot_ != nullptr && slot_->switches() < count) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return slot_ != nullptr;
}

// The slot is marked on the calling thread right as the call returns: a callback that
// comes even a moment later counts as late.
std::optional<long> Instance::stop() {
    FoldbackDriver* d = drv_;
    Slot* slot = slot_;
    auto r = timedCall(
        [d, slot] {
            long code = d->lpVtbl->stop(d);
            if (code == ASE_OK && slot != nullptr) slot->markStopped();
            return code;
        },
        suite_.callTimeout());
    if (!r) {
        hung_ = true;
        return r;
    }
    observe("stop", *r != ASE_OK);
    if (*r == ASE_OK && state_ == State::R) state_ = State::P;
    return r;
}

std::optional<long> Instance::disposeBuffers() {
    FoldbackDriver* d = drv_;
    Slot* slot = slot_;
    auto r = timedCall(
        [d, slot] {
            long code = d->lpVtbl->disposeBuffers(d);
            if (code == ASE_OK && slot != nullptr) slot->markClosed();
            return code;
        },
        suite_.callTimeout());
    if (!r) {
        hung_ = true;
        return r;
    }
    observe("disposeBuffers", *r != ASE_OK);
    if (*r == ASE_OK && state_ >= State::P) state_ = State::I;
    return r;
}

std::optional<unsigned long> Instance::release() {
    FoldbackDriver* d = drv_;
    Slot* slot = slot_;
    auto r = timedCall(
        [d, slot] {
            long count = long(d->lpVtbl->release(d));
            if (slot != nullptr) slot->markClosed();
            return count;
        },
        suite_.callTimeout());
    if (!r) {
        hung_ = true;
        return std::nullopt;
    }
    released_ = true;
    return static_cast<unsigned long>(*r);
}

void Instance::rebase() {
    if (drv_ == nullptr || released_) return;
    BoundedText msg = readBounded(drv_->lpVtbl->getErrorMessage, drv_, 124);
    suite_.noteMessage("getErrorMessage", false, msg, msg.text);
    lastMessage_ = msg.text;
}

void Instance::observe(const std::string& call, bool failed) {
    if (drv_ == nullptr || released_) return;
    BoundedText msg = readBounded(drv_->lpVtbl->getErrorMessage, drv_, 124);
    suite_.noteMessage(call, failed, msg, lastMessage_);
    lastMessage_ = msg.text;
}

}  // namespace foldback::conformance::detail
