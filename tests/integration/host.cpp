#include "host.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <utility>

#include "support/registry.hpp"

#ifndef FOLDBACK_ITEST_LOOPBACK_SO
#error "FOLDBACK_ITEST_LOOPBACK_SO must name the loopback driver (see CMakeLists.txt)"
#endif

namespace foldback::itest {

// ---- sandbox ------------------------------------------------------------------------------

const std::string& sandbox() {
    // A child host of the parent test shares the parent's sandbox (and leaves it alone).
    return testsupport::sandbox(
        {.prefix = "foldback-itest-", .adoptEnv = "FOLDBACK_ITEST_SANDBOX"});
}

std::string addInstance(const std::string& name, const std::string& configToml) {
    return testsupport::writeInstance(sandbox(), name, loopbackPath(),
                                      "integration test instance " + name, configToml,
                                      /*writeEmpty=*/false);
}

const char* loopbackPath() {
    return FOLDBACK_ITEST_LOOPBACK_SO;
}

FoldbackInstantiateFn loopbackFactory() {
    static const FoldbackInstantiateFn fn =
        testsupport::loadFactory(loopbackPath(), "the loopback driver");
    return fn;
}

// ---- Driver -------------------------------------------------------------------------------

Driver::Driver(const std::string& instanceName)
    : testsupport::Driver(((void)sandbox(), loopbackFactory()), instanceName) {}

std::string Driver::errorMessage() const {
    // The contract: at most 124 bytes including the NUL. Poison the rest to see overruns.
    char text[256];
    std::memset(text, 0x5a, sizeof text);
    v().getErrorMessage(get(), text);
    const void* nul = std::memchr(text, 0, 124);
    EXPECT_NE(nul, nullptr) << "getErrorMessage wrote no NUL within 124 bytes";
    for (std::size_t i = 124; i < sizeof text; ++i)
        if (text[i] != 0x5a) {
            ADD_FAILURE() << "getErrorMessage wrote beyond 124 bytes";
            break;
        }
    return nul ? std::string(text) : std::string(text, 124);
}

ASIOError Driver::fault(long kind, long value) const {
    FoldbackFault f{kind, value};
    return future(kFoldbackInjectFault, &f);
}

FoldbackCounters Driver::counters() const {
    FoldbackCounters c{};
    const ASIOError r = future(kFoldbackGetCounters, &c);
    if (r != ASE_SUCCESS) {
        ADD_FAILURE() << "future(kFoldbackGetCounters) = " << r << ": " << errorMessage();
        return FoldbackCounters{};
    }
    return c;
}

double Driver::sampleRate() const {
    double rate = 0;
    if (v().getSampleRate(get(), &rate) != ASE_OK) return -1;
    return rate;
}

// ---- trampolines --------------------------------------------------------------------------

namespace {

std::atomic<Host*> gSlots[Host::kSlots];

template <int N>
struct Trampoline {
    static Host* host() noexcept { return gSlots[N].load(std::memory_order_acquire); }
    static void bufferSwitch(long index, ASIOBool direct) {
        if (Host* h = host()) h->onBufferSwitch(index, direct);
    }
    static void sampleRateDidChange(ASIOSampleRate rate) {
        if (Host* h = host()) h->onRateChange(rate);
    }
    static long asioMessage(long selector, long value, void*, double*) {
        Host* h = host();
        return h ? h->onMessage(selector, value) : 0;
    }
    static ASIOTime* bufferSwitchTimeInfo(ASIOTime* t, long index, ASIOBool direct) {
        Host* h = host();
        return h ? h->onTimeInfo(t, index, direct) : nullptr;
    }
};

template <int... N>
constexpr std::array<ASIOCallbacks, sizeof...(N)> makeTable(std::integer_sequence<int, N...>) {
    return {ASIOCallbacks{&Trampoline<N>::bufferSwitch, &Trampoline<N>::sampleRateDidChange,
                          &Trampoline<N>::asioMessage, &Trampoline<N>::bufferSwitchTimeInfo}...};
}

constexpr auto kTable = makeTable(std::make_integer_sequence<int, Host::kSlots>{});

}  // namespace

// ---- Host ---------------------------------------------------------------------------------

Host::Host(HostOptions options) : options_(options) {
    for (int s = 0; s < kSlots; ++s) {
        Host* expected = nullptr;
        if (gSlots[s].compare_exchange_strong(expected, this)) {
            slot_ = s;
            break;
        }
    }
    if (slot_ < 0) throw std::runtime_error("all host slots are taken");
    callbacks_ = kTable[static_cast<std::size_t>(slot_)];
    if (!options_.asioMessage) callbacks_.asioMessage = nullptr;
    if (!options_.timeInfoCallback) callbacks_.bufferSwitchTimeInfo = nullptr;
    records_.resize(options_.capacity);
    messageLog_.resize(kMessageCapacity);
    rates_.resize(kRateCapacity);
}

Host::~Host() {
    gSlots[slot_].store(nullptr, std::memory_order_release);
}

ASIOError Host::createBuffers(const Driver& d, long bufferSize, std::vector<long> inputs,
                              std::vector<long> outputs, bool all) {
    long ins = 0, outs = 0;
    if (d.channels(ins, outs) != ASE_OK) return ASE_NotPresent;
    if (all) {
        inputs.clear();
        outputs.clear();
        for (long c = 0; c < ins; ++c) inputs.push_back(c);
        for (long c = 0; c < outs; ++c) outputs.push_back(c);
    }
    std::vector<ASIOBufferInfo> infos;
    for (long c : inputs) infos.push_back(ASIOBufferInfo{ASIOTrue, c, {nullptr, nullptr}});
    for (long c : outputs) infos.push_back(ASIOBufferInfo{ASIOFalse, c, {nullptr, nullptr}});
    const ASIOError r = d.v().createBuffers(d.get(), infos.data(), static_cast<long>(infos.size()),
                                            bufferSize, &callbacks_);
    if (r != ASE_OK) return r;
    bufferSize_ = bufferSize;
    inHalves_.assign(static_cast<std::size_t>(ins) * 2, nullptr);
    outHalves_.assign(static_cast<std::size_t>(outs) * 2, nullptr);
    for (const auto& b : infos) {
        auto& v = b.isInput ? inHalves_ : outHalves_;
        v[static_cast<std::size_t>(b.channelNum) * 2] = b.buffers[0];
        v[static_cast<std::size_t>(b.channelNum) * 2 + 1] = b.buffers[1];
    }
    ASIOChannelInfo info{};
    info.channel = 0;
    info.isInput = ins > 0 ? ASIOTrue : ASIOFalse;
    if (d.v().getChannelInfo(d.get(), &info) == ASE_OK) sampleType_ = info.type;
    return r;
}

void* Host::half(bool input, long channel, long index) const {
    const auto& v = input ? inHalves_ : outHalves_;
    const std::size_t i = static_cast<std::size_t>(channel) * 2 + static_cast<std::size_t>(index);
    return i < v.size() ? v[i] : nullptr;
}

std::vector<SwitchRecord> Host::records() const {
    const auto n = static_cast<std::size_t>(switches());
    return {records_.begin(),
            records_.begin() + static_cast<std::ptrdiff_t>(std::min(n, records_.size()))};
}

long long Host::messages(long selector) const {
    if (selector <= 0 || selector >= kAsioNumMessageSelectors) return 0;
    return bySelector_[selector].load(std::memory_order_acquire);
}

long long Host::selectorQueries(long selector) const {
    if (selector <= 0 || selector >= kAsioNumMessageSelectors) return 0;
    return queries_[selector].load(std::memory_order_acquire);
}

std::vector<MessageRecord> Host::messageLog() const {
    const auto n = static_cast<std::size_t>(messageCount_.load(std::memory_order_acquire));
    return {messageLog_.begin(),
            messageLog_.begin() + static_cast<std::ptrdiff_t>(std::min(n, messageLog_.size()))};
}

std::vector<double> Host::rateChanges() const {
    const auto n = static_cast<std::size_t>(rateCount_.load(std::memory_order_acquire));
    return {rates_.begin(),
            rates_.begin() + static_cast<std::ptrdiff_t>(std::min(n, rates_.size()))};
}

void Host::clear() {
    switches_.store(0);
    messageCount_.store(0);
    rateCount_.store(0);
    timeInfoQueries_.store(0);
    for (auto& c : bySelector_) c.store(0);
    for (auto& c : queries_) c.store(0);
}

bool Host::waitSwitches(long long n, double timeoutMs) const {
    return testsupport::waitFor([&] { return switches() >= n; }, timeoutMs, 1);
}

void Host::recordSwitch(SwitchRecord& rec, long index, ASIOBool direct) noexcept {
    rec.wallNs = nowNs();
    rec.index = index;
    rec.directProcess = direct;
    rec.thread = pthread_self();
    rec.messagesBefore = messageCount_.load(std::memory_order_relaxed);
    if (driver_) {
        ASIOSamples pos = -1;
        ASIOTimeStamp t = 0;
        rec.spResult = driver_->lpVtbl->getSamplePosition(driver_, &pos, &t);
        rec.spPosition = pos;
        rec.spTime = t;
    }
    if (rec.flavour == Flavour::Plain && rec.spResult == ASE_OK) {
        rec.position = rec.spPosition;
        rec.systemTime = rec.spTime;
    }
    if (hook_) hook_(*this, rec, hookContext_);
    const long long n = switches_.load(std::memory_order_relaxed);
    if (static_cast<std::size_t>(n) < records_.size()) records_[static_cast<std::size_t>(n)] = rec;
    switches_.store(n + 1, std::memory_order_release);
}

void Host::onBufferSwitch(long index, ASIOBool direct) noexcept {
    inCallback_.fetch_add(1, std::memory_order_acq_rel);
    SwitchRecord rec;
    rec.flavour = Flavour::Plain;
    recordSwitch(rec, index, direct);
    inCallback_.fetch_sub(1, std::memory_order_acq_rel);
}

ASIOTime* Host::onTimeInfo(ASIOTime* t, long index, ASIOBool direct) noexcept {
    inCallback_.fetch_add(1, std::memory_order_acq_rel);
    SwitchRecord rec;
    rec.flavour = Flavour::TimeInfo;
    if (t) {
        rec.position = t->timeInfo.samplePosition;
        rec.systemTime = t->timeInfo.systemTime;
        rec.flags = t->timeInfo.flags;
        rec.sampleRate = t->timeInfo.sampleRate;
        rec.speed = t->timeInfo.speed;
    }
    recordSwitch(rec, index, direct);
    inCallback_.fetch_sub(1, std::memory_order_acq_rel);
    return nullptr;  // what real hosts return
}

void Host::onRateChange(ASIOSampleRate rate) noexcept {
    const long long n = rateCount_.load(std::memory_order_relaxed);
    if (static_cast<std::size_t>(n) < rates_.size()) rates_[static_cast<std::size_t>(n)] = rate;
    rateCount_.store(n + 1, std::memory_order_release);
}

long Host::onMessage(long selector, long value) noexcept {
    switch (selector) {
        case kAsioSelectorSupported:
            if (value > 0 && value < kAsioNumMessageSelectors)
                queries_[value].fetch_add(1, std::memory_order_acq_rel);
            switch (value) {
                case kAsioEngineVersion:
                case kAsioLatenciesChanged:
                case kAsioSupportsTimeInfo:
                    return 1;
                case kAsioResetRequest:
                    return options_.reset ? 1 : 0;
                case kAsioResyncRequest:
                    return options_.resync ? 1 : 0;
                case kAsioOverload:
                    return options_.overload ? 1 : 0;
                default:
                    return 0;
            }
        case kAsioSupportsTimeInfo:
            timeInfoQueries_.fetch_add(1, std::memory_order_acq_rel);
            return options_.timeInfo ? 1 : 0;
        case kAsioEngineVersion:
            return 2;
        case kAsioSupportsTimeCode:
            return 0;
        default:
            break;
    }
    if (selector > 0 && selector < kAsioNumMessageSelectors)
        bySelector_[selector].fetch_add(1, std::memory_order_acq_rel);
    const long long n = messageCount_.load(std::memory_order_relaxed);
    if (static_cast<std::size_t>(n) < messageLog_.size()) {
        auto& m = messageLog_[static_cast<std::size_t>(n)];
        m.selector = selector;
        m.value = value;
        m.switchesBefore = switches_.load(std::memory_order_acquire);
        m.wallNs = nowNs();
    }
    messageCount_.store(n + 1, std::memory_order_release);
    return selector == kAsioResetRequest || selector == kAsioResyncRequest ||
                   selector == kAsioLatenciesChanged
               ? 1
               : 0;
}

// ---- helpers ------------------------------------------------------------------------------

std::size_t sampleBytes(ASIOSampleType type) {
    switch (type) {
        case ASIOSTInt16LSB:
        case ASIOSTInt16MSB:
            return 2;
        case ASIOSTInt24LSB:
        case ASIOSTInt24MSB:
            return 3;
        case ASIOSTInt32LSB:
        case ASIOSTInt32MSB:
        case ASIOSTFloat32LSB:
        case ASIOSTFloat32MSB:
        case ASIOSTInt32LSB16:
        case ASIOSTInt32LSB18:
        case ASIOSTInt32LSB20:
        case ASIOSTInt32LSB24:
        case ASIOSTInt32MSB16:
        case ASIOSTInt32MSB18:
        case ASIOSTInt32MSB20:
        case ASIOSTInt32MSB24:
            return 4;
        case ASIOSTFloat64LSB:
        case ASIOSTFloat64MSB:
            return 8;
        default:
            return 0;
    }
}

Continuity continuity(const std::vector<SwitchRecord>& recs, long bufferSize) {
    Continuity c;
    if (!recs.empty() && recs[0].index != 0) ++c.badIndex;
    for (std::size_t i = 1; i < recs.size(); ++i) {
        const auto delta = recs[i].position - recs[i - 1].position;
        if (delta != bufferSize) {
            ++c.jumps;
            c.jumpedFrames += delta - bufferSize;
            if (delta % bufferSize != 0 || delta <= 0) ++c.notWholeBuffers;
        }
        if (recs[i].index != (recs[i - 1].index ^ 1)) ++c.badIndex;
        if (recs[i].systemTime <= recs[i - 1].systemTime) ++c.nonIncreasingTime;
    }
    return c;
}

}  // namespace foldback::itest
