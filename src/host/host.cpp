// The C++ host API (include/foldback/host.hpp): Driver, Stream, per-stream trampolines and
// the float layer.
#include <dlfcn.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <utility>

#include "common/asio_names.hpp"
#include "convert/convert.hpp"
#include "foldback/host.hpp"
#include "host/loader.hpp"

namespace foldback {

const char* errorName(ASIOError code) noexcept {
    return asioErrorName(code);
}

std::vector<long> BufferSizes::allowed(long limit) const {
    std::vector<long> out;
    if (granularity == -1) {
        for (long s = 1; s <= max && static_cast<long>(out.size()) < limit; s *= 2)
            if (s >= min) out.push_back(s);
    } else if (granularity <= 0 || min == max) {
        out.push_back(preferred);
    } else {
        for (long s = min; s <= max && static_cast<long>(out.size()) < limit; s += granularity)
            out.push_back(s);
    }
    return out;
}

bool BufferSizes::accepts(long size) const noexcept {
    if (size < min || size > max) return false;
    if (granularity == -1) return (size & (size - 1)) == 0;
    if (granularity <= 0) return size == preferred;
    return (size - min) % granularity == 0;
}

// ---- Driver ------------------------------------------------------------------------------

struct Driver::State {
    FoldbackDriver* raw = nullptr;
    std::shared_ptr<void> library;
    std::string name;
    bool outputReady = false;
    bool streamOpen = false;

    ~State() {
        if (raw) raw->lpVtbl->release(raw);  // the driver stops and disposes itself
        raw = nullptr;
        library.reset();  // dlclose after the last instance is gone
    }
    std::string errorText() const {
        char text[128] = {};
        raw->lpVtbl->getErrorMessage(raw, text);
        text[sizeof text - 1] = '\0';
        return text;
    }
    void check(ASIOError r, const char* call) const {
        if (r == ASE_OK) return;
        throw HostError(fmt::format("{}: {}: {} ({})", name, call, errorText(), errorName(r)), r);
    }
};

Driver::Driver(std::shared_ptr<State> s) : s_(std::move(s)) {}
Driver::Driver(Driver&&) noexcept = default;
Driver& Driver::operator=(Driver&&) noexcept = default;
Driver::~Driver() = default;

Driver Driver::load(std::string_view instanceName) {
    host::RawInstance inst;
    try {
        inst = host::loadInstance(instanceName);
    } catch (const host::LoadError& e) {
        throw HostError(e.what(), ASE_NotPresent);
    }
    return adopt(inst.driver, inst.library, std::string(instanceName));
}

Driver Driver::adopt(FoldbackDriver* raw, std::shared_ptr<void> library, std::string name) {
    auto s = std::make_shared<State>();
    s->raw = raw;
    s->library = std::move(library);
    s->name = std::move(name);
    if (raw->lpVtbl->init(raw, nullptr) != ASIOTrue)
        throw HostError(fmt::format("{}: init failed: {}", s->name, s->errorText()),
                        ASE_NotPresent);
    // Hosts probe outputReady once, before createBuffers (spec §9.3).
    s->outputReady = raw->lpVtbl->outputReady(raw) == ASE_OK;
    return Driver(std::move(s));
}

const std::string& Driver::instanceName() const noexcept {
    return s_->name;
}
FoldbackDriver* Driver::raw() const noexcept {
    return s_->raw;
}

std::string Driver::driverName() const {
    char name[64] = {};
    s_->raw->lpVtbl->getDriverName(s_->raw, name);
    name[31] = '\0';
    return name;
}
long Driver::driverVersion() const {
    return s_->raw->lpVtbl->getDriverVersion(s_->raw);
}

long Driver::inputCount() const {
    long in = 0, out = 0;
    s_->check(s_->raw->lpVtbl->getChannels(s_->raw, &in, &out), "getChannels");
    return in;
}
long Driver::outputCount() const {
    long in = 0, out = 0;
    s_->check(s_->raw->lpVtbl->getChannels(s_->raw, &in, &out), "getChannels");
    return out;
}

std::vector<ChannelInfo> Driver::channels(bool input) const {
    std::vector<ChannelInfo> out;
    const long n = input ? inputCount() : outputCount();
    for (long c = 0; c < n; ++c) {
        ASIOChannelInfo info{};
        info.channel = c;
        info.isInput = input ? ASIOTrue : ASIOFalse;
        s_->check(s_->raw->lpVtbl->getChannelInfo(s_->raw, &info), "getChannelInfo");
        info.name[sizeof info.name - 1] = '\0';
        out.push_back(
            {c, input, info.isActive == ASIOTrue, info.channelGroup, info.type, info.name});
    }
    return out;
}

BufferSizes Driver::bufferSizes() const {
    BufferSizes b;
    s_->check(s_->raw->lpVtbl->getBufferSize(s_->raw, &b.min, &b.max, &b.preferred, &b.granularity),
              "getBufferSize");
    return b;
}

double Driver::sampleRate() const {
    double r = 0;
    s_->check(s_->raw->lpVtbl->getSampleRate(s_->raw, &r), "getSampleRate");
    return r;
}
bool Driver::canSampleRate(double rate) const {
    return s_->raw->lpVtbl->canSampleRate(s_->raw, rate) == ASE_OK;
}
void Driver::setSampleRate(double rate) {
    s_->check(s_->raw->lpVtbl->setSampleRate(s_->raw, rate), "setSampleRate");
}
std::vector<double> Driver::supportedRates(std::span<const double> candidates) const {
    std::vector<double> out;
    for (double r : candidates)
        if (canSampleRate(r)) out.push_back(r);
    return out;
}
Latencies Driver::latencies() const {
    Latencies l;
    s_->check(s_->raw->lpVtbl->getLatencies(s_->raw, &l.input, &l.output), "getLatencies");
    return l;
}
std::vector<ClockSource> Driver::clockSources() const {
    std::array<ASIOClockSource, 32> arr{};
    long n = static_cast<long>(arr.size());
    s_->check(s_->raw->lpVtbl->getClockSources(s_->raw, arr.data(), &n), "getClockSources");
    std::vector<ClockSource> out;
    for (long i = 0; i < n && i < static_cast<long>(arr.size()); ++i) {
        arr[static_cast<std::size_t>(i)].name[31] = '\0';
        out.push_back({arr[static_cast<std::size_t>(i)].index,
                       arr[static_cast<std::size_t>(i)].isCurrentSource == ASIOTrue,
                       arr[static_cast<std::size_t>(i)].name});
    }
    return out;
}
bool Driver::outputReadySupported() const {
    return s_->outputReady;
}
bool Driver::supportsTimeInfo() const {
    return s_->raw->lpVtbl->future(s_->raw, kAsioCanTimeInfo, nullptr) == ASE_SUCCESS;
}
bool Driver::canReportOverload() const {
    return s_->raw->lpVtbl->future(s_->raw, kAsioCanReportOverload, nullptr) == ASE_SUCCESS;
}

// ---- Stream ------------------------------------------------------------------------------

namespace {

struct RtHooks {
    void (*enter)() = nullptr;
    void (*leave)() = nullptr;
};
const RtHooks& rtHooks() {
    static const RtHooks hooks = [] {
        RtHooks h;
        h.enter = reinterpret_cast<void (*)()>(dlsym(RTLD_DEFAULT, "foldback_rtcheck_enter"));
        h.leave = reinterpret_cast<void (*)()>(dlsym(RTLD_DEFAULT, "foldback_rtcheck_leave"));
        if (!h.enter || !h.leave) h = {};
        return h;
    }();
    return hooks;
}

}  // namespace

struct alignas(64) Stream::Impl {
    // What every period reads comes first: the object is 64-byte aligned and these fill its
    // first cache line (src/kit/hot.hpp).
    FloatHandler* floatHandler = nullptr;
    long frames = 0;
    bool zeroCopy = false;
    bool callOutputReady = false;
    bool rtChecked = false;  // the RT-safety interposer's hooks are there
    std::uint32_t nin = 0, nout = 0;
    float* const* floats[2] = {};  // per half: the handler's inputs, then its outputs
    std::atomic<long long> periods{0};
    const float* const* fin(long h) const noexcept {
        return reinterpret_cast<const float* const*>(floats[h]);  // similar types
    }
    float* const* fout(long h) const noexcept { return floats[h] + nin; }
    FloatHandler::Block block(long h, std::int64_t position, std::int64_t timeNs) const noexcept {
        return {{fin(h), nin}, {fout(h), nout}, frames, position, timeNs};
    }

    std::shared_ptr<Driver::State> driver;
    Handler* handler = nullptr;
    Request request;
    int slot = -1;
    ASIOCallbacks callbacks{};
    std::vector<ASIOBufferInfo> infos;
    ASIOSampleType type = ASIOSTFloat32LSB;
    std::vector<void*> in[2], out[2];
    // Float layer, planned once.
    convert::ToFloatFn toFloat = nullptr;
    convert::FromFloatFn fromFloat = nullptr;
    std::vector<float> scratch;
    struct FreeTable {
        void operator()(float** p) const noexcept { std::free(p); }
    };
    std::unique_ptr<float*, FreeTable> floatTable;  // floats[0], then floats[1]; 64-byte aligned
    bool timeInfo = false;
    bool running = false;

    std::atomic<long long> overloads{0}, resyncs{0}, resets{0}, latencyChanges{0}, rateChanges{0},
        bufferSizeChanges{0};
    std::atomic<double> lastRate{0};
    std::atomic<bool> resetRequested{false};

    ~Impl();
    // Inlined into switchTimeInfo (one function for every slot), and into bufferSwitch.
    [[gnu::always_inline]] inline void period(long index, std::int64_t position,
                                              std::int64_t timeNs) noexcept;
    void periodConverted(long index, std::int64_t position, std::int64_t timeNs) noexcept;
    long message(long selector, long value) noexcept;
    void rateChanged(double rate) noexcept;
};

namespace {

std::mutex gSlotsMutex;
std::array<std::atomic<Stream::Impl*>, Stream::kMaxStreams> gSlots{};

// The period of the stream in `slot`, for every slot: one body, so a host running several
// streams runs the same lines of code for each (src/kit/hot.hpp), and each slot's entry
// below is a jump into it. The body (about 320 bytes) and the 16 entries after it (16
// bytes each) start a 1 KiB block, so they never straddle two pages of the host's code.
[[gnu::hot, gnu::noinline, gnu::aligned(1024)]] ASIOTime* switchTimeInfo(ASIOTime* time, long index,
                                                                         int slot) {
    if (auto* s = gSlots[static_cast<std::size_t>(slot)].load(std::memory_order_acquire))
        s->period(index, time ? time->timeInfo.samplePosition : -1,
                  time ? time->timeInfo.systemTime : -1);
    return nullptr;
}

template <int N>
struct Trampoline {
    static Stream::Impl* impl() { return gSlots[N].load(std::memory_order_acquire); }
    static void bufferSwitch(long index, ASIOBool) {
        if (auto* s = impl()) {
            ASIOSamples pos = 0;
            ASIOTimeStamp t = 0;
            // An ASIO 1 style driver: ask for the block's position (cheap, lock-free).
            if (s->driver->raw->lpVtbl->getSamplePosition(s->driver->raw, &pos, &t) != ASE_OK)
                pos = t = -1;
            s->period(index, pos, t);
        }
    }
    [[gnu::hot]] static ASIOTime* bufferSwitchTimeInfo(ASIOTime* time, long index, ASIOBool) {
        return switchTimeInfo(time, index, N);
    }
    static void sampleRateDidChange(ASIOSampleRate rate) {
        if (auto* s = impl()) s->rateChanged(rate);
    }
    static long asioMessage(long selector, long value, void*, double*) {
        auto* s = impl();
        return s ? s->message(selector, value) : 0;
    }
};

template <int... N>
constexpr std::array<ASIOCallbacks, sizeof...(N)> makeTable(std::integer_sequence<int, N...>) {
    return {ASIOCallbacks{&Trampoline<N>::bufferSwitch, &Trampoline<N>::sampleRateDidChange,
                          &Trampoline<N>::asioMessage, &Trampoline<N>::bufferSwitchTimeInfo}...};
}
const auto kTrampolines = makeTable(std::make_integer_sequence<int, Stream::kMaxStreams>{});

}  // namespace

Stream::Impl::~Impl() {
    if (slot >= 0) {
        std::lock_guard<std::mutex> lock(gSlotsMutex);
        gSlots[static_cast<std::size_t>(slot)].store(nullptr, std::memory_order_release);
    }
}

// The period's path is kept in few lines of code (src/kit/hot.hpp says why): the float
// handler on the driver's own float buffers inline; conversions and the raw handler out
// of line.
void Stream::Impl::period(long index, std::int64_t position, std::int64_t timeNs) noexcept {
    if (index != 0 && index != 1) return;
    // rtChecked rather than the hooks: without the interposer the period reads nothing
    // of theirs (they live on a page of their own).
    const bool scope = rtChecked;
    if (scope) [[unlikely]]
        rtHooks().enter();
    if (floatHandler && zeroCopy)
        floatHandler->processFloat(block(index, position, timeNs));
    else
        periodConverted(index, position, timeNs);
    if (scope) [[unlikely]]
        rtHooks().leave();
    if (callOutputReady) driver->raw->lpVtbl->outputReady(driver->raw);
    // The callback thread is the only writer: a load and a store, no locked instruction.
    periods.store(periods.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

[[gnu::noinline]] void Stream::Impl::periodConverted(long index, std::int64_t position,
                                                     std::int64_t timeNs) noexcept {
    if (floatHandler) {
        for (std::size_t c = 0; c < in[index].size(); ++c)
            toFloat(in[index][c], floats[index][c], static_cast<std::size_t>(frames));
        floatHandler->processFloat(block(index, position, timeNs));
        for (std::size_t c = 0; c < out[index].size(); ++c)
            fromFloat(fout(index)[c], out[index][c], static_cast<std::size_t>(frames));
    } else {
        Period p;
        p.index = index;
        p.frames = frames;
        p.position = position;
        p.timeNs = timeNs;
        p.type = type;
        p.in = in[index];
        p.out = out[index];
        handler->process(p);
    }
}

long Stream::Impl::message(long selector, long value) noexcept {
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
        case kAsioSupportsTimeInfo:
            return request.timeInfo ? 1 : 0;
        case kAsioResetRequest:
            resets.fetch_add(1, std::memory_order_relaxed);
            resetRequested.store(true, std::memory_order_release);
            handler->notify(selector, value);
            return 1;
        case kAsioResyncRequest:
            resyncs.fetch_add(1, std::memory_order_relaxed);
            handler->notify(selector, value);
            return 1;
        case kAsioLatenciesChanged:
            latencyChanges.fetch_add(1, std::memory_order_relaxed);
            handler->notify(selector, value);
            return 1;
        case kAsioOverload:
            overloads.fetch_add(1, std::memory_order_relaxed);
            handler->notify(selector, value);
            return 1;
        case kAsioBufferSizeChange:
            // Buffers are re-created only through a reset; 0 tells the driver so.
            bufferSizeChanges.fetch_add(1, std::memory_order_relaxed);
            handler->notify(selector, value);
            return 0;
        default:
            return 0;
    }
}

void Stream::Impl::rateChanged(double rate) noexcept {
    rateChanges.fetch_add(1, std::memory_order_relaxed);
    lastRate.store(rate, std::memory_order_relaxed);
    handler->notify(0, static_cast<long>(rate));
}

Stream Driver::open(const Request& request, Handler& handler) {
    if (s_->streamOpen)
        throw HostError(fmt::format("{}: a stream is already open on this driver", s_->name),
                        ASE_InvalidMode);
    auto impl = std::make_unique<Stream::Impl>();
    impl->driver = s_;
    impl->handler = &handler;
    impl->floatHandler = dynamic_cast<FloatHandler*>(&handler);
    impl->request = request;
    impl->rtChecked = rtHooks().enter != nullptr;
    FoldbackDriver* raw = s_->raw;

    if (request.sampleRate > 0 && request.sampleRate != sampleRate())
        setSampleRate(request.sampleRate);
    const BufferSizes sizes = bufferSizes();
    impl->frames = request.bufferSize > 0 ? request.bufferSize : sizes.preferred;
    if (!sizes.accepts(impl->frames)) {
        const auto all = sizes.allowed(8);
        std::string list;
        for (long s : all) list += (list.empty() ? "" : ", ") + std::to_string(s);
        throw HostError(
            fmt::format("{}: buffer size {} is not accepted; try one of {}{} (min {}, max {}, "
                        "preferred {})",
                        s_->name, impl->frames, list, all.size() == 8 ? ", ..." : "", sizes.min,
                        sizes.max, sizes.preferred),
            ASE_InvalidMode);
    }
    for (long c : request.inputs) impl->infos.push_back({ASIOTrue, c, {nullptr, nullptr}});
    for (long c : request.outputs) impl->infos.push_back({ASIOFalse, c, {nullptr, nullptr}});
    if (impl->infos.empty())
        throw HostError(
            fmt::format("{}: open needs at least one input or output channel", s_->name),
            ASE_InvalidParameter);

    {
        std::lock_guard<std::mutex> lock(gSlotsMutex);
        for (int i = 0; i < Stream::kMaxStreams; ++i) {
            if (!gSlots[static_cast<std::size_t>(i)].load()) {
                impl->slot = i;
                gSlots[static_cast<std::size_t>(i)].store(impl.get(), std::memory_order_release);
                break;
            }
        }
    }
    if (impl->slot < 0)
        throw HostError(fmt::format("more than {} streams open at once", Stream::kMaxStreams),
                        ASE_NoMemory);
    impl->callbacks = kTrampolines[static_cast<std::size_t>(impl->slot)];

    s_->check(
        raw->lpVtbl->createBuffers(raw, impl->infos.data(), static_cast<long>(impl->infos.size()),
                                   impl->frames, &impl->callbacks),
        "createBuffers");
    s_->streamOpen = true;
    Stream stream(std::move(impl));
    auto& im = *stream.impl_;
    // From here the Stream's destructor disposes the buffers if anything throws.
    const std::size_t nin = request.inputs.size(), nout = request.outputs.size();
    im.type = ASIOSTFloat32LSB;
    if (!im.infos.empty()) {
        ASIOChannelInfo info{};
        info.channel = im.infos[0].channelNum;
        info.isInput = im.infos[0].isInput;
        s_->check(raw->lpVtbl->getChannelInfo(raw, &info), "getChannelInfo");
        im.type = info.type;
    }
    for (int h = 0; h < 2; ++h) {
        for (std::size_t k = 0; k < nin; ++k) im.in[h].push_back(im.infos[k].buffers[h]);
        for (std::size_t k = 0; k < nout; ++k) im.out[h].push_back(im.infos[nin + k].buffers[h]);
    }
    if (im.floatHandler) {
        im.zeroCopy = im.type == ASIOSTFloat32LSB;
        if (!im.zeroCopy) {
            im.toFloat = convert::toFloat(im.type);
            im.fromFloat = convert::fromFloat(im.type);
            if (!im.toFloat || !im.fromFloat)
                throw HostError(fmt::format("{}: sample type {} cannot be converted to float",
                                            s_->name, convert::sampleTypeName(im.type)),
                                ASE_NotPresent);
            im.scratch.assign((nin + nout) * static_cast<std::size_t>(im.frames), 0.0f);
        }
        // The driver's float buffers themselves, or the scratch they are converted through.
        const auto frames = static_cast<std::size_t>(im.frames);
        im.nin = static_cast<std::uint32_t>(nin);
        im.nout = static_cast<std::uint32_t>(nout);
        const std::size_t tableBytes = (2 * (nin + nout) * sizeof(float*) + 63) / 64 * 64;
        im.floatTable.reset(
            static_cast<float**>(std::aligned_alloc(64, std::max<std::size_t>(tableBytes, 64))));
        if (!im.floatTable)
            throw HostError("out of memory for the stream's buffer table", ASE_NoMemory);
        float** t = im.floatTable.get();
        for (int h = 0; h < 2; ++h) {
            for (std::size_t k = 0; k < nin; ++k)
                *t++ =
                    im.zeroCopy ? static_cast<float*>(im.in[h][k]) : im.scratch.data() + k * frames;
            for (std::size_t k = 0; k < nout; ++k)
                *t++ = im.zeroCopy ? static_cast<float*>(im.out[h][k])
                                   : im.scratch.data() + (nin + k) * frames;
        }
        im.floats[0] = im.floatTable.get();
        im.floats[1] = im.floats[0] + nin + nout;
    }
    // Hosts clear both output halves before start (spec §9.1).
    const std::size_t bytes = convert::sampleBytes(im.type) * static_cast<std::size_t>(im.frames);
    for (int h = 0; h < 2; ++h)
        for (void* p : im.out[h])
            if (p) std::memset(p, 0, bytes);
    im.callOutputReady = request.useOutputReady && s_->outputReady;
    return stream;
}

Stream::Stream(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Stream::Stream(Stream&&) noexcept = default;
Stream& Stream::operator=(Stream&&) noexcept = default;

Stream::~Stream() {
    if (!impl_) return;
    auto* raw = impl_->driver->raw;
    raw->lpVtbl->stop(raw);
    raw->lpVtbl->disposeBuffers(raw);
    impl_->driver->streamOpen = false;
}

void Stream::start() {
    impl_->driver->check(impl_->driver->raw->lpVtbl->start(impl_->driver->raw), "start");
    impl_->running = true;
}
void Stream::stop() {
    impl_->driver->check(impl_->driver->raw->lpVtbl->stop(impl_->driver->raw), "stop");
    impl_->running = false;
}
bool Stream::running() const noexcept {
    return impl_->running;
}
long Stream::bufferSize() const noexcept {
    return impl_->frames;
}
ASIOSampleType Stream::sampleType() const noexcept {
    return impl_->type;
}
bool Stream::timeInfoMode() const noexcept {
    return impl_->request.timeInfo;
}
Latencies Stream::latencies() const {
    Latencies l;
    impl_->driver->check(
        impl_->driver->raw->lpVtbl->getLatencies(impl_->driver->raw, &l.input, &l.output),
        "getLatencies");
    return l;
}
StreamEvents Stream::events() const noexcept {
    StreamEvents e;
    e.overloads = impl_->overloads.load();
    e.resyncs = impl_->resyncs.load();
    e.resets = impl_->resets.load();
    e.latencyChanges = impl_->latencyChanges.load();
    e.rateChanges = impl_->rateChanges.load();
    e.bufferSizeChanges = impl_->bufferSizeChanges.load();
    e.lastRate = impl_->lastRate.load();
    return e;
}
long long Stream::periods() const noexcept {
    return impl_->periods.load();
}
bool Stream::resetRequested() const noexcept {
    return impl_->resetRequested.load();
}
FoldbackCounters Stream::counters() const {
    FoldbackCounters c{};
    if (impl_->driver->raw->lpVtbl->future(impl_->driver->raw, kFoldbackGetCounters, &c) !=
        ASE_SUCCESS)
        c = FoldbackCounters{};
    return c;
}

}  // namespace foldback
