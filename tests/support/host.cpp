#include "support/host.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "support/clock.hpp"

namespace foldback::testsupport {

namespace {

std::atomic<Host*> gHost{nullptr};

void cbSwitch(long index, ASIOBool) {
    Host* h = gHost.load(std::memory_order_acquire);
    if (!h) return;
    ASIOSamples pos = -1;
    ASIOTimeStamp stamp = 0;
    if (!h->driver || h->driver->lpVtbl->getSamplePosition(h->driver, &pos, &stamp) != ASE_OK)
        pos = -1;
    h->onSwitch(index, pos, stamp);
}

ASIOTime* cbTimeInfo(ASIOTime* t, long index, ASIOBool) {
    if (Host* h = gHost.load(std::memory_order_acquire))
        h->onSwitch(index, t->timeInfo.samplePosition, t->timeInfo.systemTime);
    return t;
}

void cbRate(ASIOSampleRate rate) {
    if (Host* h = gHost.load(std::memory_order_acquire)) h->onRate(rate);
}

long cbMessage(long selector, long value, void*, double*) {
    Host* h = gHost.load(std::memory_order_acquire);
    return h ? h->onMessage(selector, value) : 0;
}

// The first min(count, capacity) entries of a record buffer.
template <typename T>
std::vector<T> written(const std::vector<T>& buffer, long long count) {
    const auto n =
        static_cast<std::size_t>(std::min<long long>(count, static_cast<long long>(buffer.size())));
    return {buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n)};
}

}  // namespace

Host::Host(HostOptions options) : options_(options) {
    records_.resize(options_.capacity);
    messageLog_.resize(kMessages);
    rates_.resize(kRates);
    trips_.resize(kTrips);
}

Host::~Host() {
    Host* self = this;
    gHost.compare_exchange_strong(self, nullptr);
}

ASIOError Host::createBuffers(const Driver& d, long size, long in, long out) {
    long ins = 0, outs = 0;
    if (ASIOError r = d.channels(ins, outs); r != ASE_OK) return r;
    if (in >= 0) ins = std::min(in, ins);
    if (out >= 0) outs = std::min(out, outs);
    if (size == 0) {
        long mn = 0, mx = 0, pref = 0, gran = 0;
        if (ASIOError r = d.bufferSize(mn, mx, pref, gran); r != ASE_OK) return r;
        size = pref;
    }
    std::vector<ASIOBufferInfo> infos;
    for (long i = 0; i < ins; ++i) infos.push_back({ASIOTrue, i, {nullptr, nullptr}});
    for (long o = 0; o < outs; ++o) infos.push_back({ASIOFalse, o, {nullptr, nullptr}});
    static ASIOCallbacks withTimeInfo{&cbSwitch, &cbRate, &cbMessage, &cbTimeInfo};
    static ASIOCallbacks plain{&cbSwitch, &cbRate, &cbMessage, nullptr};
    driver = d.get();
    gHost.store(this, std::memory_order_release);
    const ASIOError r = d.v().createBuffers(d.get(), infos.data(), static_cast<long>(infos.size()),
                                            size, options_.timeInfo ? &withTimeInfo : &plain);
    if (r != ASE_OK) return r;
    bufferSize_ = size;
    inputs_ = ins;
    outputs_ = outs;
    for (int h = 0; h < 2; ++h) {
        in_[h].assign(static_cast<std::size_t>(ins), nullptr);
        out_[h].assign(static_cast<std::size_t>(outs), nullptr);
    }
    for (const auto& info : infos)
        for (int h = 0; h < 2; ++h)
            (info.isInput ? in_[h] : out_[h])[static_cast<std::size_t>(info.channelNum)] =
                info.buffers[h];
    pendingAt_ = -1;
    return r;
}

bool Host::waitSwitches(long long n, double timeoutMs) const {
    return waitFor([&] { return switches() >= n; }, timeoutMs);
}

bool Host::waitMessage(long selector, double timeoutMs) const {
    return waitFor([&] { return messages(selector) != 0; }, timeoutMs);
}

std::vector<SwitchRecord> Host::records() const {
    return written(records_, switches());
}

std::vector<MessageRecord> Host::messageLog() const {
    return written(messageLog_, messageCount_.load());
}

std::vector<double> Host::rateChanges() const {
    return written(rates_, rateCount_.load());
}

std::vector<long> Host::roundTrips() const {
    return written(trips_, tripCount_.load());
}

void Host::clear() {
    switches_.store(0);
    messageCount_.store(0);
    for (auto& c : bySelector_) c.store(0);
    rateCount_.store(0);
    tripCount_.store(0);
    pendingAt_ = -1;
    lastPosition_ = -1;
}

void Host::onSwitch(long index, std::int64_t position, std::int64_t systemTime) noexcept {
    const long long n = switches_.load(std::memory_order_relaxed);
    if (n == 0) audioThread_.store(pthread_self());
    if (static_cast<std::size_t>(n) < records_.size()) {
        auto& r = records_[static_cast<std::size_t>(n)];
        r.position = position;
        r.systemTime = systemTime;
        r.wallNs = nowNs();
        r.index = index;
    }
    const auto i = static_cast<std::size_t>(index & 1);
    const auto frames = static_cast<std::size_t>(bufferSize_);
    for (long o = 0; o < outputs_; ++o) {
        auto* dst = static_cast<float*>(out_[i][static_cast<std::size_t>(o)]);
        if (options_.copyThrough && o < inputs_)
            std::memcpy(dst, in_[i][static_cast<std::size_t>(o)], frames * sizeof(float));
        else
            std::memset(dst, 0, frames * sizeof(float));
    }
    if (options_.loopOut >= 0 && options_.loopIn >= 0 && options_.loopOut < outputs_ &&
        options_.loopIn < inputs_ && position >= 0)
        probeLoop(i, n, position);
    if (n == options_.stallAt) {
        const std::int64_t until = nowNs() + static_cast<std::int64_t>(options_.stallMs * 1e6);
        while (nowNs() < until) {
        }
    }
    switches_.store(n + 1, std::memory_order_release);
}

void Host::probeLoop(std::size_t half, long long n, std::int64_t position) noexcept {
    const auto frames = static_cast<std::size_t>(bufferSize_);
    const auto* in =
        static_cast<const float*>(in_[half][static_cast<std::size_t>(options_.loopIn)]);
    if (options_.dropOnJump && pendingAt_ >= 0 && lastPosition_ >= 0 &&
        position != lastPosition_ + bufferSize_)
        pendingAt_ = -1;
    lastPosition_ = position;
    if (pendingAt_ >= 0) {
        for (std::size_t k = 0; k < frames; ++k) {
            if (in[k] > 0.5f) {
                const long long t = tripCount_.load(std::memory_order_relaxed);
                if (static_cast<std::size_t>(t) < kTrips)
                    trips_[static_cast<std::size_t>(t)] =
                        static_cast<long>(position + static_cast<std::int64_t>(k) - pendingAt_);
                tripCount_.store(t + 1, std::memory_order_release);
                pendingAt_ = -1;
                break;
            }
        }
        const std::int64_t lostAfter =
            std::max(options_.lostAfterFrames, options_.lostAfterBuffers * bufferSize_);
        if (pendingAt_ >= 0 && position - pendingAt_ > lostAfter) pendingAt_ = -1;
    }
    if (pendingAt_ < 0 && n % options_.impulseEvery == 0) {
        const long offsets[4] = {0, bufferSize_ - 1, bufferSize_ / 2, 7 % bufferSize_};
        const long off = offsets[offsetTurn_++ % 4];
        static_cast<float*>(out_[half][static_cast<std::size_t>(options_.loopOut)])[off] = 1.0f;
        pendingAt_ = position + off;
    }
}

long Host::onMessage(long selector, long value) noexcept {
    switch (selector) {
        case kAsioSelectorSupported:
            switch (value) {
                case kAsioEngineVersion:
                case kAsioResetRequest:
                case kAsioResyncRequest:
                case kAsioLatenciesChanged:
                case kAsioSupportsTimeInfo:
                case kAsioOverload:
                    return 1;
                case kAsioBufferSizeChange:
                    return options_.bufferSizeChange ? 1 : 0;
                default:
                    return 0;
            }
        case kAsioEngineVersion:
            return 2;
        case kAsioSupportsTimeInfo:
            return options_.timeInfo ? 1 : 0;
        default:
            break;
    }
    // Messages come from the audio thread and from the driver's other threads.
    const long long k = messageCount_.fetch_add(1, std::memory_order_acq_rel);
    if (static_cast<std::size_t>(k) < kMessages) {
        auto& m = messageLog_[static_cast<std::size_t>(k)];
        m.selector = selector;
        m.value = value;
        m.switchesBefore = switches_.load(std::memory_order_relaxed);
        m.wallNs = nowNs();
        m.thread = pthread_self();
    }
    if (selector > 0 && selector < kAsioNumMessageSelectors) bySelector_[selector].fetch_add(1);
    if (selector == kAsioBufferSizeChange) return options_.bufferSizeChange ? 1 : 0;
    return 1;
}

void Host::onRate(double rate) noexcept {
    const long long k = rateCount_.load(std::memory_order_relaxed);
    if (static_cast<std::size_t>(k) < kRates) rates_[static_cast<std::size_t>(k)] = rate;
    rateCount_.store(k + 1, std::memory_order_release);
}

int countingCreator(void* context, pthread_t* thread, void* (*fn)(void*), void* arg) {
    auto* log = static_cast<CreatorLog*>(context);
    const int r = pthread_create(thread, nullptr, fn, arg);
    if (r == 0) {
        log->calls.fetch_add(1);
        log->last.store(*thread);
    }
    return r;
}

void startStream(const Driver& d, Host& h, long size) {
    ASSERT_EQ(d.nameResult(), ASE_SUCCESS);
    ASSERT_EQ(d.init(), ASIOTrue) << d.errorMessage();
    ASSERT_EQ(h.createBuffers(d, size), ASE_OK) << d.errorMessage();
    ASSERT_EQ(d.start(), ASE_OK) << d.errorMessage();
    ASSERT_TRUE(h.waitSwitches(20)) << "no switches";
}

long long positionJumps(const std::vector<SwitchRecord>& recs, long size) {
    long long jumps = 0;
    for (std::size_t i = 1; i < recs.size(); ++i)
        if (recs[i].position - recs[i - 1].position != size) ++jumps;
    return jumps;
}

void checkSteadyStream(const Driver& d, Host& h, long size, double rate, double periodTolerance,
                       SteadyStream& out, int ms) {
    const std::int64_t t0 = nowNs();
    const long long s0 = h.switches();
    sleepMs(ms);
    out.seconds = static_cast<double>(nowNs() - t0) / 1e9;
    out.switches = h.switches() - s0;
    ASSERT_EQ(d.stop(), ASE_OK);
    out.counters = d.counters();
    const FoldbackCounters& c = out.counters;
    out.recs = h.records();
    const auto& recs = out.recs;
    ASSERT_GT(recs.size(), 100u);

    const double period = static_cast<double>(size) / rate;
    EXPECT_GE(static_cast<double>(out.switches), 0.9 * out.seconds / period)
        << out.switches << " switches in " << out.seconds << " s";
    EXPECT_EQ(recs[0].position, 0);
    EXPECT_EQ(positionJumps(recs, size), c.resyncs);
    EXPECT_EQ(h.messages(kAsioResyncRequest), c.resyncs);
    long long badIndex = 0, notIncreasing = 0, wholeMs = 0;
    out.lag.clear();
    for (std::size_t i = 0; i < recs.size(); ++i) {
        if (recs[i].index != static_cast<long>(i % 2)) ++badIndex;
        if (i > 0 && recs[i].systemTime <= recs[i - 1].systemTime) ++notIncreasing;
        wholeMs += recs[i].systemTime % 1'000'000 == 0;
        out.lag.push_back(recs[i].wallNs - recs[i].systemTime);
    }
    std::sort(out.lag.begin(), out.lag.end());
    EXPECT_EQ(badIndex, 0);
    EXPECT_EQ(notIncreasing, 0);
    EXPECT_LT(wholeMs, static_cast<long long>(recs.size()) / 10) << "millisecond time stamps";
    const double perSwitch = static_cast<double>(recs.back().systemTime - recs.front().systemTime) /
                             static_cast<double>(recs.back().position - recs.front().position) *
                             static_cast<double>(size);
    EXPECT_NEAR(perSwitch, period * 1e9, period * 1e9 * periodTolerance);
    EXPECT_EQ(h.messages(kAsioOverload), c.overloads);
    EXPECT_EQ(c.switches, h.switches());
    const long long after = h.switches();
    sleepMs(30);
    EXPECT_EQ(h.switches(), after) << "a switch after stop returned";
}

}  // namespace foldback::testsupport
