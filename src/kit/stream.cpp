#include "kit/stream.hpp"

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <set>

#include "kit/error.hpp"

namespace foldback::kit {

namespace {

constexpr std::size_t kAlign = 64;

std::size_t roundUp(std::size_t n) {
    return (n + kAlign - 1) / kAlign * kAlign;
}

void freeMemory(std::byte* p) {
    std::free(p);
}

}  // namespace

StreamCore::StreamCore(const Capabilities& caps, const DeviceLayout& layout,
                       const StreamSetup& setup, const ASIOCallbacks& callbacks,
                       bool outputReadyEnabled, bool engineAdapter)
    : callbacks_(callbacks),
      rtChecked_(rtChecked()),
      outputReadyEnabled_(outputReadyEnabled),
      bufferSize_(setup.bufferSize),
      layout_(layout) {
    sampleBytes_ = static_cast<std::uint32_t>(convert::sampleBytes(caps.sampleType));
    if (sampleBytes_ == 0)
        fail(ASE_NotPresent, "sample type {} has no PCM conversion", caps.sampleType);

    // Conversion plan: chosen once, never per sample.
    if (!layout_.asioNative) {
        deinterleave_ = convert::deinterleave(layout_.format, caps.sampleType);
        interleave_ = convert::interleave(caps.sampleType, layout_.format);
        if (!deinterleave_ || !interleave_)
            fail(ASE_NotPresent, "no conversion between device format {} and {}",
                 convert::deviceFormatName(layout_.format),
                 convert::sampleTypeName(caps.sampleType));
    }

    // One block: the channel table (inputs, then outputs), then every active channel's two
    // halves; 64-byte aligned. The period reads the table and the halves it names, so the
    // table shares its page (and its allocation) with the first buffers instead of lying
    // on lines and pages of its own.
    const std::size_t nIn = caps.inputs.size(), nOut = caps.outputs.size();
    const std::size_t tableBytes = roundUp((nIn + nOut) * sizeof(Channel));
    const std::size_t halfBytes = roundUp(static_cast<std::size_t>(bufferSize_) * sampleBytes_);
    std::size_t active = 0;
    for (std::size_t c = 0; c < nIn; ++c) active += setup.activeInputs[c];
    for (std::size_t c = 0; c < nOut; ++c) active += setup.activeOutputs[c];
    memoryBytes_ = std::max<std::size_t>(tableBytes + active * 2 * halfBytes, kAlign);
    auto* raw = static_cast<std::byte*>(std::aligned_alloc(kAlign, memoryBytes_));
    if (!raw) fail(ASE_NoMemory, "cannot allocate {} bytes of audio buffers", memoryBytes_);
    memory_ = {raw, &freeMemory};
    std::memset(raw, 0, memoryBytes_);
    // Lock only the pages we own (never mlockall); failure only costs page-fault risk.
    (void)mlock(raw, memoryBytes_);
    auto* const table = reinterpret_cast<Channel*>(raw);
    std::uninitialized_value_construct_n(table, nIn + nOut);
    inputs_ = {table, nIn};
    outputs_ = {table + nIn, nOut};

    std::byte* next = raw + tableBytes;
    auto assign = [&](std::span<Channel> chans, const std::vector<bool>& act) {
        for (std::size_t c = 0; c < chans.size(); ++c) {
            if (!act[c]) continue;
            chans[c].half[0] = next;
            chans[c].half[1] = next + halfBytes;
            next += 2 * halfBytes;
        }
    };
    assign(inputs_, setup.activeInputs);
    assign(outputs_, setup.activeOutputs);
    for (int i = 0; i < 2; ++i) {
        inDst_[i].resize(inputs_.size());
        outSrc_[i].resize(outputs_.size());
        for (std::size_t c = 0; c < inputs_.size(); ++c) inDst_[i][c] = inputs_[c].half[i];
        for (std::size_t c = 0; c < outputs_.size(); ++c) outSrc_[i][c] = outputs_[c].half[i];
    }

    // Message negotiation (spec §8, §19.7): ask kAsioSelectorSupported before anything.
    if (callbacks_.asioMessage) {
        for (long sel :
             {kAsioEngineVersion, kAsioResetRequest, kAsioBufferSizeChange, kAsioResyncRequest,
              kAsioLatenciesChanged, kAsioSupportsTimeInfo, kAsioOverload}) {
            supports_[sel] =
                callbacks_.asioMessage(kAsioSelectorSupported, sel, nullptr, nullptr) == 1;
        }
        if (supports_[kAsioEngineVersion])
            engineVersion_ = callbacks_.asioMessage(kAsioEngineVersion, 0, nullptr, nullptr);
        if (supports_[kAsioSupportsTimeInfo] && callbacks_.bufferSwitchTimeInfo)
            timeInfoMode_ = callbacks_.asioMessage(kAsioSupportsTimeInfo, 0, nullptr, nullptr) == 1;
    }
    if (engineAdapter && layout_.asioNative && !layout_.interleaved) {
        // Sized for any engine period up to kMaxEnginePeriod; allocated here, never on the
        // audio thread.
        const std::size_t b = static_cast<std::size_t>(bufferSize_);
        const std::size_t e = static_cast<std::size_t>(kMaxEnginePeriod);
        for (auto* r : {&inRing_, &outRing_}) {
            r->bytes = sampleBytes_;
            r->channels = r == &inRing_ ? inputs_.size() : outputs_.size();
            r->capacity = 2 * b + e;
            r->data.assign(r->channels * r->capacity * r->bytes, std::byte{0});
        }
        stage_.assign((inputs_.size() + outputs_.size()) * b * sampleBytes_, std::byte{0});
        for (std::size_t c = 0; c < inputs_.size(); ++c)
            stageIn_.push_back(stage_.data() + c * b * sampleBytes_);
        for (std::size_t c = 0; c < outputs_.size(); ++c)
            stageOut_.push_back(stage_.data() + (inputs_.size() + c) * b * sampleBytes_);
        adapterAllocated_ = true;
    }
    rate_.store(setup.rate, std::memory_order_relaxed);
    time_.timeInfo.speed = 1.0;
    time_.timeCode.speed = 1.0;
}

StreamCore::~StreamCore() {
    disarm();
    if (memory_) (void)munlock(memory_.get(), memoryBytes_);
}

void* StreamCore::half(bool input, long channel, int index) const noexcept {
    const auto& v = input ? inputs_ : outputs_;
    return v[static_cast<std::size_t>(channel)].half[index];
}

bool StreamCore::active(bool input, long channel) const noexcept {
    const auto& v = input ? inputs_ : outputs_;
    return channel >= 0 && static_cast<std::size_t>(channel) < v.size() &&
           v[static_cast<std::size_t>(channel)].active();
}

void StreamCore::arm(double rate) noexcept {
    adapterActive_ = false;
    adapterFrames_ = 0;
    adapterLost_ = 0;
    inRing_.clear();
    outRing_.clear();
    adapterExtraIn_.store(0, std::memory_order_relaxed);
    adapterExtraOut_.store(0, std::memory_order_relaxed);
    index_ = 0;
    position_ = 0;
    first_ = true;
    outputTaken_ = true;
    currentOut_ = nullptr;
    rate_.store(rate, std::memory_order_relaxed);
    pendingRate_.store(0, std::memory_order_relaxed);
    resetSent_.store(false, std::memory_order_relaxed);
    const std::size_t halfBytes = static_cast<std::size_t>(bufferSize_) * sampleBytes_;
    for (auto& ch : inputs_)
        if (ch.active())
            std::memset(ch.half[0], 0, halfBytes), std::memset(ch.half[1], 0, halfBytes);
    seq_.store(0, std::memory_order_relaxed);
    running_.store(false, std::memory_order_relaxed);
    armed_.store(true, std::memory_order_release);
}

void StreamCore::disarm() noexcept {
    armed_.store(false, std::memory_order_seq_cst);
    // A period already inside process() finishes; none starts after this.
    while (inProcess_.load(std::memory_order_seq_cst) != 0) {
        struct timespec ts {
            0, 100'000
        };
        nanosleep(&ts, nullptr);
    }
    running_.store(false, std::memory_order_release);
}

FOLDBACK_COLD long StreamCore::send(long selector, long value) noexcept {
    if (!callbacks_.asioMessage || selector <= 0 || selector >= kAsioNumMessageSelectors ||
        !supports_[selector])
        return 0;
    return callbacks_.asioMessage(selector, value, nullptr, nullptr);
}

inline void StreamCore::takeInput(const DeviceIo& io, int index) noexcept {
    if (!io.in) return;
    if (!layout_.asioNative) return convertInput(io, index);
    const std::size_t bytes = static_cast<std::size_t>(bufferSize_) * sampleBytes_;
    for (std::size_t c = 0; c < inputs_.size(); ++c)
        if (inputs_[c].active() && io.in[c]) copy_(inputs_[c].half[index], io.in[c], bytes);
}

FOLDBACK_OUT_OF_LINE void StreamCore::convertInput(const DeviceIo& io, int index) noexcept {
    const auto frames = static_cast<std::size_t>(bufferSize_);
    if (layout_.interleaved) {
        if (inputs_.empty()) return;  // no device channels: nothing to deinterleave
        deinterleave_(io.in[0], inputs_.size(), inDst_[index].data(), frames);
    } else {
        for (std::size_t c = 0; c < inputs_.size(); ++c)
            if (inputs_[c].active() && io.in[c])
                deinterleave_(io.in[c], 1, &inDst_[index][c], frames);
    }
}

inline void StreamCore::takeOutput(int index) noexcept {
    outputTaken_ = true;
    void* const* out = currentOut_;
    if (!out) return;
    if (!layout_.asioNative) return convertOutput(out, index);
    const std::size_t bytes = static_cast<std::size_t>(bufferSize_) * sampleBytes_;
    for (std::size_t c = 0; c < outputs_.size(); ++c) {
        if (!out[c]) continue;
        if (outputs_[c].active())
            copy_(out[c], outputs_[c].half[index], bytes);
        else
            std::memset(out[c], 0, bytes);
    }
}

FOLDBACK_OUT_OF_LINE void StreamCore::convertOutput(void* const* out, int index) noexcept {
    const auto frames = static_cast<std::size_t>(bufferSize_);
    if (layout_.interleaved) {
        if (outputs_.empty()) return;  // no device channels: nothing to interleave
        interleave_(outSrc_[index].data(), outputs_.size(), out[0], frames);
    } else {
        for (std::size_t c = 0; c < outputs_.size(); ++c)
            if (out[c]) interleave_(&outSrc_[index][c], 1, out[c], frames);
    }
}

inline void StreamCore::latch(std::int64_t position, std::int64_t timeNs) noexcept {
    // Seqlock: readers (getSamplePosition, any thread) retry while the count is odd.
    const auto s = seq_.load(std::memory_order_relaxed);
    seq_.store(s + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    latchedPosition_.store(position, std::memory_order_relaxed);
    latchedTime_.store(timeNs, std::memory_order_relaxed);
    seq_.store(s + 2, std::memory_order_release);
}

bool StreamCore::samplePosition(std::int64_t& position, std::int64_t& timeNs) const noexcept {
    if (!running_.load(std::memory_order_acquire)) return false;
    for (;;) {
        const auto s1 = seq_.load(std::memory_order_acquire);
        if (s1 & 1u) continue;
        position = latchedPosition_.load(std::memory_order_relaxed);
        timeNs = latchedTime_.load(std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_acquire);
        if (seq_.load(std::memory_order_relaxed) == s1) return true;
    }
}

FOLDBACK_COLD unsigned long StreamCore::applyPendingRate() noexcept {
    const double pending = pendingRate_.exchange(0, std::memory_order_acq_rel);
    if (pending <= 0) return 0;
    rate_.store(pending, std::memory_order_relaxed);
    if (callbacks_.sampleRateDidChange) callbacks_.sampleRateDidChange(pending);
    return kSampleRateChanged;
}

FOLDBACK_HOT void KitContext::process(const DeviceIo& io, long frames, std::int64_t timeNs,
                                      long framesDelta) noexcept {
    if (StreamCore* c = engineCore_) c->processEngine(io, frames, timeNs, framesDelta);
}

FOLDBACK_HOT void StreamCore::process(const DeviceIo& io, std::int64_t timeNs) noexcept {
    inProcess_.fetch_add(1, std::memory_order_seq_cst);
    if (!armed_.load(std::memory_order_seq_cst)) [[unlikely]] {
        inProcess_.fetch_sub(1, std::memory_order_release);
        return;
    }
    {
        RtScope scope(rtChecked_);
        const int i = index_;
        first_ = false;
        // The device hands over what it has; a virtual device has silence in its delay
        // lines at the first switch, as spec §9.1 expects of hardware.
        takeInput(io, i);

        // A plain load first: nothing is pending in nearly every period, and a load costs
        // less than an exchange (a locked instruction).
        const unsigned long changed =
            pendingRate_.load(std::memory_order_relaxed) > 0 ? applyPendingRate() : 0;

        latch(position_, timeNs);
        running_.store(true, std::memory_order_release);
        currentOut_ = io.out;
        outputTaken_ = false;
        // Only outputReady needs to know the switch's thread (a call into libc a period).
        if (outputReadyEnabled_) {
            callbackThread_.store(pthread_self(), std::memory_order_relaxed);
            inCallback_.store(true, std::memory_order_release);
        }
        if (timeInfoMode_) {
            auto& ti = time_.timeInfo;
            ti.samplePosition = position_;
            ti.systemTime = timeNs;
            ti.sampleRate = rate_.load(std::memory_order_relaxed);
            // speed stays the constructor's 1.0 (a double constant here would be a load
            // from the module's read-only data, one more page a period; kit/hot.hpp).
            ti.flags =
                kSystemTimeValid | kSamplePositionValid | kSampleRateValid | kSpeedValid | changed;
            callbacks_.bufferSwitchTimeInfo(&time_, i, ASIOTrue);
        } else {
            callbacks_.bufferSwitch(i, ASIOTrue);
        }
        if (outputReadyEnabled_) inCallback_.store(false, std::memory_order_release);
        if (!outputTaken_) takeOutput(i);
        currentOut_ = nullptr;
        index_ = i ^ 1;
        position_ += bufferSize_;
        // This thread is the only writer: a load and a store, no locked instruction.
        switches_.store(switches_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }
    inProcess_.fetch_sub(1, std::memory_order_release);
}

FOLDBACK_OUT_OF_LINE void StreamCore::processEngineSlow(const DeviceIo& io, long frames,
                                                        std::int64_t timeNs,
                                                        long framesDelta) noexcept {
    if (!first_ && framesDelta > (adapterActive_ ? adapterFrames_ : bufferSize_)) {
        // The engine lost frames (an xrun): the position jumps by whole buffers.
        const long expected = adapterActive_ ? adapterFrames_ : bufferSize_;
        if (adapterActive_) {
            // The rings hold audio that was delivered (input) or made (output): it stays,
            // and so does their alignment (a cycle that never ran moved neither). The lost
            // frames move the position at the next switch, in whole buffers, one resync
            // per jump; less than a buffer carries over to the next loss.
            overload();
            adapterLost_ += framesDelta - expected;
        } else {
            const long lost = (framesDelta - expected + bufferSize_ / 2) / bufferSize_;
            skipPeriods(std::max(1L, lost));
        }
    }
    if (frames == bufferSize_ && !adapterActive_) {
        process(io, timeNs);
        return;
    }
    if (!adapterAllocated_ || frames <= 0 || frames > kMaxEnginePeriod) {
        // Nothing sensible to give the host: the engine hears silence, the host an overload.
        overload();
        if (io.out)
            for (std::size_t c = 0; c < outputs_.size(); ++c)
                if (io.out[c])
                    std::memset(io.out[c], 0, static_cast<std::size_t>(frames) * sampleBytes_);
        return;
    }
    if (frames == bufferSize_ && outRing_.level == 0 && inRing_.level == 0) {
        // Back at the host's size with nothing buffered: leave the adapter.
        adapterActive_ = false;
        if (adapterLost_ >= bufferSize_) jump(adapterLost_ / bufferSize_);
        adapterLost_ = 0;
        adapterExtraIn_.store(0, std::memory_order_relaxed);
        adapterExtraOut_.store(0, std::memory_order_relaxed);
        latenciesChanged();
        process(io, timeNs);
        return;
    }
    if (!adapterActive_ || frames != adapterFrames_) {
        adapterReset(frames);
        latenciesChanged();
    }
    adapterRun(io, frames, timeNs);
}

static long gcd(long a, long b) {
    while (b) {
        const long t = a % b;
        a = b;
        b = t;
    }
    return a;
}

void StreamCore::adapterReset(long engineFrames) noexcept {
    adapterActive_ = true;
    adapterFrames_ = engineFrames;
    inRing_.clear();
    outRing_.clear();
    // Output pre-fill: the least that never lets the engine's pull run dry, B - gcd(B, E)
    // frames (docs/timing.md). The input side waits for B frames: the same amount, so the
    // round trip grows by B - gcd(B, E) and is reported on the input side.
    const long prefill = bufferSize_ - gcd(bufferSize_, engineFrames);
    outRing_.push(nullptr, static_cast<std::size_t>(prefill));
    adapterExtraIn_.store(prefill, std::memory_order_relaxed);
    adapterExtraOut_.store(0, std::memory_order_relaxed);
}

void StreamCore::adapterRun(const DeviceIo& io, long frames, std::int64_t timeNs) noexcept {
    const auto n = static_cast<std::size_t>(frames);
    const auto b = static_cast<std::size_t>(bufferSize_);
    if (inRing_.level == 0) adapterTimeNs_ = timeNs;
    inRing_.push(io.in, n);
    const double rate = rate_.load(std::memory_order_relaxed);
    while (inRing_.level >= b) {
        if (adapterLost_ >= bufferSize_) {
            const long periods = adapterLost_ / bufferSize_;
            jump(periods);
            adapterLost_ %= bufferSize_;
            adapterTimeNs_ +=
                static_cast<std::int64_t>(static_cast<double>(periods * bufferSize_) * 1e9 / rate);
        }
        inRing_.pop(stageIn_.data(), b);
        const DeviceIo staged{stageIn_.data(), stageOut_.data()};
        process(staged, adapterTimeNs_);
        outRing_.push(stageOut_.data(), b);
        adapterTimeNs_ += static_cast<std::int64_t>(static_cast<double>(bufferSize_) * 1e9 / rate);
    }
    if (outRing_.level < n) {
        overload();  // cannot happen with the pre-fill; guard anyway
        outRing_.push(nullptr, n - outRing_.level);
    }
    outRing_.pop(io.out, n);
}

void StreamCore::Ring::push(const void* const* src, std::size_t frames) noexcept {
    std::size_t write = (read + level) % capacity;
    std::size_t done = 0;
    while (done < frames) {
        const std::size_t chunk = std::min(frames - done, capacity - write);
        for (std::size_t c = 0; c < channels; ++c) {
            std::byte* dst = channel(c) + write * bytes;
            if (src && src[c])
                std::memcpy(dst, static_cast<const std::byte*>(src[c]) + done * bytes,
                            chunk * bytes);
            else
                std::memset(dst, 0, chunk * bytes);
        }
        done += chunk;
        write = (write + chunk) % capacity;
    }
    level += frames;
}

void StreamCore::Ring::pop(void* const* dst, std::size_t frames) noexcept {
    std::size_t done = 0;
    while (done < frames) {
        const std::size_t chunk = std::min(frames - done, capacity - read);
        for (std::size_t c = 0; c < channels; ++c)
            if (dst && dst[c])
                std::memcpy(static_cast<std::byte*>(dst[c]) + done * bytes,
                            channel(c) + read * bytes, chunk * bytes);
        done += chunk;
        read = (read + chunk) % capacity;
    }
    level -= frames;
}

FOLDBACK_COLD void StreamCore::skipPeriods(long periods) noexcept {
    if (periods <= 0) return;
    counters_.overloads.fetch_add(1, std::memory_order_relaxed);
    send(kAsioOverload);
    jump(periods);
}

FOLDBACK_COLD void StreamCore::jump(long periods) noexcept {
    position_ += periods * bufferSize_;
    counters_.skippedFrames.fetch_add(periods * bufferSize_, std::memory_order_relaxed);
    counters_.resyncs.fetch_add(1, std::memory_order_relaxed);
    send(kAsioResyncRequest);
}

FOLDBACK_COLD void StreamCore::latePeriods(long periods) noexcept {
    if (periods <= 0) return;
    counters_.latePeriods.fetch_add(periods, std::memory_order_relaxed);
    overload();
}

FOLDBACK_COLD void StreamCore::overload() noexcept {
    counters_.overloads.fetch_add(1, std::memory_order_relaxed);
    send(kAsioOverload);
}

FOLDBACK_COLD void StreamCore::resetRequest() noexcept {
    if (resetSent_.exchange(true, std::memory_order_acq_rel)) return;
    counters_.resets.fetch_add(1, std::memory_order_relaxed);
    send(kAsioResetRequest);
}

void StreamCore::rateChanged(double rate) noexcept {
    pendingRate_.store(rate, std::memory_order_release);
}

void StreamCore::rateChangedNow(double rate) noexcept {
    rate_.store(rate, std::memory_order_relaxed);
    if (callbacks_.sampleRateDidChange) callbacks_.sampleRateDidChange(rate);
}

void StreamCore::latenciesChanged() noexcept {
    send(kAsioLatenciesChanged);
}

void StreamCore::bufferSizeChanged(long frames) noexcept {
    // kAsioBufferSizeChange where the host takes it (1 = it re-creates its buffers), else a
    // reset request; meanwhile the adapter keeps the switch at the created size.
    if (send(kAsioBufferSizeChange, frames) != 1) resetRequest();
}

FOLDBACK_HOT bool StreamCore::outputReadyFromHost() noexcept {
    // Honoured only from inside the switch, on the thread that runs it: a host calling
    // from elsewhere cannot make us read a half it may still be writing.
    if (!inCallback_.load(std::memory_order_acquire) ||
        !pthread_equal(callbackThread_.load(std::memory_order_relaxed), pthread_self()))
        return false;
    if (!outputTaken_) takeOutput(index_);
    return true;
}

FoldbackCounters StreamCore::counters() const noexcept {
    FoldbackCounters c{};
    c.switches = switches_.load(std::memory_order_relaxed);
    c.overloads = counters_.overloads.load(std::memory_order_relaxed);
    c.resyncs = counters_.resyncs.load(std::memory_order_relaxed);
    c.skippedFrames = counters_.skippedFrames.load(std::memory_order_relaxed);
    c.latePeriods = counters_.latePeriods.load(std::memory_order_relaxed);
    c.resets = counters_.resets.load(std::memory_order_relaxed);
    return c;
}

}  // namespace foldback::kit
