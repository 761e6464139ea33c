// A small, self-contained driver used as a test input for the conformance suite: 4 in /
// 4 out, output k returns on input k after a modelled converter delay, clocked by a plain
// thread on CLOCK_MONOTONIC. Without faults it follows docs/errors.md to the letter; the
// environment plants spec violations, one named fault each, so that the tests can assert
// that the suite reports exactly those:
//
//   FOLDBACK_FIXTURE_FAULTS  comma-separated, read at instantiateDriver:
//     accept_bad_size      createBuffers accepts a size that is not a power of two
//     late_callback        stop() returns before the audio thread is gone: one more switch
//     index_from_1         the first switch has index 1
//     position_offset      positions start at one buffer instead of 0 (the SDK sample's bug)
//     slow_clock           the clock runs 1 % slow
//     unknown_selector_ok  future() answers ASE_OK to selectors it does not know
//     name_overflow        getDriverName writes 40 bytes
//     latency_short        getLatencies reports one frame less output latency than real
//     release_no_join      the final release while running does not stop the thread
//     start_twice_error    start() while running answers ASE_InvalidMode (a policy row)
//   FOLDBACK_FIXTURE_TYPE    float32 (default), float64, int16, int24, int32, int16msb
//
// Instance names: anything starting with "fixture" (at most 31 bytes) is "registered".
#include <time.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "foldback/driver.h"

namespace {

constexpr long kInputs = 4, kOutputs = 4;
constexpr long kMinSize = 32, kMaxSize = 2048, kPreferredSize = 128;
constexpr long kInputExtra = 3, kOutputExtra = 5;  // converter delays beyond one buffer
constexpr std::size_t kRing = 1 << 16;

struct Faults {
    bool acceptBadSize = false, lateCallback = false, indexFrom1 = false, positionOffset = false,
         slowClock = false, unknownSelectorOk = false, nameOverflow = false, latencyShort = false,
         releaseNoJoin = false, startTwiceError = false;
};

Faults readFaults() {
    Faults f;
    const char* env = std::getenv("FOLDBACK_FIXTURE_FAULTS");
    std::string list = env ? env : "";
    auto has = [&](const char* name) {
        std::string padded = "," + list + ",";
        return padded.find("," + std::string(name) + ",") != std::string::npos;
    };
    f.acceptBadSize = has("accept_bad_size");
    f.lateCallback = has("late_callback");
    f.indexFrom1 = has("index_from_1");
    f.positionOffset = has("position_offset");
    f.slowClock = has("slow_clock");
    f.unknownSelectorOk = has("unknown_selector_ok");
    f.nameOverflow = has("name_overflow");
    f.latencyShort = has("latency_short");
    f.releaseNoJoin = has("release_no_join");
    f.startTwiceError = has("start_twice_error");
    return f;
}

ASIOSampleType readType() {
    const char* env = std::getenv("FOLDBACK_FIXTURE_TYPE");
    std::string t = env ? env : "float32";
    if (t == "float64") return ASIOSTFloat64LSB;
    if (t == "int16") return ASIOSTInt16LSB;
    if (t == "int24") return ASIOSTInt24LSB;
    if (t == "int32") return ASIOSTInt32LSB;
    if (t == "int16msb") return ASIOSTInt16MSB;
    return ASIOSTFloat32LSB;
}

std::size_t sampleBytes(ASIOSampleType t) {
    switch (t) {
        case ASIOSTFloat64LSB:
            return 8;
        case ASIOSTInt16LSB:
        case ASIOSTInt16MSB:
            return 2;
        case ASIOSTInt24LSB:
            return 3;
        default:
            return 4;
    }
}

long long toInt(double v, double full) {
    double x = std::round(std::fmax(-1.0, std::fmin(1.0, v)) * full);
    return static_cast<long long>(x);
}

void writeSample(void* half, ASIOSampleType t, long k, double v) {
    auto* p = static_cast<unsigned char*>(half) + std::size_t(k) * sampleBytes(t);
    switch (t) {
        case ASIOSTFloat32LSB: {
            float f = float(v);
            std::memcpy(p, &f, 4);
            break;
        }
        case ASIOSTFloat64LSB:
            std::memcpy(p, &v, 8);
            break;
        case ASIOSTInt16LSB: {
            auto u = static_cast<std::uint16_t>(toInt(v, 32767));
            p[0] = u & 0xff;
            p[1] = u >> 8;
            break;
        }
        case ASIOSTInt16MSB: {
            auto u = static_cast<std::uint16_t>(toInt(v, 32767));
            p[0] = u >> 8;
            p[1] = u & 0xff;
            break;
        }
        case ASIOSTInt24LSB: {
            auto u = static_cast<std::uint32_t>(toInt(v, 8388607));
            p[0] = u & 0xff;
            p[1] = (u >> 8) & 0xff;
            p[2] = (u >> 16) & 0xff;
            break;
        }
        default: {
            auto u = static_cast<std::uint32_t>(toInt(v, 2147483647.0));
            for (int b = 0; b < 4; ++b) p[b] = (u >> (8 * b)) & 0xff;
        }
    }
}

double readSample(const void* half, ASIOSampleType t, long k) {
    const auto* p = static_cast<const unsigned char*>(half) + std::size_t(k) * sampleBytes(t);
    switch (t) {
        case ASIOSTFloat32LSB: {
            float f;
            std::memcpy(&f, p, 4);
            return f;
        }
        case ASIOSTFloat64LSB: {
            double d;
            std::memcpy(&d, p, 8);
            return d;
        }
        case ASIOSTInt16LSB:
            return static_cast<std::int16_t>(p[0] | p[1] << 8) / 32768.0;
        case ASIOSTInt16MSB:
            return static_cast<std::int16_t>(p[1] | p[0] << 8) / 32768.0;
        case ASIOSTInt24LSB: {
            std::uint32_t u =
                std::uint32_t(p[0]) << 8 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 24;
            return static_cast<std::int32_t>(u) / 2147483648.0;
        }
        default: {
            std::uint32_t u = std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 |
                              std::uint32_t(p[2]) << 16 | std::uint32_t(p[3]) << 24;
            return static_cast<std::int32_t>(u) / 2147483648.0;
        }
    }
}

long long nowNs() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

enum class St { Loaded, Initialized, Prepared, Running };

struct Channel {
    bool input = false;
    long number = 0;
    std::vector<unsigned char> half[2];
};

struct Fixture;

// What the host sees: standard layout, the driver object first.
struct Object {
    FoldbackDriver base;
    Fixture* impl;
};

struct Fixture {
    Object object{};
    std::atomic<unsigned long> refs{1};
    Faults faults = readFaults();
    ASIOSampleType type = readType();
    std::string name;
    St state = St::Loaded;
    std::string error;
    double rate = 48000;
    long bufferSize = 0;
    ASIOCallbacks cb{};
    bool timeInfo = false;
    std::vector<Channel> channels;
    std::vector<double> ring[kOutputs];  // the "analog" signal of each output, by frame time
    std::thread thread;
    std::atomic<bool> stopFlag{false};
    std::atomic<bool> running{false};
    std::atomic<long long> latchedPosition{0}, latchedTime{0};
    ASIOTime time{};

    long fail(long code, const std::string& text) {
        error = text;
        return code;
    }
    bool active(bool input, long ch) const {
        for (const auto& c : channels) {
            if (c.input == input && c.number == ch) return true;
        }
        return false;
    }
    long outputLatency() const {
        long n = state >= St::Prepared ? bufferSize : kPreferredSize;
        return n + kOutputExtra;
    }
    long inputLatency() const {
        long n = state >= St::Prepared ? bufferSize : kPreferredSize;
        return n + kInputExtra;
    }
    void joinThread() {
        if (thread.joinable()) thread.join();
    }
    void stopStream() {
        stopFlag.store(true);
        joinThread();
        running.store(false);
    }
    void audioLoop();
};

Fixture* self(FoldbackDriver* d) {
    return reinterpret_cast<Object*>(d)->impl;
}

void Fixture::audioLoop() {
    const long n = bufferSize;
    const long inLat = inputLatency(), outLat = outputLatency();
    const double periodNs = double(n) * 1e9 / (rate * (faults.slowClock ? 0.99 : 1.0));
    const long long t0 = nowNs();
    bool lateDone = false;
    for (long long b = 0;; ++b) {
        long long deadline = t0 + static_cast<long long>(std::llround(double(b) * periodNs));
        timespec ts{static_cast<time_t>(deadline / 1000000000LL),
                    static_cast<long>(deadline % 1000000000LL)};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) != 0) {
        }
        if (stopFlag.load()) {
            if (faults.lateCallback && !lateDone) {
                lateDone = true;  // planted: one more switch after stop() returned
            } else {
                break;
            }
        }
        const int index = int((b + (faults.indexFrom1 ? 1 : 0)) & 1);
        for (auto& c : channels) {
            if (!c.input) continue;
            for (long j = 0; j < n; ++j) {
                long long t = b * n + j - inLat;
                double v =
                    t >= 0 && c.number < kOutputs ? ring[c.number][std::size_t(t) % kRing] : 0.0;
                writeSample(c.half[index].data(), type, j, v);
            }
        }
        const long long position = b * n + (faults.positionOffset ? n : 0);
        latchedPosition.store(position);
        latchedTime.store(deadline);
        if (timeInfo) {
            time.timeInfo.samplePosition = position;
            time.timeInfo.systemTime = deadline;
            time.timeInfo.sampleRate = rate;
            time.timeInfo.speed = 1.0;
            time.timeInfo.flags = kSystemTimeValid | kSamplePositionValid | kSampleRateValid;
            cb.bufferSwitchTimeInfo(&time, index, ASIOTrue);
        } else {
            cb.bufferSwitch(index, ASIOTrue);
        }
        for (long ch = 0; ch < kOutputs; ++ch) {
            const Channel* out = nullptr;
            for (const auto& c : channels) {
                if (!c.input && c.number == ch) out = &c;
            }
            for (long k = 0; k < n; ++k) {
                long long t = b * n + k + outLat;
                ring[ch][std::size_t(t) % kRing] =
                    out ? readSample(out->half[index].data(), type, k) : 0.0;
            }
        }
    }
}

// ---- the vtable -----------------------------------------------------------------------

long queryInterface(FoldbackDriver* d, const void*, void** out) {
    if (out == nullptr) return 1;
    self(d)->refs.fetch_add(1);
    *out = d;
    return 0;
}

unsigned long addRef(FoldbackDriver* d) {
    return self(d)->refs.fetch_add(1) + 1;
}

unsigned long release(FoldbackDriver* d) {
    Fixture* f = self(d);
    unsigned long left = f->refs.fetch_sub(1) - 1;
    if (left > 0) return left;
    if (f->faults.releaseNoJoin && f->thread.joinable()) {
        // Planted: the audio thread keeps the (leaked) object and makes one more switch.
        f->faults.lateCallback = true;  // read by the thread only after it sees stopFlag
        f->stopFlag.store(true);
        f->thread.detach();
        return 0;
    }
    f->stopStream();
    delete f;
    return 0;
}

ASIOBool init(FoldbackDriver* d, void*) {
    Fixture* f = self(d);
    if (f->state == St::Initialized) return ASIOTrue;
    if (f->state != St::Loaded) {
        f->fail(0, "init: the driver is already prepared; call disposeBuffers first");
        return ASIOFalse;
    }
    if (f->name.empty()) {
        f->fail(0, "init: no instance name; call future(0x7F000001, name) before init");
        return ASIOFalse;
    }
    f->state = St::Initialized;
    return ASIOTrue;
}

void getDriverName(FoldbackDriver* d, char* out) {
    if (out == nullptr) return;
    Fixture* f = self(d);
    std::string n = f->name.empty() ? "Fixture" : f->name;
    std::memcpy(out, n.c_str(), n.size() + 1);
    if (f->faults.nameOverflow) std::memset(out + 32, 0, 8);
}

long getDriverVersion(FoldbackDriver*) {
    return 1;
}

void getErrorMessage(FoldbackDriver* d, char* out) {
    if (out == nullptr) return;
    std::string e = self(d)->error.substr(0, 123);
    std::memcpy(out, e.c_str(), e.size() + 1);
}

ASIOError start(FoldbackDriver* d) {
    Fixture* f = self(d);
    if (f->state == St::Running) {
        if (f->faults.startTwiceError) return f->fail(ASE_InvalidMode, "start: already running");
        return ASE_OK;
    }
    if (f->state != St::Prepared)
        return f->fail(ASE_InvalidMode, "start: call createBuffers first");
    f->joinThread();  // a thread left by the late_callback fault
    f->stopFlag.store(false);
    for (auto& r : f->ring) std::fill(r.begin(), r.end(), 0.0);
    f->running.store(true);
    f->state = St::Running;
    f->thread = std::thread([f] { f->audioLoop(); });
    return ASE_OK;
}

ASIOError stop(FoldbackDriver* d) {
    Fixture* f = self(d);
    if (f->state == St::Loaded) return f->fail(ASE_InvalidMode, "stop: call init first");
    if (f->state != St::Running) return ASE_OK;
    f->stopFlag.store(true);
    if (!f->faults.lateCallback) f->joinThread();
    f->running.store(false);
    f->state = St::Prepared;
    return ASE_OK;
}

ASIOError getChannels(FoldbackDriver* d, long* in, long* out) {
    Fixture* f = self(d);
    if (f->state == St::Loaded) return f->fail(ASE_NotPresent, "getChannels: call init first");
    if (!in || !out) return f->fail(ASE_InvalidParameter, "getChannels: NULL pointer");
    *in = kInputs;
    *out = kOutputs;
    return ASE_OK;
}

ASIOError getLatencies(FoldbackDriver* d, long* in, long* out) {
    Fixture* f = self(d);
    if (f->state == St::Loaded) return f->fail(ASE_NotPresent, "getLatencies: call init first");
    if (!in || !out) return f->fail(ASE_InvalidParameter, "getLatencies: NULL pointer");
    *in = f->inputLatency();
    *out = f->outputLatency() - (f->faults.latencyShort ? 1 : 0);
    return ASE_OK;
}

ASIOError getBufferSize(FoldbackDriver* d, long* mn, long* mx, long* pref, long* gran) {
    Fixture* f = self(d);
    if (f->state == St::Loaded) return f->fail(ASE_NotPresent, "getBufferSize: call init first");
    if (!mn || !mx || !pref || !gran)
        return f->fail(ASE_InvalidParameter, "getBufferSize: NULL pointer");
    *mn = kMinSize;
    *mx = kMaxSize;
    *pref = kPreferredSize;
    *gran = -1;
    return ASE_OK;
}

bool rateSupported(double r) {
    return r == 44100 || r == 48000 || r == 96000;
}

ASIOError canSampleRate(FoldbackDriver* d, ASIOSampleRate r) {
    Fixture* f = self(d);
    if (f->state == St::Loaded) return f->fail(ASE_NotPresent, "canSampleRate: call init first");
    if (!rateSupported(r)) return f->fail(ASE_NoClock, "canSampleRate: 44100, 48000 or 96000 Hz");
    return ASE_OK;
}

ASIOError getSampleRate(FoldbackDriver* d, ASIOSampleRate* r) {
    Fixture* f = self(d);
    if (f->state == St::Loaded) return f->fail(ASE_NotPresent, "getSampleRate: call init first");
    if (!r) return f->fail(ASE_InvalidParameter, "getSampleRate: NULL pointer");
    *r = f->rate;
    return ASE_OK;
}

ASIOError setSampleRate(FoldbackDriver* d, ASIOSampleRate r) {
    Fixture* f = self(d);
    if (f->state == St::Loaded) return f->fail(ASE_NotPresent, "setSampleRate: call init first");
    if (r == 0) return f->fail(ASE_NoClock, "setSampleRate: no external clock");
    if (!rateSupported(r)) return f->fail(ASE_NoClock, "setSampleRate: 44100, 48000 or 96000 Hz");
    if (r == f->rate) return ASE_OK;
    if (f->state == St::Running) return f->fail(ASE_InvalidMode, "setSampleRate: stop first");
    f->rate = r;
    return ASE_OK;
}

ASIOError getClockSources(FoldbackDriver* d, ASIOClockSource* clocks, long* num) {
    Fixture* f = self(d);
    if (f->state == St::Loaded) return f->fail(ASE_NotPresent, "getClockSources: call init first");
    if (!clocks || !num || *num <= 0)
        return f->fail(ASE_InvalidParameter, "getClockSources: bad arguments");
    ASIOClockSource c{};
    c.index = 0;
    c.associatedChannel = -1;
    c.associatedGroup = -1;
    c.isCurrentSource = ASIOTrue;
    std::strcpy(c.name, "Internal");
    clocks[0] = c;
    *num = 1;
    return ASE_OK;
}

ASIOError setClockSource(FoldbackDriver* d, long ref) {
    Fixture* f = self(d);
    if (f->state == St::Loaded) return f->fail(ASE_NotPresent, "setClockSource: call init first");
    if (ref != 0) return f->fail(ASE_InvalidParameter, "setClockSource: only source 0 exists");
    return ASE_OK;
}

ASIOError getSamplePosition(FoldbackDriver* d, ASIOSamples* pos, ASIOTimeStamp* ts) {
    Fixture* f = self(d);
    if (f->state == St::Loaded)
        return f->fail(ASE_NotPresent, "getSamplePosition: call init first");
    if (!pos || !ts) return f->fail(ASE_InvalidParameter, "getSamplePosition: NULL pointer");
    if (!f->running.load()) return f->fail(ASE_SPNotAdvancing, "getSamplePosition: not running");
    *pos = f->latchedPosition.load();
    *ts = f->latchedTime.load();
    return ASE_OK;
}

ASIOError getChannelInfo(FoldbackDriver* d, ASIOChannelInfo* info) {
    Fixture* f = self(d);
    if (f->state == St::Loaded) return f->fail(ASE_NotPresent, "getChannelInfo: call init first");
    if (!info) return f->fail(ASE_InvalidParameter, "getChannelInfo: NULL pointer");
    long count = info->isInput ? kInputs : kOutputs;
    if (info->channel < 0 || info->channel >= count)
        return f->fail(ASE_InvalidParameter, "getChannelInfo: no such channel");
    info->isActive = f->active(info->isInput != 0, info->channel) ? ASIOTrue : ASIOFalse;
    info->channelGroup = 0;
    info->type = f->type;
    std::string n = std::string(info->isInput ? "In " : "Out ") + std::to_string(info->channel + 1);
    std::memset(info->name, 0, sizeof info->name);
    std::memcpy(info->name, n.c_str(), n.size());
    return ASE_OK;
}

bool powerOfTwo(long v) {
    return v > 0 && (v & (v - 1)) == 0;
}

ASIOError createBuffers(FoldbackDriver* d, ASIOBufferInfo* infos, long n, long size,
                        const ASIOCallbacks* cb) {
    Fixture* f = self(d);
    if (f->state != St::Initialized)
        return f->fail(ASE_InvalidMode, "createBuffers: only once, after init");
    if (!infos) return f->fail(ASE_InvalidMode, "createBuffers: bufferInfos is NULL");
    if (!cb || !cb->bufferSwitch)
        return f->fail(ASE_InvalidParameter, "createBuffers: no bufferSwitch callback");
    if (n <= 0 || n > kInputs + kOutputs)
        return f->fail(ASE_InvalidMode, "createBuffers: bad numChannels");
    if (size < kMinSize || size > kMaxSize || (!powerOfTwo(size) && !f->faults.acceptBadSize)) {
        return f->fail(ASE_InvalidMode, "createBuffers: sizes are powers of two from 32 to 2048");
    }
    std::vector<Channel> chans;
    for (long i = 0; i < n; ++i) {
        bool input = infos[i].isInput != 0;
        long ch = infos[i].channelNum;
        if (ch < 0 || ch >= (input ? kInputs : kOutputs))
            return f->fail(ASE_InvalidMode, "createBuffers: no such channel");
        for (const auto& c : chans) {
            if (c.input == input && c.number == ch)
                return f->fail(ASE_InvalidMode, "createBuffers: channel twice");
        }
        Channel c;
        c.input = input;
        c.number = ch;
        chans.push_back(std::move(c));
    }
    f->channels = std::move(chans);
    for (long i = 0; i < n; ++i) {
        auto& c = f->channels[std::size_t(i)];
        for (int h = 0; h < 2; ++h) {
            c.half[h].assign(std::size_t(size) * sampleBytes(f->type), 0);
            infos[i].buffers[h] = c.half[h].data();
        }
    }
    for (auto& r : f->ring) r.assign(kRing, 0.0);
    f->bufferSize = size;
    f->cb = *cb;
    f->timeInfo = false;
    if (cb->asioMessage && cb->bufferSwitchTimeInfo &&
        cb->asioMessage(kAsioSelectorSupported, kAsioSupportsTimeInfo, nullptr, nullptr) == 1 &&
        cb->asioMessage(kAsioSupportsTimeInfo, 0, nullptr, nullptr) == 1) {
        f->timeInfo = true;
    }
    f->state = St::Prepared;
    return ASE_OK;
}

ASIOError disposeBuffers(FoldbackDriver* d) {
    Fixture* f = self(d);
    if (f->state != St::Prepared && f->state != St::Running) {
        return f->fail(ASE_InvalidMode, "disposeBuffers: nothing prepared");
    }
    f->stopStream();
    f->channels.clear();
    f->cb = ASIOCallbacks{};
    f->state = St::Initialized;
    return ASE_OK;
}

ASIOError controlPanel(FoldbackDriver* d) {
    return self(d)->fail(ASE_NotPresent, "controlPanel: no panel");
}

ASIOError future(FoldbackDriver* d, long selector, void* opt) {
    Fixture* f = self(d);
    switch (selector) {
        case kFoldbackSetInstanceName: {
            const char* n = static_cast<const char*>(opt);
            if (n == nullptr || *n == 0) return ASE_SUCCESS;
            if (f->state != St::Loaded)
                return f->fail(ASE_InvalidMode, "future(0x7F000001): only before init");
            std::string s = n;
            if (s.size() > 31 || s.find('/') != std::string::npos || s[0] == '.' ||
                s.rfind("fixture", 0) != 0) {
                return f->fail(ASE_NotPresent, "future(0x7F000001): no such instance");
            }
            f->name = s;
            return ASE_SUCCESS;
        }
        case kAsioCanTimeInfo:
        case kAsioCanReportOverload:
            return ASE_SUCCESS;
        case kAsioCanInputMonitor:
        case kAsioCanTimeCode:
        case kAsioCanTransport:
        case kAsioCanInputGain:
        case kAsioCanInputMeter:
        case kAsioCanOutputGain:
        case kAsioCanOutputMeter:
        case kAsioSetInputMonitor:
        case kAsioTransport:
        case kAsioSetInputGain:
        case kAsioGetInputMeter:
        case kAsioSetOutputGain:
        case kAsioGetOutputMeter:
        case kAsioEnableTimeCodeRead:
        case kAsioDisableTimeCodeRead:
            return f->fail(ASE_NotPresent, "future: feature not present");
        case kAsioGetInternalBufferSamples: {
            if (!opt)
                return f->fail(ASE_InvalidParameter, "future(kAsioGetInternalBufferSamples): NULL");
            auto* info = static_cast<ASIOInternalBufferInfo*>(opt);
            info->inputSamples = kInputExtra;
            info->outputSamples = kOutputExtra;
            return ASE_SUCCESS;
        }
        case kAsioGetIoFormat:
        case kAsioSetIoFormat:
        case kAsioCanDoIoFormat: {
            if (!opt) return f->fail(ASE_InvalidParameter, "future(IoFormat): NULL");
            auto* fmt = static_cast<ASIOIoFormat*>(opt);
            if (selector == kAsioGetIoFormat) {
                fmt->FormatType = kASIOPCMFormat;
                return ASE_SUCCESS;
            }
            if (selector == kAsioSetIoFormat && f->state >= St::Prepared) {
                return f->fail(ASE_InvalidMode,
                               "future(kAsioSetIoFormat): before createBuffers only");
            }
            if (fmt->FormatType != kASIOPCMFormat) {
                fmt->FormatType = kASIOFormatInvalid;
                return f->fail(ASE_NotPresent, "future(IoFormat): PCM only");
            }
            return ASE_SUCCESS;
        }
        default:
            if (f->faults.unknownSelectorOk) return ASE_OK;
            return f->fail(ASE_InvalidParameter, "future: unknown selector");
    }
}

ASIOError outputReady(FoldbackDriver* d) {
    Fixture* f = self(d);
    if (f->state == St::Loaded) return f->fail(ASE_NotPresent, "outputReady: call init first");
    return ASE_OK;
}

const FoldbackDriverVtbl kVtbl = {queryInterface,
                                  addRef,
                                  release,
                                  init,
                                  getDriverName,
                                  getDriverVersion,
                                  getErrorMessage,
                                  start,
                                  stop,
                                  getChannels,
                                  getLatencies,
                                  getBufferSize,
                                  canSampleRate,
                                  getSampleRate,
                                  setSampleRate,
                                  getClockSources,
                                  setClockSource,
                                  getSamplePosition,
                                  getChannelInfo,
                                  createBuffers,
                                  disposeBuffers,
                                  controlPanel,
                                  future,
                                  outputReady};

}  // namespace

extern "C" {

__attribute__((visibility("default"))) FoldbackDriver* instantiateDriver(void) {
    auto* f = new Fixture();
    f->object.base.lpVtbl = &kVtbl;
    f->object.impl = f;
    return &f->object.base;
}

__attribute__((visibility("default"))) void releaseDriver(FoldbackDriver*) {}
__attribute__((visibility("default"))) int registerDriver(const char*) {
    return 0;
}
__attribute__((visibility("default"))) int unregisterDriver(const char*) {
    return 0;
}

}  // extern "C"
