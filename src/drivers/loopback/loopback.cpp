// The loopback driver: a virtual interface on the kit's timer thread (Style::Timer).
// Output k comes back on input routing[k]'s... precisely: input i hears output
// routing[i] (-1 = silence), after the converter delays, so a path can be observed without
// feedback. Its latency is exact by construction, which makes it the reference every
// measurement tool is checked against.
//
// Timeline, period n (B frames): the switch at deadline D_n delivers input captured during
// [D_n-1, D_n) and takes output that plays during [D_n+1, D_n+2). So input latency is B
// plus the ADC delay, output latency B plus the DAC delay, and a sample written at
// position p returns at p + 2B + input_delay + output_delay. The delay lines below hold
// exactly that many frames.
//
// Settings ([loopback] in the instance's config.toml; docs/drivers/loopback.md):
//   inputs = 8, outputs = 8           1..256 / 0..256
//   rate = 48000                      one of 44100 48000 88200 96000 176400 192000
//   buffer_size = 256                 preferred; any size 16..8192 is accepted
//   input_delay = 0, output_delay = 0 converter delays in frames
//   routing = [0, 1, ...]             per input: the output it hears, -1 = silence
//   sample_type = "Float32LSB"        any PCM ASIO type name
#include <atomic>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kit/backend.hpp"
#include "kit/entry_points.hpp"
#include "kit/error.hpp"

namespace foldback::loopback {

using namespace foldback::kit;

namespace {

const std::vector<double> kRates{44100, 48000, 88200, 96000, 176400, 192000};

// Injected device loss outlives the instance that saw it: a re-opened instance of the
// same name stays unavailable until kFoldbackFaultDeviceReturn.
std::mutex gLostMutex;
std::map<std::string, bool> gLost;

bool markedLost(const std::string& name) {
    std::lock_guard<std::mutex> lock(gLostMutex);
    auto it = gLost.find(name);
    return it != gLost.end() && it->second;
}
void markLost(const std::string& name, bool lost) {
    std::lock_guard<std::mutex> lock(gLostMutex);
    gLost[name] = lost;
}

ASIOSampleType parseType(const std::string& s) {
    for (ASIOSampleType t = 0; t < ASIOSTLastEntry; ++t)
        if (convert::isPcm(t) && convert::sampleTypeName(t) == s) return t;
    fail(ASE_NotPresent, "[loopback] sample_type = \"{}\" is not a PCM ASIO type (e.g. Float32LSB)",
         s);
}

class LoopbackBackend final : public Backend {
  public:
    Style style() const noexcept override { return Style::Timer; }

    Capabilities open(KitContext& kit) override {
        const Config& cfg = kit.config();
        if (markedLost(kit.instanceName()))
            fail(ASE_NotPresent, "the loopback device '{}' is gone (injected device loss)",
                 kit.instanceName());
        Capabilities caps;
        const long ins = cfg.integer("loopback", "inputs", 8, 1, 256);
        const long outs = cfg.integer("loopback", "outputs", 8, 0, 256);
        for (long i = 0; i < ins; ++i)
            caps.inputs.push_back({fmt::format("Loopback In {}", i + 1), 0});
        for (long i = 0; i < outs; ++i)
            caps.outputs.push_back({fmt::format("Loopback Out {}", i + 1), 0});
        caps.sampleType = parseType(cfg.string("loopback", "sample_type", "Float32LSB"));
        caps.bufferSizes = {16, 8192, cfg.integer("loopback", "buffer_size", 256, 16, 8192), 1};
        caps.rates = kRates;
        caps.rate = cfg.number("loopback", "rate", 48000);
        if (std::find(kRates.begin(), kRates.end(), caps.rate) == kRates.end())
            fail(ASE_NoClock,
                 "[loopback] rate = {} is not one of 44100, 48000, 88200, 96000, 176400, 192000",
                 caps.rate);
        inputDelay_ = cfg.integer("loopback", "input_delay", 0, 0, 1 << 20);
        outputDelay_ = cfg.integer("loopback", "output_delay", 0, 0, 1 << 20);
        routing_ = cfg.integers("loopback", "routing");
        if (routing_.empty())
            for (long i = 0; i < ins; ++i) routing_.push_back(i < outs ? i : -1);
        if (static_cast<long>(routing_.size()) != ins)
            fail(ASE_NotPresent, "[loopback] routing has {} entries; it needs one per input ({})",
                 routing_.size(), ins);
        for (long r : routing_)
            if (r < -1 || r >= outs)
                fail(ASE_NotPresent, "[loopback] routing names output {}; outputs are 0..{} or -1",
                     r, outs - 1);
        sampleBytes_ = convert::sampleBytes(caps.sampleType);
        inputs_ = static_cast<std::size_t>(ins);
        outputs_ = static_cast<std::size_t>(outs);
        return caps;
    }

    Latency latency(long bufferSize) const override {
        return {bufferSize + inputDelay_, bufferSize + outputDelay_, inputDelay_, outputDelay_};
    }

    void prepare(const StreamSetup& setup) override {
        frames_ = static_cast<std::size_t>(setup.bufferSize);
        delay_ = 2 * frames_ + static_cast<std::size_t>(inputDelay_ + outputDelay_);
        ringFrames_ = delay_ + frames_;
        const std::size_t periodBytes = frames_ * sampleBytes_;
        inBuf_.assign(inputs_ * periodBytes, std::byte{0});
        outBuf_.assign(outputs_ * periodBytes, std::byte{0});
        ring_.assign(inputs_ * ringFrames_ * sampleBytes_, std::byte{0});
        inPtr_.resize(inputs_);
        outPtr_.resize(outputs_);
        for (std::size_t c = 0; c < inputs_; ++c) inPtr_[c] = inBuf_.data() + c * periodBytes;
        for (std::size_t c = 0; c < outputs_; ++c) outPtr_[c] = outBuf_.data() + c * periodBytes;
    }
    void unprepare() noexcept override {
        inBuf_.clear();
        outBuf_.clear();
        ring_.clear();
    }

    void start() override {
        std::fill(ring_.begin(), ring_.end(), std::byte{0});
        read_ = 0;
        write_ = delay_;
    }
    void stop() noexcept override {}

    DeviceIo begin() noexcept override {
        for (std::size_t c = 0; c < inputs_; ++c) copyFromRing(c, read_, inPtr_[c]);
        read_ = (read_ + frames_) % ringFrames_;
        return {inPtr_.data(), outPtr_.data()};
    }
    void end() noexcept override {
        for (std::size_t c = 0; c < inputs_; ++c) {
            const long src = routing_[c];
            copyToRing(c, write_, src < 0 ? nullptr : outPtr_[static_cast<std::size_t>(src)]);
        }
        write_ = (write_ + frames_) % ringFrames_;
    }
    void skip(long periods) noexcept override {
        // The device clock ran on: what was captured meanwhile is lost, silence was played.
        for (long k = 0; k < periods; ++k) {
            read_ = (read_ + frames_) % ringFrames_;
            for (std::size_t c = 0; c < inputs_; ++c) copyToRing(c, write_, nullptr);
            write_ = (write_ + frames_) % ringFrames_;
        }
    }
    bool deviceLost() const noexcept override { return lost_.load(std::memory_order_acquire); }

    ASIOError future(long selector, void* opt) override {
        if (selector != kFoldbackInjectFault || !opt) return ASE_InvalidParameter;
        const auto* f = static_cast<const FoldbackFault*>(opt);
        switch (f->kind) {
            case kFoldbackFaultDeviceLoss:
                markLost(context().instanceName(), true);
                lost_.store(true, std::memory_order_release);
                return ASE_SUCCESS;
            case kFoldbackFaultDeviceReturn:
                markLost(context().instanceName(), false);
                return ASE_SUCCESS;
            case kFoldbackFaultRateChange: {
                const double rate = static_cast<double>(f->value);
                if (std::find(kRates.begin(), kRates.end(), rate) == kRates.end())
                    fail(ASE_NoClock, "fault rate {} Hz is not a loopback rate", rate);
                context().rateChanged(rate);
                return ASE_SUCCESS;
            }
            default:
                return ASE_InvalidParameter;
        }
    }

  private:
    std::byte* ringChannel(std::size_t c) noexcept {
        return ring_.data() + c * ringFrames_ * sampleBytes_;
    }
    void copyFromRing(std::size_t c, std::size_t at, void* dst) noexcept {
        const std::size_t first = std::min(frames_, ringFrames_ - at);
        std::byte* ring = ringChannel(c);
        std::memcpy(dst, ring + at * sampleBytes_, first * sampleBytes_);
        if (first < frames_)
            std::memcpy(static_cast<std::byte*>(dst) + first * sampleBytes_, ring,
                        (frames_ - first) * sampleBytes_);
    }
    void copyToRing(std::size_t c, std::size_t at, const void* src) noexcept {
        const std::size_t first = std::min(frames_, ringFrames_ - at);
        std::byte* ring = ringChannel(c);
        if (src) {
            std::memcpy(ring + at * sampleBytes_, src, first * sampleBytes_);
            if (first < frames_)
                std::memcpy(ring, static_cast<const std::byte*>(src) + first * sampleBytes_,
                            (frames_ - first) * sampleBytes_);
        } else {
            std::memset(ring + at * sampleBytes_, 0, first * sampleBytes_);
            if (first < frames_) std::memset(ring, 0, (frames_ - first) * sampleBytes_);
        }
    }

    std::size_t inputs_ = 0, outputs_ = 0, sampleBytes_ = 4;
    long inputDelay_ = 0, outputDelay_ = 0;
    std::vector<long> routing_;
    std::size_t frames_ = 0, delay_ = 0, ringFrames_ = 0, read_ = 0, write_ = 0;
    std::vector<std::byte> inBuf_, outBuf_, ring_;
    std::vector<void*> inPtr_;
    std::vector<void*> outPtr_;
    std::atomic<bool> lost_{false};
};

std::unique_ptr<Backend> makeBackend() {
    return std::make_unique<LoopbackBackend>();
}

}  // namespace

}  // namespace foldback::loopback

FOLDBACK_DRIVER_ENTRY_POINTS("Foldback Loopback", "Foldback virtual loopback interface",
                             &foldback::loopback::makeBackend)
