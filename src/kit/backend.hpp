// The backend contract: what a driver implements on top of the kit. The kit does the
// whole ASIO contract (states, validation, errors, double buffers, time, messages,
// threads); a backend only opens the device, starts and stops it, and delivers periods
// in one of three styles (DESIGN.md §4):
//
//   Style::Engine    the backend's engine owns the audio thread and calls
//                    PeriodSink::process() once per period (JACK, PipeWire).
//   Style::Device    the kit owns the audio thread: it calls wait() (which blocks on the
//                    device), then begin()/end() around the host's switch (ALSA).
//   Style::Timer     the kit owns the audio thread and sleeps to absolute CLOCK_MONOTONIC
//                    deadlines, then calls begin()/end() (virtual devices: loopback, file).
//
// Thread tags: [control] one host control thread; [rt] the audio thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "convert/convert.hpp"
#include "foldback/driver.h"
#include "kit/config.hpp"

namespace foldback::kit {

struct ChannelSpec {
    std::string name;  // at most 31 bytes are shown; most significant words first
    long group = 0;
};

struct BufferSizes {
    long min = 16, max = 8192, preferred = 256;
    long granularity = 1;  // -1 = powers of two; 0 = only `preferred` (min == max)
};

struct Capabilities {
    std::vector<ChannelSpec> inputs, outputs;
    ASIOSampleType sampleType = ASIOSTFloat32LSB;  // one type for every channel
    BufferSizes bufferSizes;
    std::vector<double> rates;  // every rate canSampleRate accepts
    double rate = 48000;        // current
    std::vector<std::string> clockSources{"Internal"};
};

// How the backend's period data is laid out, per direction.
struct DeviceLayout {
    bool asioNative = true;    // one buffer per channel in Capabilities::sampleType
    bool interleaved = false;  // else: one buffer per channel in `format`
    convert::DeviceFormat format = convert::DeviceFormat::FLOAT_LE;
};

// What createBuffers asked for.
struct StreamSetup {
    long bufferSize = 0;
    double rate = 0;
    std::vector<bool> activeInputs, activeOutputs;  // per device channel
};

// One period's device data. Non-interleaved: one pointer per device channel (all of
// them, active or not). Interleaved: ptrs[0] only.
struct DeviceIo {
    const void* const* in = nullptr;
    void* const* out = nullptr;
};

class StreamCore;

// A device the backend can see (kFoldbackListDevices).
struct DeviceCandidate {
    std::string id;           // what the instance's config names
    std::string description;  // one line: name, channels, formats, rates
    long inputs = 0, outputs = 0;
};

struct Latency {
    long input = 0;  // frames, all device and driver buffering, without calibration
    long output = 0;
    long internalInput = 0;  // buffering beyond the double buffer (kAsioGetInternalBufferSamples)
    long internalOutput = 0;
};

// The kit's side, given to the backend at open().
class KitContext {
  public:
    virtual ~KitContext() = default;
    // [any] The period for Style::Engine: device input already in io.in, io.out filled on
    // return. frames must equal the prepared buffer size. timeNs is CLOCK_MONOTONIC ns of
    // the period's first frame (already filtered by the engine); framesDelta the engine's
    // frame counter advance since the previous period (used only as a delta, so 32-bit
    // wrapping engine counters are harmless); a delta larger than the buffer size means
    // frames were lost: the position jumps and the host gets kAsioResyncRequest.
    // Not virtual: the period's call reads no vtable, which lives on a page of its own
    // (kit/hot.hpp); it reaches the stream core beside this object's vtable pointer.
    void process(const DeviceIo& io, long frames, std::int64_t timeNs, long framesDelta) noexcept;
    // [any] An xrun the engine reported: kAsioOverload, counted.
    virtual void overload() noexcept = 0;
    // [any] The device is gone or must be re-created: kAsioResetRequest (once per cause).
    virtual void resetRequest() noexcept = 0;
    // [any] The device's rate changed under us: sampleRateDidChange(rate) and
    // kSampleRateChanged in the next time info.
    virtual void rateChanged(double rate) noexcept = 0;
    // [any] Latencies changed (buffer size unchanged): kAsioLatenciesChanged.
    virtual void latenciesChanged() noexcept = 0;
    // [any, not the audio thread] The engine's period changed: getBufferSize reports
    // `sizes` from now on; the host gets kAsioBufferSizeChange where it takes it, else
    // kAsioResetRequest; until it re-creates its buffers (some hosts never do) the switch
    // keeps the size it created, through the kit's FIFO, whose latency is reported.
    virtual void bufferSizeChanged(const BufferSizes& sizes) noexcept = 0;
    // [control] The thread creator the host supplied (or pthread_create), for engines that
    // accept one (jack_set_thread_creator, PipeWire's thread utils).
    virtual const FoldbackThreadCreator& threadCreator() const noexcept = 0;
    // The instance name and its settings.
    virtual const std::string& instanceName() const noexcept = 0;
    virtual const Config& config() const noexcept = 0;

  protected:
    // [control] The prepared stream's core (null without buffers); set and cleared only
    // while no period runs (the engine link's window is closed).
    StreamCore* engineCore_ = nullptr;
};

enum class Style { Engine, Device, Timer };

enum class WaitResult { Ready, Stopped, Lost };

class Backend {
  public:
    virtual ~Backend() = default;

    // The kit attaches its context right after making the backend, before open(), so
    // future() (fault injection, device discovery) can use it on a backend never opened.
    void attach(KitContext& context) noexcept { context_ = &context; }
    KitContext& context() const noexcept { return *context_; }

    virtual Style style() const noexcept = 0;
    // [control] init(): open the device or connect to the server and describe it. Throws
    // kit::Error with a message a person can act on.
    virtual Capabilities open(KitContext& kit) = 0;
    // [control] release: undo open(). Never called while streaming.
    virtual void close() noexcept {}

    // [control] The default accepts exactly Capabilities::rates.
    virtual bool canSampleRate(double rate, const Capabilities& caps) const;
    // [control] Switch the device to rate (canSampleRate said yes). Not while running.
    virtual void setSampleRate(double rate) { (void)rate; }

    // [control] Latency in frames for a buffer size (an estimate before prepare()).
    virtual Latency latency(long bufferSize) const = 0;
    virtual DeviceLayout layout() const { return {}; }

    // [control] createBuffers / disposeBuffers.
    virtual void prepare(const StreamSetup& setup) = 0;
    virtual void unprepare() noexcept {}

    // [control] Start the device (Engine: start the engine, whose thread then calls
    // KitContext::process). Stop: after it returns no period runs.
    virtual void start() = 0;
    virtual void stop() noexcept = 0;

    // ---- Style::Device and Style::Timer: called on the kit's audio thread ------------
    // Device: block until a period can be transferred (or the stream stops / the device
    // is lost). Timer backends do not implement it: the kit sleeps to its deadlines.
    virtual WaitResult wait() noexcept { return WaitResult::Stopped; }
    // [rt] Expose the device's buffers for the next period: input filled, output to fill.
    virtual DeviceIo begin() noexcept = 0;
    // [rt] The output of the period is complete; hand it to the device.
    virtual void end() noexcept = 0;
    // [rt] The kit skipped `periods` whole periods (late wake-up beyond the catch-up
    // limit, or injected frame loss): the device clock ran on while nobody listened.
    // Style::Device (injected frame loss): the next wait() lets the device run through
    // that many periods (capture dropped, silence played) before it returns Ready.
    virtual void skip(long periods) noexcept { (void)periods; }
    // [rt] Style::Device, right after wait() returned Ready: how many whole periods the
    // device lost since the previous period (an xrun it recovered from by restarting).
    // The kit jumps the position over them, sends kAsioOverload and kAsioResyncRequest,
    // and starts its time line afresh. 0 = none (the default).
    virtual long lostPeriods() noexcept { return 0; }
    // [rt] Style::Device, right after wait() returned Ready: periods the device already
    // holds beyond this one (a late wake-up, no data lost); the next waits deliver them
    // back to back. Report each late wake-up once: the kit counts them as late periods and
    // sends one kAsioOverload, as for its timer thread. 0 = none (the default).
    virtual long latePeriods() noexcept { return 0; }
    // [control] Style::Device: the kit is stopping its audio thread. Make a wait() that is
    // blocked now, or is entered later, return WaitResult::Stopped promptly (e.g. write an
    // eventfd the wait polls; re-arm it in start()). Called before the kit joins the thread.
    virtual void interruptWait() noexcept {}
    // [rt] Style::Timer: the (virtual) device is gone. The kit stops delivering periods
    // and sends kAsioResetRequest once.
    virtual bool deviceLost() const noexcept { return false; }
    // [any] Optional: why the device is gone and what to do, for getErrorMessage (stable
    // storage, the backend's lifetime). When it returns text, every call that needs the
    // device fails with it while deviceLost() (engines: a server shut down under us).
    virtual const char* lostMessage() const noexcept { return nullptr; }

    // [control] Driver-specific future() selectors in Foldback's reserved range (fault
    // injection...). Return ASE_InvalidParameter for selectors you do not know.
    virtual ASIOError future(long selector, void* opt) {
        (void)selector;
        (void)opt;
        return ASE_InvalidParameter;
    }
    // [control] Devices this backend can see, without open(). Virtual devices: none.
    virtual std::vector<DeviceCandidate> discover() const { return {}; }
    // [control] Driver version for getDriverVersion.
    virtual long version() const noexcept { return 1; }

  private:
    KitContext* context_ = nullptr;
};

}  // namespace foldback::kit
