// The file driver: an offline device for testing hosts without any clock or engine. Its
// inputs are read from audio files and its outputs written to audio files (libsndfile),
// paced in real time (Style::Timer: the kit's absolute deadlines and late-wake policy) or
// as fast as the host can go (Style::Device whose wait() never blocks). Deterministic: the
// same input files and the same host give the same output files, bit for bit.
//
// Timeline (the loopback's, docs/drivers/file.md): the switch at position p (B frames)
// delivers input file frames [p - B - input_delay, p - input_delay) and its output lands
// in the output file at frames [p + B + output_delay, p + 2B + output_delay). So
//     getLatencies: input = B + input_delay, output = B + output_delay
// exactly: an input frame f comes back in the output file at f + input + output latency
// when the host passes it straight through. Frames "before the start" are silence (the
// output file begins with B + output_delay frames of silence).
//
// Settings ([file] in the instance's config.toml):
//   input = "in.wav"              one file: its channels are inputs 1..n
//   input_files = ["a.wav", ""]   or several: each adds its channels ("" = one silent input)
//   inputs = N                    input count (default: the files' channels, else 2)
//   output = "out.wav"            one file holding every output
//   output_files = ["o1.wav", ""] or one mono file per output ("" = discarded)
//   outputs = N                   output count (default: len(output_files), else 2)
//   output_format = "float"       float, s16, s24, s32 (the container follows the name)
//   rate = 48000                  default: the input files' rate (they must agree)
//   sample_type = "Float32LSB"    the ASIO sample type of every channel
//   buffer_size = 256             preferred; any size 16..8192 is accepted
//   pacing = "realtime"           or "fast": no waiting between periods
//   length = 0                    frames; > 0: the device ends there (outputs hold exactly
//                                 that many frames; "fast" then paces in real time)
//   at_end = "silence"            or "loop": what an input file gives past its end
//   input_delay = 0               converter delays in frames (reported)
//   output_delay = 0
// Relative paths are relative to the instance's directory (where its `driver` file is).
#include <pthread.h>
#include <sched.h>
#include <sndfile.h>
#include <time.h>
#include <toml++/toml.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "common/sound_file_format.hpp"
#include "kit/backend.hpp"
#include "kit/entry_points.hpp"
#include "kit/error.hpp"
#include "registry/registry.hpp"

namespace foldback::filedrv {

using namespace foldback::kit;
namespace fs = std::filesystem;

namespace {

struct SndCloser {
    void operator()(SNDFILE* f) const noexcept {
        if (f) sf_close(f);
    }
};
using SndPtr = std::unique_ptr<SNDFILE, SndCloser>;

ASIOSampleType parseType(const std::string& s) {
    for (ASIOSampleType t = 0; t < ASIOSTLastEntry; ++t)
        if (convert::isPcm(t) && convert::sampleTypeName(t) == s) return t;
    fail(ASE_NotPresent, "[file] sample_type = \"{}\" is not a PCM ASIO type (e.g. Float32LSB)", s);
}

int outputFormat(const std::string& path, const std::string& sample) {
    const SoundFileFormat f = soundFileFormat(path, sample, false);
    const std::string name = fs::path(path).filename().string();
    switch (f.problem) {
        case SoundFileFormat::Problem::None:
            break;
        case SoundFileFormat::Problem::UnknownType:
            fail(ASE_NotPresent, "[file] output {}: name it {}", name, kSoundFileTypes);
        case SoundFileFormat::Problem::UnknownSample:
            fail(ASE_NotPresent, "[file] output_format = \"{}\": use {}", sample,
                 kSoundFileSamples);
        case SoundFileFormat::Problem::FlacNeedsIntegers:
            fail(ASE_NotPresent,
                 "[file] output {}: FLAC holds 16- or 24-bit integers only; set output_format = "
                 "\"s24\" or \"s16\", or name it .wav or .w64",
                 name);
    }
    return f.format;
}

struct Input {
    std::string path;  // "" = silence
    SndPtr file;
    long channels = 1;  // device inputs it feeds
    long first = 0;     // first device input
    std::int64_t frames = 0;
};

struct Output {
    std::string path;  // "" = discarded
    SndPtr file;
    long channels = 1;
    long first = 0;
};

class FileBackend final : public Backend {
  public:
    Style style() const noexcept override { return fast_ ? Style::Device : Style::Timer; }

    Capabilities open(KitContext& kit) override {
        const Config& cfg = kit.config();
        fs::path base;
        try {
            if (auto e = registry::find(kit.instanceName())) base = e->dir;
        } catch (const std::exception&) {
        }
        auto resolve = [&](const std::string& p) -> std::string {
            if (p.empty()) return p;
            fs::path path(p);
            return (path.is_relative() && !base.empty() ? base / path : path).string();
        };
        const std::string pacing = cfg.string("file", "pacing", "realtime");
        if (pacing != "realtime" && pacing != "fast")
            fail(ASE_NotPresent, "[file] pacing = \"{}\": use \"realtime\" or \"fast\"", pacing);
        fast_ = pacing == "fast";
        const std::string atEnd = cfg.string("file", "at_end", "silence");
        if (atEnd != "silence" && atEnd != "loop")
            fail(ASE_NotPresent, "[file] at_end = \"{}\": use \"silence\" or \"loop\"", atEnd);
        loop_ = atEnd == "loop";
        length_ = cfg.integer("file", "length", 0, 0, std::numeric_limits<long>::max());
        inputDelay_ = cfg.integer("file", "input_delay", 0, 0, 1 << 20);
        outputDelay_ = cfg.integer("file", "output_delay", 0, 0, 1 << 20);

        // Inputs.
        std::vector<std::string> inPaths;
        const std::string one = cfg.string("file", "input", "");
        if (!one.empty()) inPaths.push_back(one);
        for (const auto& p : strings(cfg, "input_files")) inPaths.push_back(p);
        if (!one.empty() && inPaths.size() > 1)
            fail(ASE_NotPresent, "[file] has both input and input_files; keep one of them");
        double fileRate = 0;
        long fed = 0;
        inputs_.clear();
        for (const auto& p : inPaths) {
            Input in;
            in.path = resolve(p);
            in.first = fed;
            if (!in.path.empty()) {
                SF_INFO info{};
                in.file.reset(sf_open(in.path.c_str(), SFM_READ, &info));
                if (!in.file)
                    fail(ASE_NotPresent, "[file] input {}: {}; fix the path", in.path,
                         fs::exists(in.path) ? "not an audio file libsndfile reads"
                                             : "no such file");
                if (fileRate > 0 && info.samplerate != fileRate)
                    fail(ASE_NotPresent,
                         "[file] {} is {} Hz, {} {:g} Hz: input files must share one rate",
                         fs::path(in.path).filename().string(), info.samplerate,
                         fs::path(inputs_.front().path).filename().string(), fileRate);
                fileRate = info.samplerate;
                in.channels = info.channels;
                in.frames = info.frames;
            }
            fed += in.channels;
            inputs_.push_back(std::move(in));
        }
        const long ins = cfg.integer("file", "inputs", inPaths.empty() ? 2 : fed, 0, 256);
        if (ins < fed)
            fail(ASE_NotPresent,
                 "[file] inputs = {} but the input files have {} channels: raise inputs", ins, fed);

        // Outputs.
        outputs_.clear();
        const std::string outOne = cfg.string("file", "output", "");
        const auto outList = strings(cfg, "output_files");
        if (!outOne.empty() && !outList.empty())
            fail(ASE_NotPresent, "[file] has both output and output_files; keep one of them");
        const long outs = cfg.integer(
            "file", "outputs", outList.empty() ? 2 : static_cast<long>(outList.size()), 0, 256);
        if (!outList.empty() && static_cast<long>(outList.size()) != outs)
            fail(ASE_NotPresent,
                 "[file] output_files has {} entries for {} outputs: give one per output",
                 outList.size(), outs);
        // "" = the file type's own default: s24 for FLAC, float for the others
        const std::string sample = cfg.string("file", "output_format", "");
        if (!outOne.empty()) {
            Output o;
            o.path = resolve(outOne);
            o.channels = outs;
            formats_.push_back(outputFormat(o.path, sample));
            outputs_.push_back(std::move(o));
        } else {
            for (long k = 0; k < static_cast<long>(outList.size()); ++k) {
                Output o;
                o.path = resolve(outList[static_cast<std::size_t>(k)]);
                o.first = k;
                formats_.push_back(o.path.empty() ? 0 : outputFormat(o.path, sample));
                outputs_.push_back(std::move(o));
            }
        }

        Capabilities caps;
        for (long i = 0; i < ins; ++i) caps.inputs.push_back({fmt::format("File In {}", i + 1), 0});
        for (long i = 0; i < outs; ++i)
            caps.outputs.push_back({fmt::format("File Out {}", i + 1), 0});
        caps.sampleType = parseType(cfg.string("file", "sample_type", "Float32LSB"));
        caps.bufferSizes = {16, 8192, cfg.integer("file", "buffer_size", 256, 16, 8192), 1};
        caps.rate = cfg.number("file", "rate", fileRate > 0 ? fileRate : 48000);
        if (fileRate > 0 && caps.rate != fileRate)
            fail(ASE_NoClock,
                 "[file] rate = {:g} but the input files are {:g} Hz; it does not resample",
                 caps.rate, fileRate);
        if (caps.rate < 1000 || caps.rate > 768000)
            fail(ASE_NoClock, "[file] rate = {:g} is out of range", caps.rate);
        caps.rates = {caps.rate};
        rate_ = caps.rate;
        inCount_ = static_cast<std::size_t>(ins);
        outCount_ = static_cast<std::size_t>(outs);
        return caps;
    }

    void close() noexcept override {
        inputs_.clear();
        outputs_.clear();
    }

    Latency latency(long bufferSize) const override {
        return {bufferSize + inputDelay_, bufferSize + outputDelay_, inputDelay_, outputDelay_};
    }
    DeviceLayout layout() const override { return {false, true, convert::DeviceFormat::FLOAT_LE}; }

    void prepare(const StreamSetup& setup) override {
        frames_ = setup.bufferSize;
        inBuf_.assign(static_cast<std::size_t>(frames_) * std::max<std::size_t>(inCount_, 1), 0.0f);
        outBuf_.assign(static_cast<std::size_t>(frames_) * std::max<std::size_t>(outCount_, 1),
                       0.0f);
        long widest = 1;
        for (const auto& in : inputs_) widest = std::max(widest, in.channels);
        scratch_.assign(static_cast<std::size_t>(frames_ * std::max<long>(widest, 1)), 0.0f);
        zeros_.assign(static_cast<std::size_t>(frames_) * std::max<std::size_t>(outCount_, 1),
                      0.0f);
        inPtr_ = inBuf_.data();
        outPtr_ = outBuf_.data();
    }
    void unprepare() noexcept override {
        inBuf_.clear();
        outBuf_.clear();
        scratch_.clear();
        zeros_.clear();
    }

    void start() override {
        for (auto& in : inputs_)
            if (in.file && sf_seek(in.file.get(), 0, SEEK_SET) < 0)
                fail(ASE_HWMalfunction, "[file] input \"{}\" cannot be rewound: {}", in.path,
                     sf_strerror(in.file.get()));
        for (std::size_t k = 0; k < outputs_.size(); ++k) {
            Output& o = outputs_[k];
            o.file.reset();
            if (o.path.empty()) continue;
            SF_INFO info{};
            info.samplerate = static_cast<int>(std::lround(rate_));
            info.channels = static_cast<int>(o.channels);
            info.format = formats_[k];
            if (!sf_format_check(&info))
                fail(ASE_HWMalfunction,
                     "[file] {}: that format cannot hold {} channels at {:g} Hz; use .w64",
                     fs::path(o.path).filename().string(), o.channels, rate_);
            o.file.reset(sf_open(o.path.c_str(), SFM_WRITE, &info));
            if (!o.file)
                fail(ASE_HWMalfunction,
                     "[file] cannot create {}: check the folder exists and is writable", o.path);
            sf_command(o.file.get(), SFC_SET_CLIPPING, nullptr, SF_TRUE);
        }
        inPos_ = -(frames_ + inputDelay_);
        outPos_ = 0;
        timeline_ = 0;
        writeFailed_ = false;
        lost_.store(false, std::memory_order_release);
        // What the outputs "played" before the first switch's output arrives: silence.
        writeSilence(frames_ + outputDelay_);
        demoted_ = false;
    }

    void stop() noexcept override {
        for (auto& o : outputs_) o.file.reset();  // sf_close finalizes the headers
        if (writeFailed_)
            std::fprintf(stderr, "foldback file driver: writing the output stopped: %s\n",
                         writeError_.c_str());
    }

    WaitResult wait() noexcept override {
        // Style::Device is only used for pacing = "fast": never block while there is work;
        // once the device has ended, pace in real time instead of spinning.
        if (lost_.load(std::memory_order_acquire)) return WaitResult::Lost;
        if (!demoted_) {
            // A real-time thread that never waits would starve the machine: run at normal
            // priority (the host's control thread must still get to stop us).
            demoted_ = true;
            sched_param param{};
            pthread_setschedparam(pthread_self(), SCHED_OTHER, &param);
        }
        if (length_ > 0 && timeline_ >= length_) {
            const auto periodNs = static_cast<long>(1e9 * static_cast<double>(frames_) / rate_);
            struct timespec ts {
                periodNs / 1'000'000'000, periodNs % 1'000'000'000
            };
            nanosleep(&ts, nullptr);
        }
        return WaitResult::Ready;
    }

    DeviceIo begin() noexcept override {
        readInputs(inBuf_.data());
        // No channels in a direction: no buffer (the kit then converts nothing).
        return {inCount_ ? &inPtr_ : nullptr, outCount_ ? &outPtr_ : nullptr};
    }
    void end() noexcept override {
        writeOutputs(outBuf_.data(), frames_);
        timeline_ += frames_;
    }
    void skip(long periods) noexcept override {
        // The device clock ran on while nobody listened: input passed unheard, silence played.
        for (long k = 0; k < periods; ++k) {
            readInputs(inBuf_.data());
            writeSilence(frames_);
            timeline_ += frames_;
        }
    }
    bool deviceLost() const noexcept override { return lost_.load(std::memory_order_acquire); }

  private:
    static std::vector<std::string> strings(const Config& cfg, std::string_view key) {
        std::vector<std::string> out;
        const auto* sec = cfg.table().get_as<toml::table>("file");
        const auto* node = sec ? sec->get(key) : nullptr;
        if (!node) return out;
        const auto* arr = node->as_array();
        if (!arr) fail(ASE_NotPresent, "[file] {} must be an array of strings (file names)", key);
        for (const auto& e : *arr) {
            auto v = e.value<std::string>();
            if (!e.is_string() || !v)
                fail(ASE_NotPresent, "[file] {} must be an array of strings (file names)", key);
            out.push_back(*v);
        }
        return out;
    }

    // [rt] One period of every input into the interleaved device buffer.
    void readInputs(float* dst) noexcept {
        const std::size_t ch = inCount_;
        std::memset(dst, 0, static_cast<std::size_t>(frames_) * ch * sizeof(float));
        // Frames before the file's start (the input latency) are silence.
        const long lead =
            inPos_ < 0 ? static_cast<long>(std::min<std::int64_t>(-inPos_, frames_)) : 0;
        const long want = frames_ - lead;
        for (auto& in : inputs_) {
            if (!in.file || want <= 0) continue;
            long got = 0;
            while (got < want) {
                const sf_count_t n =
                    sf_readf_float(in.file.get(), scratch_.data() + got * in.channels, want - got);
                if (n > 0) {
                    got += static_cast<long>(n);
                    continue;
                }
                if (!loop_ || in.frames <= 0) break;
                if (sf_seek(in.file.get(), 0, SEEK_SET) < 0) break;
            }
            for (long i = 0; i < got; ++i)
                for (long c = 0; c < in.channels; ++c)
                    dst[static_cast<std::size_t>(lead + i) * ch +
                        static_cast<std::size_t>(in.first + c)] =
                        scratch_[static_cast<std::size_t>(i * in.channels + c)];
        }
        inPos_ += frames_;
    }

    // [rt] frames of interleaved output (outCount_ channels), capped at `length`.
    void writeOutputs(const float* src, long frames) noexcept {
        long n = frames;
        if (length_ > 0)
            n = static_cast<long>(std::clamp<std::int64_t>(length_ - outPos_, 0, frames));
        if (n <= 0) return;
        for (std::size_t k = 0; k < outputs_.size(); ++k) {
            Output& o = outputs_[k];
            if (!o.file) continue;
            sf_count_t done = 0;
            if (o.channels == static_cast<long>(outCount_) && o.first == 0) {
                done = sf_writef_float(o.file.get(), src, n);
            } else {
                float* mono = scratch_.data();
                for (long i = 0; i < n; ++i)
                    mono[i] = src[static_cast<std::size_t>(i) * outCount_ +
                                  static_cast<std::size_t>(o.first)];
                done = sf_writef_float(o.file.get(), mono, n);
            }
            if (done != n && !writeFailed_) {
                writeFailed_ = true;
                writeError_ = fmt::format("{}: {}", o.path, sf_strerror(o.file.get()));
                lost_.store(true, std::memory_order_release);
            }
        }
        outPos_ += n;
    }

    void writeSilence(long frames) noexcept {
        while (frames > 0) {
            const long n = std::min(frames, frames_ > 0 ? frames_ : 256L);
            if (zeros_.size() < static_cast<std::size_t>(n) * std::max<std::size_t>(outCount_, 1))
                return;
            writeOutputs(zeros_.data(), n);
            frames -= n;
        }
    }

    bool fast_ = false, loop_ = false;
    long length_ = 0, inputDelay_ = 0, outputDelay_ = 0;
    double rate_ = 48000;
    std::size_t inCount_ = 0, outCount_ = 0;
    std::vector<Input> inputs_;
    std::vector<Output> outputs_;
    std::vector<int> formats_;
    long frames_ = 0;
    std::int64_t inPos_ = 0, outPos_ = 0, timeline_ = 0;
    bool demoted_ = false;
    std::vector<float> inBuf_, outBuf_, scratch_, zeros_;
    void* inPtr_ = nullptr;
    void* outPtr_ = nullptr;
    bool writeFailed_ = false;
    std::string writeError_;
    std::atomic<bool> lost_{false};
};

std::unique_ptr<Backend> makeBackend() {
    return std::make_unique<FileBackend>();
}

}  // namespace

}  // namespace foldback::filedrv

FOLDBACK_DRIVER_ENTRY_POINTS("Foldback File",
                             "Foldback file device: inputs from files, outputs to files",
                             &foldback::filedrv::makeBackend)
