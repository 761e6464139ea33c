#include "kit/instance.hpp"

#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <new>
#include <set>
#include <string_view>

#include "kit/audio_thread.hpp"
#include "kit/config_watch.hpp"
#include "kit/error.hpp"
#include "kit/stream.hpp"
#include "registry/registry.hpp"

namespace foldback::kit {

namespace {

constexpr std::size_t kNameBytes = 32;
constexpr std::size_t kErrorBytes = 124;

void copyText(char* dst, std::size_t size, std::string_view text) noexcept {
    const std::size_t n = std::min(text.size(), size - 1);
    std::memcpy(dst, text.data(), n);
    dst[n] = '\0';
}

bool bufferSizeAllowed(const BufferSizes& b, long size) {
    if (size < b.min || size > b.max) return false;
    if (b.granularity == -1) return (size & (size - 1)) == 0;
    if (b.granularity == 0) return size == b.preferred;
    return (size - b.min) % b.granularity == 0;
}

std::string describeSizes(const BufferSizes& b) {
    if (b.granularity == -1) return fmt::format("powers of two {}..{}", b.min, b.max);
    if (b.granularity == 0 || b.min == b.max) return fmt::format("only {}", b.preferred);
    if (b.granularity == 1) return fmt::format("{}..{}", b.min, b.max);
    return fmt::format("{}..{} in steps of {}", b.min, b.max, b.granularity);
}

}  // namespace

// ---- the object ----------------------------------------------------------------------

class Instance final : private KitContext {
  public:
    explicit Instance(const DriverDescription& d) : description_(d) {
        object_.base.lpVtbl = &kVtbl;
        object_.owner = this;
        copyText(error_, sizeof error_, "no error");
    }
    ~Instance() override {
        watch_.reset();
        running_.reset();
        unprepareCore();
        if (initialized_) {
            backend_->unprepare();
            backend_->close();
        }
    }

    // The host's pointer is &object_.base, the first member of a standard-layout struct
    // that also points back here (Instance itself is polymorphic, so base cannot be at 0).
    static Instance* self(FoldbackDriver* d) { return reinterpret_cast<Object*>(d)->owner; }
    FoldbackDriver* object() { return &object_.base; }
    unsigned long addRef() { return refs_.fetch_add(1) + 1; }
    unsigned long release() {
        const unsigned long left = refs_.fetch_sub(1) - 1;
        if (left == 0) delete this;  // stops, joins, frees (~Instance)
        return left;
    }

    // ---- the boundary ---------------------------------------------------------------
    template <typename F>
    ASIOError guard(const char* method, F&& body) noexcept {
        try {
            return body();
        } catch (const Error& e) {
            setError(fmt::format("{}: {}", method, e.what()));
            return e.code();
        } catch (const std::bad_alloc&) {
            setError(fmt::format("{}: out of memory", method));
            return ASE_NoMemory;
        } catch (const std::exception& e) {
            setError(fmt::format("{}: internal error: {}", method, e.what()));
            return ASE_HWMalfunction;
        } catch (...) {
            setError(fmt::format("{}: internal error", method));
            return ASE_HWMalfunction;
        }
    }
    void setError(const std::string& text) noexcept {
        copyText(error_, sizeof error_, text);
        rtError_.store(nullptr, std::memory_order_release);
    }
    // For entries a host may call on the audio thread: no formatting, no allocation.
    ASIOError rtFail(ASIOError code, const char* text) noexcept {
        rtError_.store(text, std::memory_order_release);
        return code;
    }

    // ---- entries ------------------------------------------------------------------------
    ASIOBool init(void*) {
        // sysRef is never dereferenced (spec/linux-abi.md §2.4).
        const ASIOError r = guard("init", [&]() -> ASIOError {
            if (prepared_) fail(ASE_InvalidMode, "buffers exist; call disposeBuffers first");
            if (initialized_) return ASE_OK;
            if (name_.empty())
                fail(ASE_NotPresent, "no instance name: call future(0x7F000001, name) before init");
            if (lost())
                fail(ASE_HWMalfunction, "the device of '{}' is gone; wait until it is back", name_);
            config_ = Config::parse(registry::readConfig(name_), name_ + "/config.toml");
            auto backend = description_.factory();
            backend->attach(*this);
            caps_ = backend->open(*this);
            try {
                checkCaps();
            } catch (...) {
                backend->close();
                throw;
            }
            backend_ = std::move(backend);
            rate_ = caps_.rate;
            initialized_ = true;
            watchConfig();
            return ASE_OK;
        });
        return r == ASE_OK ? ASIOTrue : ASIOFalse;
    }

    void getDriverName(char* name) noexcept {
        if (!name) return;
        copyText(name, kNameBytes, name_.empty() ? description_.defaultName : name_);
    }
    long getDriverVersion() noexcept { return backend_ ? backend_->version() : 1; }
    void getErrorMessage(char* text) noexcept {
        if (!text) return;
        const char* rt = rtError_.load(std::memory_order_acquire);
        copyText(text, kErrorBytes, rt ? rt : error_);
    }

    ASIOError start() {
        return guard("start", [&]() -> ASIOError {
            if (!initialized_) fail(ASE_InvalidMode, "not initialized: call init first");
            if (!prepared_) fail(ASE_InvalidMode, "no buffers: call createBuffers before start");
            if (running_) return ASE_OK;
            if (const char* why = lostMessage()) fail(ASE_NotPresent, "{}", why);
            if (lost()) fail(ASE_HWMalfunction, "the device is gone; re-open the driver");
            running_.emplace(*this);
            return ASE_OK;
        });
    }
    ASIOError stop() {
        return guard("stop", [&]() -> ASIOError {
            if (!initialized_) fail(ASE_InvalidMode, "not initialized: call init first");
            running_.reset();
            return ASE_OK;
        });
    }

    ASIOError getChannels(long* in, long* out) {
        return guard("getChannels", [&]() -> ASIOError {
            requireInit();
            if (!in || !out) fail(ASE_InvalidParameter, "a result pointer is NULL");
            *in = static_cast<long>(caps_.inputs.size());
            *out = static_cast<long>(caps_.outputs.size());
            return ASE_OK;
        });
    }
    ASIOError getLatencies(long* in, long* out) {
        return guard("getLatencies", [&]() -> ASIOError {
            requireInit();
            if (!in || !out) fail(ASE_InvalidParameter, "a result pointer is NULL");
            const long size = prepared_ ? prepared_->core->bufferSize() : bufferSizes().preferred;
            const Latency l = backend_->latency(size);
            const long adaptIn = prepared_ ? prepared_->core->adapterInputLatency() : 0;
            const long adaptOut = prepared_ ? prepared_->core->adapterOutputLatency() : 0;
            *in = std::max(0L, l.input + adaptIn + config_.kit().inputLatencyOffset);
            *out = std::max(0L, l.output + adaptOut + config_.kit().outputLatencyOffset);
            return ASE_OK;
        });
    }
    ASIOError getBufferSize(long* min, long* max, long* pref, long* gran) {
        return guard("getBufferSize", [&]() -> ASIOError {
            requireInit();
            if (!min || !max || !pref || !gran)
                fail(ASE_InvalidParameter, "a result pointer is NULL");
            const BufferSizes b = bufferSizes();
            *min = b.min;
            *max = b.max;
            *pref = b.preferred;
            *gran = b.granularity;
            return ASE_OK;
        });
    }
    ASIOError canSampleRate(double rate) {
        return guard("canSampleRate", [&]() -> ASIOError {
            requireInit();
            if (!rateUsable(rate))
                fail(ASE_NoClock, "{} Hz is not supported; this device runs at {}", rate,
                     ratesText());
            return ASE_OK;
        });
    }
    ASIOError getSampleRate(double* rate) noexcept {
        // May come from the audio thread: no formatting.
        if (!initialized_)
            return rtFail(ASE_NotPresent, "getSampleRate: not initialized: call init first");
        if (const char* why = lostMessage()) return rtFail(ASE_NotPresent, why);
        if (!rate) return rtFail(ASE_InvalidParameter, "getSampleRate: the result pointer is NULL");
        StreamCore* live = live_.load(std::memory_order_acquire);
        *rate = live ? live->currentRate() : rate_.load(std::memory_order_relaxed);
        return ASE_OK;
    }
    ASIOError setSampleRate(double rate) {
        return guard("setSampleRate", [&]() -> ASIOError {
            requireInit();
            if (rate == 0)
                fail(ASE_NoClock,
                     "no external clock source: this device has only its internal clock");
            if (!rateUsable(rate))
                fail(ASE_NoClock, "{} Hz is not supported; this device runs at {}", rate,
                     ratesText());
            if (rate == rate_.load()) return ASE_OK;
            if (running_)
                fail(ASE_InvalidMode, "cannot change the rate while running: call stop first");
            backend_->setSampleRate(rate);
            rate_ = rate;
            return ASE_OK;
        });
    }
    ASIOError getClockSources(ASIOClockSource* clocks, long* num) {
        return guard("getClockSources", [&]() -> ASIOError {
            requireInit();
            if (!clocks || !num) fail(ASE_InvalidParameter, "a pointer is NULL");
            if (*num <= 0)
                fail(ASE_InvalidParameter, "capacity {} is too small; pass at least 1", *num);
            const long n = std::min<long>(*num, static_cast<long>(caps_.clockSources.size()));
            for (long i = 0; i < n; ++i) {
                auto& c = clocks[i];
                c.index = i;
                c.associatedChannel = -1;
                c.associatedGroup = -1;
                c.isCurrentSource = i == clockSource_ ? ASIOTrue : ASIOFalse;
                copyText(c.name, sizeof c.name, caps_.clockSources[static_cast<std::size_t>(i)]);
            }
            *num = n;
            return ASE_OK;
        });
    }
    ASIOError setClockSource(long index) {
        return guard("setClockSource", [&]() -> ASIOError {
            requireInit();
            if (index < 0 || index >= static_cast<long>(caps_.clockSources.size()))
                fail(ASE_InvalidParameter, "clock source {} does not exist; there are {}", index,
                     caps_.clockSources.size());
            clockSource_ = index;
            return ASE_OK;
        });
    }
    ASIOError getSamplePosition(ASIOSamples* pos, ASIOTimeStamp* stamp) noexcept {
        // Cheap and lock-free: hosts call it from inside bufferSwitch.
        if (!initialized_)
            return rtFail(ASE_NotPresent, "getSamplePosition: not initialized: call init first");
        if (const char* why = lostMessage()) return rtFail(ASE_NotPresent, why);
        StreamCore* live = live_.load(std::memory_order_acquire);
        if (!live)
            return rtFail(ASE_SPNotAdvancing, "getSamplePosition: not running: call start first");
        if (!pos || !stamp)
            return rtFail(ASE_InvalidParameter, "getSamplePosition: a result pointer is NULL");
        std::int64_t p = 0, t = 0;
        if (!live->samplePosition(p, t))
            return rtFail(ASE_SPNotAdvancing,
                          "getSamplePosition: no period has run yet since start");
        *pos = p;
        *stamp = t;
        return ASE_OK;
    }
    ASIOError getChannelInfo(ASIOChannelInfo* info) {
        return guard("getChannelInfo", [&]() -> ASIOError {
            requireInit();
            if (!info) fail(ASE_InvalidParameter, "info is NULL");
            const bool input = info->isInput != ASIOFalse;
            const auto& v = input ? caps_.inputs : caps_.outputs;
            if (info->channel < 0 || info->channel >= static_cast<long>(v.size()))
                fail(ASE_InvalidParameter, "{} channel {} does not exist; there are {}",
                     input ? "input" : "output", info->channel, v.size());
            const auto& c = v[static_cast<std::size_t>(info->channel)];
            info->isActive =
                prepared_ && prepared_->core->active(input, info->channel) ? ASIOTrue : ASIOFalse;
            info->channelGroup = c.group;
            info->type = caps_.sampleType;
            copyText(info->name, sizeof info->name, c.name);
            return ASE_OK;
        });
    }
    ASIOError createBuffers(ASIOBufferInfo* infos, long count, long size, const ASIOCallbacks* cb) {
        return guard("createBuffers", [&]() -> ASIOError {
            if (!initialized_) fail(ASE_InvalidMode, "not initialized: call init first");
            if (prepared_)
                fail(ASE_InvalidMode, "buffers exist already: call disposeBuffers first");
            if (!cb || !cb->bufferSwitch)
                fail(ASE_InvalidParameter, "callbacks or callbacks->bufferSwitch is NULL");
            if (!infos) fail(ASE_InvalidMode, "bufferInfos is NULL");
            const long total = static_cast<long>(caps_.inputs.size() + caps_.outputs.size());
            if (count <= 0 || count > total)
                fail(ASE_InvalidMode, "{} channels asked for; this device has {} in all", count,
                     total);
            const BufferSizes sizes = bufferSizes();
            if (!bufferSizeAllowed(sizes, size))
                fail(ASE_InvalidMode, "buffer size {} is not allowed; this device accepts {}", size,
                     describeSizes(sizes));
            StreamSetup setup;
            setup.bufferSize = size;
            setup.rate = rate_;
            setup.activeInputs.assign(caps_.inputs.size(), false);
            setup.activeOutputs.assign(caps_.outputs.size(), false);
            for (long k = 0; k < count; ++k) {
                const bool input = infos[k].isInput != ASIOFalse;
                const long ch = infos[k].channelNum;
                auto& act = input ? setup.activeInputs : setup.activeOutputs;
                if (ch < 0 || ch >= static_cast<long>(act.size()))
                    fail(ASE_InvalidMode, "entry {}: {} channel {} does not exist; there are {}", k,
                         input ? "input" : "output", ch, act.size());
                if (act[static_cast<std::size_t>(ch)])
                    fail(ASE_InvalidMode, "entry {}: {} channel {} is listed twice", k,
                         input ? "input" : "output", ch);
                act[static_cast<std::size_t>(ch)] = true;
            }
            backend_->prepare(setup);
            try {
                prepared_.emplace();
                prepared_->core = std::make_unique<StreamCore>(caps_, backend_->layout(), setup,
                                                               *cb, outputReadyOn(),
                                                               backend_->style() == Style::Engine);
                engineCore_ = prepared_->core.get();
            } catch (...) {
                unprepareCore();
                backend_->unprepare();
                throw;
            }
            for (long k = 0; k < count; ++k) {
                const bool input = infos[k].isInput != ASIOFalse;
                infos[k].buffers[0] = prepared_->core->half(input, infos[k].channelNum, 0);
                infos[k].buffers[1] = prepared_->core->half(input, infos[k].channelNum, 1);
            }
            return ASE_OK;
        });
    }
    ASIOError disposeBuffers() {
        return guard("disposeBuffers", [&]() -> ASIOError {
            if (!prepared_)
                fail(ASE_InvalidMode, "no buffers to dispose: createBuffers was not called");
            running_.reset();
            unprepareCore();
            backend_->unprepare();
            return ASE_OK;
        });
    }
    ASIOError controlPanel() {
        return guard("controlPanel", [&]() -> ASIOError {
            fail(ASE_NotPresent,
                 "no control panel; settings live in the instance's config.toml "
                 "(`foldback info {}` shows where)",
                 name_);
        });
    }
    FOLDBACK_HOT ASIOError outputReady() noexcept {
        if (!initialized_)
            return rtFail(ASE_NotPresent, "outputReady: not initialized: call init first");
        if (!outputReadyOn())
            return rtFail(
                ASE_NotPresent,
                config_.kit().outputReadySet
                    ? "outputReady: not used by this instance ([kit] output_ready = false)"
                    : "outputReady: no use on this driver: its engine takes the output "
                      "when the switch returns ([kit] output_ready = true turns it on)");
        if (StreamCore* live = live_.load(std::memory_order_acquire)) live->outputReadyFromHost();
        return ASE_OK;
    }
    ASIOError future(long selector, void* opt) {
        return guard("future", [&]() -> ASIOError { return futureBody(selector, opt); });
    }

  private:
    // ---- KitContext (its period, KitContext::process, is in stream.cpp) ---------------
    void overload() noexcept override {
        if (auto* c = core()) c->overload();
    }
    void resetRequest() noexcept override {
        if (auto* c = core()) c->resetRequest();
    }
    void rateChanged(double rate) noexcept override {
        rate_.store(rate, std::memory_order_relaxed);  // getSampleRate and the next start
        if (StreamCore* live = live_.load(std::memory_order_acquire)) {
            live->rateChanged(rate);  // sampleRateDidChange at the next period
            if (AudioThread* t = liveThread_.load(std::memory_order_acquire)) t->rateChanged(rate);
        } else if (auto* c = core()) {
            c->rateChangedNow(rate);  // prepared but stopped: tell the host at once
        }
    }
    void latenciesChanged() noexcept override {
        if (auto* c = core()) c->latenciesChanged();
    }
    void bufferSizeChanged(const BufferSizes& sizes) noexcept override {
        {
            std::lock_guard<std::mutex> lock(capsMutex_);
            caps_.bufferSizes = sizes;
        }
        auto* c = core();
        if (c && c->bufferSize() != sizes.preferred) c->bufferSizeChanged(sizes.preferred);
    }
    const FoldbackThreadCreator& threadCreator() const noexcept override { return creator_; }
    const std::string& instanceName() const noexcept override { return name_; }
    const Config& config() const noexcept override { return config_; }

    StreamCore* core() noexcept { return engineCore_; }
    // The stream core goes: the period's pointer to it first.
    void unprepareCore() noexcept {
        engineCore_ = nullptr;
        prepared_.reset();
    }
    // [kit] output_ready, else the driver's default. An engine (JACK, PipeWire) reads the
    // output after the process callback returns, so taking it at outputReady instead of
    // when the switch returns gains nothing there: such a driver declines (spec §9.3,
    // "ASE_OK only if the driver benefits"), and its hosts save a call into the driver a
    // period.
    bool outputReadyOn() const noexcept {
        const KitSettings& k = config_.kit();
        if (k.outputReadySet) return k.outputReady;
        return !(backend_ && backend_->style() == Style::Engine);
    }
    BufferSizes bufferSizes() const {
        std::lock_guard<std::mutex> lock(capsMutex_);
        return caps_.bufferSizes;
    }

    // ---- helpers ----------------------------------------------------------------------
    void watchConfig() {
        std::vector<std::filesystem::path> dirs;
        if (auto entry = registry::find(name_)) dirs.push_back(entry->dir);
        for (const auto& root : registry::roots())
            if (root.kind == registry::RootKind::User) {
                std::error_code ec;
                if (std::filesystem::is_directory(root.path / name_, ec))
                    dirs.push_back(root.path / name_);
            }
        // Settings are read once per instance; a change reaches a running stream as a reset
        // request, never as a hot swap (DESIGN.md §4).
        watch_ = std::make_unique<ConfigWatch>(dirs, [this] {
            std::lock_guard<std::mutex> lock(liveMutex_);
            if (StreamCore* live = live_.load(std::memory_order_acquire))
                live->resetRequest();
            else
                configChanged_.store(true, std::memory_order_release);  // told at the next start
        });
    }
    void requireInit() const {
        if (!initialized_) fail(ASE_NotPresent, "not initialized: call init first");
        if (const char* why = lostMessage()) fail(ASE_NotPresent, "{}", why);
    }
    bool lost() const noexcept { return backend_ && backend_->deviceLost(); }
    // The backend's own text while its device is lost (backends that give one), else null.
    const char* lostMessage() const noexcept { return lost() ? backend_->lostMessage() : nullptr; }
    bool rateUsable(double rate) const {
        return std::isfinite(rate) && rate > 0 && backend_->canSampleRate(rate, caps_);
    }
    std::string ratesText() const {
        std::string s;
        for (double r : caps_.rates) s += (s.empty() ? "" : ", ") + fmt::format("{}", r);
        return s + " Hz";
    }
    void checkCaps() const {
        if (caps_.inputs.empty() && caps_.outputs.empty())
            fail(ASE_NotPresent, "the device has no channels");
        if (convert::sampleBytes(caps_.sampleType) == 0)
            fail(ASE_NotPresent, "sample type {} is not supported", caps_.sampleType);
        const auto& b = caps_.bufferSizes;
        if (b.min <= 0 || b.max < b.min || !bufferSizeAllowed(b, b.preferred))
            fail(ASE_HWMalfunction, "the backend reported inconsistent buffer sizes");
    }

    ASIOError futureBody(long selector, void* opt) {
        switch (selector) {
            case kFoldbackSetInstanceName: {
                const char* name = static_cast<const char*>(opt);
                if (!name || !*name) return ASE_SUCCESS;
                if (initialized_)
                    fail(ASE_InvalidMode, "the instance name cannot change after init");
                const std::string problem = registry::checkName(name);
                if (!problem.empty()) fail(ASE_NotPresent, "instance name refused: {}", problem);
                auto entry = registry::find(name);
                if (!entry)
                    fail(ASE_NotPresent, "no instance '{}' is registered; see `foldback list`",
                         name);
                name_ = name;
                return ASE_SUCCESS;
            }
            case kAsioCanTimeInfo:
            case kAsioCanReportOverload:
                return ASE_SUCCESS;
            case kAsioGetInternalBufferSamples: {
                if (!opt) fail(ASE_InvalidParameter, "ASIOInternalBufferInfo pointer is NULL");
                requireInit();
                auto* info = static_cast<ASIOInternalBufferInfo*>(opt);
                const long size =
                    prepared_ ? prepared_->core->bufferSize() : bufferSizes().preferred;
                const Latency l = backend_->latency(size);
                const long adaptIn = prepared_ ? prepared_->core->adapterInputLatency() : 0;
                const long adaptOut = prepared_ ? prepared_->core->adapterOutputLatency() : 0;
                info->inputSamples = l.internalInput + adaptIn;
                info->outputSamples = l.internalOutput + adaptOut;
                return ASE_SUCCESS;
            }
            case kAsioCanDoIoFormat:
            case kAsioSetIoFormat:
            case kAsioGetIoFormat: {
                if (!opt) fail(ASE_InvalidParameter, "ASIOIoFormat pointer is NULL");
                auto* f = static_cast<ASIOIoFormat*>(opt);
                if (selector == kAsioGetIoFormat) {
                    f->FormatType = kASIOPCMFormat;
                    return ASE_SUCCESS;
                }
                if (selector == kAsioSetIoFormat && prepared_)
                    fail(ASE_InvalidMode, "the I/O format can change only before createBuffers");
                if (f->FormatType != kASIOPCMFormat) {
                    f->FormatType = kASIOFormatInvalid;
                    fail(ASE_NotPresent, "only PCM is supported (no DSD)");
                }
                return ASE_SUCCESS;
            }
            case kAsioEnableTimeCodeRead:
            case kAsioDisableTimeCodeRead:
            case kAsioCanTimeCode:
                fail(ASE_NotPresent, "time code is not supported");
            case kAsioSetInputMonitor:
            case kAsioCanInputMonitor:
                fail(ASE_NotPresent, "direct monitoring is not supported");
            case kAsioTransport:
            case kAsioCanTransport:
                fail(ASE_NotPresent, "transport control is not supported");
            case kAsioSetInputGain:
            case kAsioGetInputMeter:
            case kAsioSetOutputGain:
            case kAsioGetOutputMeter:
            case kAsioCanInputGain:
            case kAsioCanInputMeter:
            case kAsioCanOutputGain:
            case kAsioCanOutputMeter:
                fail(ASE_NotPresent, "gains and meters are not supported");
            case kFoldbackSetThreadCreator: {
                if (prepared_) fail(ASE_InvalidMode, "set the thread creator before createBuffers");
                if (!opt) {
                    creator_ = defaultThreadCreator();
                    return ASE_SUCCESS;
                }
                const auto* c = static_cast<const FoldbackThreadCreator*>(opt);
                if (!c->create) fail(ASE_InvalidParameter, "FoldbackThreadCreator.create is NULL");
                creator_ = *c;
                return ASE_SUCCESS;
            }
            case kFoldbackGetCounters: {
                if (!opt) fail(ASE_InvalidParameter, "FoldbackCounters pointer is NULL");
                *static_cast<FoldbackCounters*>(opt) =
                    prepared_ ? prepared_->core->counters() : FoldbackCounters{};
                return ASE_SUCCESS;
            }
            case kFoldbackGetStatus: {
                if (!opt) fail(ASE_InvalidParameter, "FoldbackStatus pointer is NULL");
                auto* s = static_cast<FoldbackStatus*>(opt);
                s->realtime = rtStatus_.realtime;
                s->rtPriority = rtStatus_.priority;
                copyText(s->warning, sizeof s->warning, rtStatus_.warning);
                return ASE_SUCCESS;
            }
            case kFoldbackListDevices: {
                if (!opt) fail(ASE_InvalidParameter, "FoldbackDeviceList pointer is NULL");
                auto* list = static_cast<FoldbackDeviceList*>(opt);
                if (list->capacity > 0 && !list->devices)
                    fail(ASE_InvalidParameter, "FoldbackDeviceList.devices is NULL");
                std::unique_ptr<Backend> probe;
                const Backend* b = backend_.get();
                if (!b) b = (probe = description_.factory()).get();
                const auto found = b->discover();
                list->count = static_cast<long>(found.size());
                for (long i = 0; i < list->count && i < list->capacity; ++i) {
                    const auto& f = found[static_cast<std::size_t>(i)];
                    auto& d = list->devices[i];
                    copyText(d.id, sizeof d.id, f.id);
                    copyText(d.description, sizeof d.description, f.description);
                    d.inputs = f.inputs;
                    d.outputs = f.outputs;
                }
                return ASE_SUCCESS;
            }
            case kFoldbackInjectFault: {
                if (!opt) fail(ASE_InvalidParameter, "FoldbackFault pointer is NULL");
                const auto* f = static_cast<const FoldbackFault*>(opt);
                AudioThread* t = running_ ? running_->thread.get() : nullptr;
                if (t && f->kind == kFoldbackFaultLatePeriod) {
                    t->injectLate(static_cast<std::int64_t>(f->value) * 1'000'000);
                    return ASE_SUCCESS;
                }
                if (t && f->kind == kFoldbackFaultDropFrames) {
                    t->injectDrop(f->value);
                    return ASE_SUCCESS;
                }
                // Without an opened device (e.g. while it is lost) a fresh backend takes it.
                std::unique_ptr<Backend> probe;
                Backend* b = backend_.get();
                if (!b) {
                    probe = description_.factory();
                    probe->attach(*this);
                    b = probe.get();
                }
                const ASIOError r = b->future(selector, opt);
                if (r == ASE_InvalidParameter)
                    fail(ASE_NotPresent, "this driver does not support fault {} in this state",
                         f->kind);
                return r;
            }
            default:
                break;
        }
        if (selector >= kFoldbackReservedFirst && selector <= kFoldbackReservedLast && backend_) {
            const ASIOError r = backend_->future(selector, opt);
            if (r != ASE_InvalidParameter) return r;
        }
        fail(ASE_InvalidParameter, "unknown selector {:#x}", selector);
    }

    // ---- states -----------------------------------------------------------------------
    struct Prepared {
        std::unique_ptr<StreamCore> core;
    };
    struct Running {
        explicit Running(Instance& in) : owner(in) {
            auto& core = *in.prepared_->core;
            core.arm(in.rate_);
            // Visible to getSamplePosition before the first period can run.
            {
                std::lock_guard<std::mutex> lock(in.liveMutex_);
                in.live_.store(&core, std::memory_order_release);
                if (in.configChanged_.exchange(false)) core.resetRequest();
            }
            try {
                in.backend_->start();
                if (in.backend_->style() != Style::Engine) {
                    thread = std::make_unique<AudioThread>(*in.backend_, core, in.config_.kit(),
                                                           in.rate_, in.creator_);
                    in.rtStatus_ = thread->start();
                    in.liveThread_.store(thread.get(), std::memory_order_release);
                    if (!in.rtStatus_.warning.empty() && in.rtStatus_.warning != in.warned_) {
                        // Visible once per instance and cause, on the host's stderr.
                        std::fprintf(stderr, "foldback: %s: %s\n", in.name_.c_str(),
                                     in.rtStatus_.warning.c_str());
                        in.warned_ = in.rtStatus_.warning;
                    }
                }
            } catch (...) {
                in.live_.store(nullptr, std::memory_order_release);
                thread.reset();
                in.backend_->stop();
                core.disarm();
                throw;
            }
        }
        ~Running() {
            auto& core = *owner.prepared_->core;
            owner.liveThread_.store(nullptr, std::memory_order_release);
            if (thread) thread->stop();
            owner.backend_->stop();
            core.disarm();  // no callback after this, whatever the backend does
            // Cleared last: a switch overlapping stop() may still ask for its position.
            std::lock_guard<std::mutex> lock(owner.liveMutex_);  // the config watcher
            owner.live_.store(nullptr, std::memory_order_release);
        }
        Instance& owner;
        std::unique_ptr<AudioThread> thread;
    };

    struct Object {
        FoldbackDriver base;  // the host's view: a pointer to the vtable
        Instance* owner;
    } object_;
    // The stream's core, which every period reaches (process()): on the first line, with
    // the vtable pointer the driver's call reads (kit/hot.hpp). Reset in ~Instance.
    std::optional<Prepared> prepared_;
    static const FoldbackDriverVtbl kVtbl;
    const DriverDescription& description_;
    std::atomic<unsigned long> refs_{1};
    std::string name_;
    char error_[kErrorBytes];
    std::atomic<const char*> rtError_{nullptr};
    Config config_;
    std::unique_ptr<Backend> backend_;
    Capabilities caps_;
    mutable std::mutex capsMutex_;  // caps_.bufferSizes: an engine thread may change them
    bool initialized_ = false;
    std::atomic<double> rate_{0};  // the device's rate; an engine thread may change it
    long clockSource_ = 0;
    FoldbackThreadCreator creator_ = defaultThreadCreator();
    RtStatus rtStatus_;
    std::string warned_;
    std::optional<Running> running_;
    std::atomic<StreamCore*> live_{nullptr};  // the running stream, for [any] entries
    std::atomic<AudioThread*> liveThread_{nullptr};
    std::mutex liveMutex_;
    std::atomic<bool> configChanged_{false};  // settings changed while not running // control and
                                              // watcher threads only, never audio
    std::unique_ptr<ConfigWatch> watch_;      // declared last: stops first
};

// ---- the C vtable -------------------------------------------------------------------------

#define SELF Instance::self(d)
const FoldbackDriverVtbl Instance::kVtbl = {
    [](FoldbackDriver* d, const void*, void** out) -> long {
        if (!out) return 1;
        SELF->addRef();
        *out = d;
        return 0;
    },
    [](FoldbackDriver* d) -> unsigned long { return SELF->addRef(); },
    [](FoldbackDriver* d) -> unsigned long { return SELF->release(); },
    [](FoldbackDriver* d, void* sys) -> ASIOBool { return SELF->init(sys); },
    [](FoldbackDriver* d, char* name) { SELF->getDriverName(name); },
    [](FoldbackDriver* d) -> long { return SELF->getDriverVersion(); },
    [](FoldbackDriver* d, char* text) { SELF->getErrorMessage(text); },
    [](FoldbackDriver* d) -> ASIOError { return SELF->start(); },
    [](FoldbackDriver* d) -> ASIOError { return SELF->stop(); },
    [](FoldbackDriver* d, long* i, long* o) -> ASIOError { return SELF->getChannels(i, o); },
    [](FoldbackDriver* d, long* i, long* o) -> ASIOError { return SELF->getLatencies(i, o); },
    [](FoldbackDriver* d, long* a, long* b, long* c, long* g) -> ASIOError {
        return SELF->getBufferSize(a, b, c, g);
    },
    [](FoldbackDriver* d, ASIOSampleRate r) -> ASIOError { return SELF->canSampleRate(r); },
    [](FoldbackDriver* d, ASIOSampleRate* r) -> ASIOError { return SELF->getSampleRate(r); },
    [](FoldbackDriver* d, ASIOSampleRate r) -> ASIOError { return SELF->setSampleRate(r); },
    [](FoldbackDriver* d, ASIOClockSource* c, long* n) -> ASIOError {
        return SELF->getClockSources(c, n);
    },
    [](FoldbackDriver* d, long i) -> ASIOError { return SELF->setClockSource(i); },
    [](FoldbackDriver* d, ASIOSamples* p, ASIOTimeStamp* t) -> ASIOError {
        return SELF->getSamplePosition(p, t);
    },
    [](FoldbackDriver* d, ASIOChannelInfo* i) -> ASIOError { return SELF->getChannelInfo(i); },
    [](FoldbackDriver* d, ASIOBufferInfo* b, long n, long s, const ASIOCallbacks* c) -> ASIOError {
        return SELF->createBuffers(b, n, s, c);
    },
    [](FoldbackDriver* d) -> ASIOError { return SELF->disposeBuffers(); },
    [](FoldbackDriver* d) -> ASIOError { return SELF->controlPanel(); },
    [](FoldbackDriver* d, long s, void* o) -> ASIOError { return SELF->future(s, o); },
    [](FoldbackDriver* d) -> ASIOError { return SELF->outputReady(); },
};
#undef SELF

FoldbackDriver* instantiate(const DriverDescription& description) noexcept {
    try {
        return (new Instance(description))->object();
    } catch (...) {
        return nullptr;
    }
}

static std::string selfPath() {
    Dl_info info{};
    if (!dladdr(reinterpret_cast<void*>(&registerSelf), &info) || !info.dli_fname) return {};
    char resolved[PATH_MAX];
    if (!realpath(info.dli_fname, resolved)) return {};
    return resolved;
}

int registerSelf(const DriverDescription& description, const char* name) noexcept {
    if (!name || !registry::checkName(name).empty()) return EINVAL;
    try {
        const std::string path = selfPath();
        if (path.empty()) return ENOENT;
        registry::registerInstance(name, path, description.description, registry::Scope::CwAsio);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "foldback: registerDriver(%s): %s\n", name, e.what());
        return access("/etc", W_OK) == 0 ? EIO : EACCES;
    }
}

int unregisterSelf(const char* name) noexcept {
    if (!name || !registry::checkName(name).empty()) return EINVAL;
    try {
        registry::unregisterInstance(name, registry::Scope::CwAsio);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "foldback: unregisterDriver(%s): %s\n", name, e.what());
        return ENODEV;
    }
}

}  // namespace foldback::kit
