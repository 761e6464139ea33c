// foldback/host.hpp -- the C++ host API: load a driver instance by name, query it, and
// stream through it with RAII objects.
//
//   foldback::Driver driver = foldback::Driver::load("loopback");
//   MyHandler handler;                       // implements foldback::Handler
//   foldback::Stream stream = driver.open({.inputs = {0, 1}, .outputs = {0, 1}}, handler);
//   stream.start();
//   ...                                      // ~Stream stops and disposes; ~Driver releases
//
// Several drivers may be open and streaming at once: each stream gets its own callback
// trampolines (the ASIO callbacks carry no context pointer), up to kMaxStreams at a time.
// Thread tags: [control] any one thread at a time; [rt] the driver's audio thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "foldback/asio.h"
#include "foldback/driver.h"

namespace foldback {

// Every failure: the call, the driver's ASIOError and its getErrorMessage text.
class HostError : public std::runtime_error {
  public:
    HostError(std::string message, ASIOError code = ASE_NotPresent)
        : std::runtime_error(std::move(message)), code_(code) {}
    ASIOError code() const noexcept { return code_; }

  private:
    ASIOError code_;
};

// "ASE_InvalidMode", ...
const char* errorName(ASIOError code) noexcept;

struct ChannelInfo {
    long channel = 0;
    bool input = false;
    bool active = false;
    long group = 0;
    ASIOSampleType type = 0;
    std::string name;
};

struct BufferSizes {
    long min = 0, max = 0, preferred = 0, granularity = 0;
    // Every size the driver accepts (min..max by granularity, powers of two, or preferred).
    std::vector<long> allowed(long limit = 65536) const;
    bool accepts(long size) const noexcept;
};

struct Latencies {
    long input = 0, output = 0;
};

struct ClockSource {
    long index = 0;
    bool current = false;
    std::string name;
};

// One period as the host callback sees it. in/out hold the half `index` of every channel
// the stream opened, in the order of Request::inputs / Request::outputs, in `type`.
struct Period {
    long index = 0;             // 0 or 1
    long frames = 0;            // the buffer size
    std::int64_t position = 0;  // frames since start, of the first frame of this half
    std::int64_t timeNs = 0;    // CLOCK_MONOTONIC ns of that frame
    ASIOSampleType type = 0;
    std::span<void* const> in;
    std::span<void* const> out;
};

// What a driver told the host (counted by the stream; handler hooks are optional).
struct StreamEvents {
    long long overloads = 0, resyncs = 0, resets = 0, latencyChanges = 0, rateChanges = 0,
              bufferSizeChanges = 0;
    double lastRate = 0;
};

class Handler {
  public:
    virtual ~Handler() = default;
    // [rt] Read in, write out. No allocation, locks or I/O here.
    virtual void process(const Period& period) = 0;
    // [rt or any driver thread] A notification arrived (kAsioOverload, kAsioResetRequest,
    // ...). Never tear the driver down from here: set a flag and act on a control thread.
    virtual void notify(long selector, long value) noexcept {
        (void)selector;
        (void)value;
    }
};

// Float convenience: whatever the driver's sample type, the handler sees float32
// channels (converted by src/convert; zero-copy when the driver uses Float32LSB).
class FloatHandler : public Handler {
  public:
    struct Block {
        std::span<const float* const> in;
        std::span<float* const> out;
        long frames;
        std::int64_t position;
        std::int64_t timeNs;
    };
    // [rt]
    virtual void processFloat(const Block& block) = 0;

  private:
    friend class Stream;
    void process(const Period&) final {}
};

struct Request {
    std::vector<long> inputs;    // input channel numbers
    std::vector<long> outputs;   // output channel numbers
    long bufferSize = 0;         // 0 = the driver's preferred size
    double sampleRate = 0;       // 0 = leave the driver's rate
    bool timeInfo = true;        // answer kAsioSupportsTimeInfo with 1
    bool useOutputReady = true;  // call outputReady() after each period when the driver wants it
};

class Stream;

class Driver {
  public:
    // [control] Resolves name through the registry, loads and initializes it. Throws
    // HostError with the loader's or the driver's message.
    static Driver load(std::string_view instanceName);
    // Wraps an instance you made (one reference, name set); calls init.
    static Driver adopt(FoldbackDriver* raw, std::shared_ptr<void> library, std::string name);

    Driver(Driver&&) noexcept;
    Driver& operator=(Driver&&) noexcept;
    ~Driver();  // releases (the driver stops and disposes itself first)

    const std::string& instanceName() const noexcept;
    std::string driverName() const;
    long driverVersion() const;
    long inputCount() const;
    long outputCount() const;
    std::vector<ChannelInfo> channels(bool input) const;
    BufferSizes bufferSizes() const;
    double sampleRate() const;
    bool canSampleRate(double rate) const;
    void setSampleRate(double rate);
    std::vector<double> supportedRates(std::span<const double> candidates) const;
    Latencies latencies() const;
    std::vector<ClockSource> clockSources() const;
    bool outputReadySupported() const;  // probed once at load
    bool supportsTimeInfo() const;
    bool canReportOverload() const;

    // [control] createBuffers. One stream per driver at a time.
    Stream open(const Request& request, Handler& handler);

    FoldbackDriver* raw() const noexcept;

  private:
    struct State;
    explicit Driver(std::shared_ptr<State> s);
    std::shared_ptr<State> s_;  // shared with an open Stream: either may go first
    friend class Stream;
};

class Stream {
  public:
    Stream(Stream&&) noexcept;
    Stream& operator=(Stream&&) noexcept;
    ~Stream();  // stop + disposeBuffers

    void start();
    void stop();
    bool running() const noexcept;
    long bufferSize() const noexcept;
    ASIOSampleType sampleType() const noexcept;
    bool timeInfoMode() const noexcept;  // whether the host side asked for bufferSwitchTimeInfo
    Latencies latencies() const;
    StreamEvents events() const noexcept;
    long long periods() const noexcept;
    // True once the driver asked for a reset (kAsioResetRequest): stop, destroy this
    // stream and the Driver, then load again.
    bool resetRequested() const noexcept;
    // Driver statistics (Foldback drivers; zeros elsewhere).
    FoldbackCounters counters() const;

    static constexpr int kMaxStreams = 16;
    struct Impl;  // implementation detail (src/host/host.cpp)

  private:
    explicit Stream(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
    friend class Driver;
};

}  // namespace foldback
