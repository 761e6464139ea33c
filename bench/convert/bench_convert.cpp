// bench/convert: throughput of the src/convert kernels (Google Benchmark).
//
// Every kernel row comes with two companions measured the same way, on the same call
// pattern and byte count:
//   memcpy  copies as many bytes as the kernel moves (half read, half written), so equal
//           GB/s means the kernel runs as fast as a plain copy of the same traffic;
//   scalar  the reference tier (plain loops compiled with -fno-tree-vectorize).
// Throughput counts bytes read plus bytes written. Host kernels convert one ASIO buffer
// per call, called once per channel; driver kernels take all channels in one call.
//
// Shapes: {16, 64, 256, 1024, 8192} frames x {1, 8, 64} channels, plus one 8-channel case
// whose working set is 8x the last-level cache (from sysfs), so that it streams from DRAM.
//
// Run pinned, medians of 7:
//   taskset -c 1 bench_convert --benchmark_repetitions=7 --benchmark_report_aggregates_only=true
// Options of our own (before the Google Benchmark ones):
//   --set=acceptance  the kernels of the acceptance criteria (default)
//   --set=all         every vector kernel the active tier has
//   --isa=NAME        measure another tier's kernels (scalar, sse2, avx2)
// At the end a table of medians with the ratios is printed (Markdown).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "convert/convert.hpp"
#include "convert/isa.hpp"

namespace {

namespace fc = foldback::convert;
using fc::DeviceFormat;
using fc::Isa;

// ---- buffers ----------------------------------------------------------------------------

constexpr std::size_t kSkew = 2048 + 64;

struct FreeDeleter {
    void operator()(void* p) const { std::free(p); }
};

// One arena for a set of equally sized buffers, each 64-byte aligned and spaced so that
// buffer starts do not all share one cache set (as separate allocations would not).
struct Arena {
    std::unique_ptr<std::uint8_t, FreeDeleter> mem;
    std::vector<std::uint8_t*> ptr;

    // skew: bytes added before the first buffer, so that sources and destinations do not
    // share their low 12 address bits (4K aliasing), which would otherwise depend on what
    // the allocator happened to return
    Arena(std::size_t count, std::size_t bytes, std::size_t skew = 0) {
        const std::size_t stride = (bytes + 63) / 64 * 64 + 64;
        mem.reset(static_cast<std::uint8_t*>(std::aligned_alloc(64, stride * count + 64 + skew)));
        for (std::size_t i = 0; i < count; ++i) ptr.push_back(mem.get() + skew + i * stride);
    }
};

void fillSamples(ASIOSampleType type, std::uint8_t* p, std::size_t samples, std::mt19937& rng) {
    const std::size_t b = fc::sampleBytes(type);
    if (type == ASIOSTFloat32LSB || type == ASIOSTFloat64LSB) {
        std::uniform_real_distribution<float> d(-1.0f, 1.0f);
        for (std::size_t i = 0; i < samples; ++i) {
            if (b == 4) {
                const float x = d(rng);
                std::memcpy(p + 4 * i, &x, 4);
            } else {
                const double x = d(rng);
                std::memcpy(p + 8 * i, &x, 8);
            }
        }
    } else {
        // arbitrary bytes are valid integer samples; big-endian floats are only moved
        for (std::size_t i = 0; i < samples * b; ++i) p[i] = static_cast<std::uint8_t>(rng());
        if (type == ASIOSTFloat32MSB || type == ASIOSTFloat64MSB) {
            for (std::size_t i = 0; i < samples; ++i) p[i * b] &= 0x3f;  // finite, small
        }
    }
}

// ---- what is measured -------------------------------------------------------------------

enum class Side { HostIn, HostOut, DeviceIn, DeviceOut };

struct KernelSpec {
    std::string name;
    Side side;
    ASIOSampleType type;  // the ASIO side
    DeviceFormat device;  // driver side only
    ASIOSampleType deviceType;
    std::size_t inBytes, outBytes;  // per sample
};

struct Shape {
    std::size_t channels, frames;
    bool large;
};

// Calls one kernel on prepared buffers; also runs the memcpy companion.
class Job {
  public:
    Job(const KernelSpec& k, const Shape& s, Isa isa) : k_(k), s_(s) {
        std::mt19937 rng(42);
        const std::size_t per = s.frames;
        switch (k.side) {
            case Side::HostIn:
                in_ = std::make_unique<Arena>(s.channels, per * k.inBytes);
                out_ = std::make_unique<Arena>(s.channels, per * k.outBytes, kSkew);
                for (auto* p : in_->ptr) fillSamples(k.type, p, per, rng);
                toFloat_ = fc::toFloat(k.type, isa);
                break;
            case Side::HostOut:
                in_ = std::make_unique<Arena>(s.channels, per * k.inBytes);
                out_ = std::make_unique<Arena>(s.channels, per * k.outBytes, kSkew);
                for (auto* p : in_->ptr) fillSamples(ASIOSTFloat32LSB, p, per, rng);
                fromFloat_ = fc::fromFloat(k.type, fc::Dither::Off, isa);
                break;
            case Side::DeviceIn:
                in_ = std::make_unique<Arena>(1, per * s.channels * k.inBytes);
                out_ = std::make_unique<Arena>(s.channels, per * k.outBytes, kSkew);
                fillSamples(k.deviceType, in_->ptr[0], per * s.channels, rng);
                deinterleave_ = fc::deinterleave(k.device, k.type, isa);
                break;
            case Side::DeviceOut:
                in_ = std::make_unique<Arena>(s.channels, per * k.inBytes);
                out_ = std::make_unique<Arena>(1, per * s.channels * k.outBytes, kSkew);
                for (auto* p : in_->ptr) fillSamples(k.type, p, per, rng);
                interleave_ = fc::interleave(k.type, k.device, isa);
                break;
        }
        // fault every output page in now, not inside the timed loop
        const std::size_t outBytes =
            (k.side == Side::DeviceOut ? s.channels : 1) * per * k.outBytes;
        for (auto* p : out_->ptr) std::memset(p, 0, outBytes);
    }

    bool valid() const { return toFloat_ || fromFloat_ || deinterleave_ || interleave_; }
    std::size_t bytesPerCall() const {
        return s_.channels * s_.frames * (k_.inBytes + k_.outBytes);
    }

    void run() {
        switch (k_.side) {
            case Side::HostIn:
                for (std::size_t c = 0; c < s_.channels; ++c)
                    toFloat_(in_->ptr[c], reinterpret_cast<float*>(out_->ptr[c]), s_.frames);
                break;
            case Side::HostOut:
                for (std::size_t c = 0; c < s_.channels; ++c)
                    fromFloat_(reinterpret_cast<const float*>(in_->ptr[c]), out_->ptr[c],
                               s_.frames);
                break;
            case Side::DeviceIn:
                deinterleave_(in_->ptr[0], s_.channels,
                              reinterpret_cast<void* const*>(out_->ptr.data()), s_.frames);
                break;
            case Side::DeviceOut:
                interleave_(reinterpret_cast<const void* const*>(in_->ptr.data()), s_.channels,
                            out_->ptr[0], s_.frames);
                break;
        }
    }

  private:
    KernelSpec k_;
    Shape s_;
    std::unique_ptr<Arena> in_, out_;
    fc::ToFloatFn toFloat_ = nullptr;
    fc::FromFloatFn fromFloat_ = nullptr;
    fc::DeinterleaveFn deinterleave_ = nullptr;
    fc::InterleaveFn interleave_ = nullptr;
};

// memcpy of the same traffic in the same call pattern: per channel for host kernels, one
// call for driver kernels.
class CopyJob {
  public:
    CopyJob(std::size_t calls, std::size_t bytesPerCall)
        : calls_(calls),
          bytes_(bytesPerCall),
          in_(calls, bytesPerCall),
          out_(calls, bytesPerCall, kSkew) {
        for (std::size_t c = 0; c < calls; ++c) std::memset(in_.ptr[c], 0x5a, bytes_);
        for (std::size_t c = 0; c < calls; ++c) std::memset(out_.ptr[c], 0, bytes_);
    }
    void run() {
        for (std::size_t c = 0; c < calls_; ++c) std::memcpy(out_.ptr[c], in_.ptr[c], bytes_);
    }

  private:
    std::size_t calls_, bytes_;
    Arena in_, out_;
};

std::size_t lastLevelCache() {
    std::size_t best = 0;
    for (int i = 0; i < 8; ++i) {
        std::ifstream f("/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/size");
        std::string s;
        if (!(f >> s)) continue;
        std::size_t v = std::strtoull(s.c_str(), nullptr, 10);
        if (!s.empty() && s.back() == 'K') v *= 1024;
        if (!s.empty() && s.back() == 'M') v *= 1024 * 1024;
        best = std::max(best, v);
    }
    return best != 0 ? best : std::size_t{32} << 20;
}

std::string shapeName(const Shape& s) {
    return s.large
               ? "ch:" + std::to_string(s.channels) + "/fr:" + std::to_string(s.frames) + "(DRAM)"
               : "ch:" + std::to_string(s.channels) + "/fr:" + std::to_string(s.frames);
}

// ---- the kernel sets --------------------------------------------------------------------

const char* sideName(Side s) {
    switch (s) {
        case Side::HostIn:
        case Side::HostOut:
            return "host";
        default:
            return "device";
    }
}

struct DeviceInfo {
    DeviceFormat f;
    ASIOSampleType same;
};

const std::vector<DeviceInfo>& deviceList() {
    static const std::vector<DeviceInfo> d = {
        {DeviceFormat::S16_LE, ASIOSTInt16LSB},     {DeviceFormat::S16_BE, ASIOSTInt16MSB},
        {DeviceFormat::S24_3LE, ASIOSTInt24LSB},    {DeviceFormat::S24_3BE, ASIOSTInt24MSB},
        {DeviceFormat::S24_LE, ASIOSTInt32LSB24},   {DeviceFormat::S32_LE, ASIOSTInt32LSB},
        {DeviceFormat::S32_BE, ASIOSTInt32MSB},     {DeviceFormat::FLOAT_LE, ASIOSTFloat32LSB},
        {DeviceFormat::FLOAT_BE, ASIOSTFloat32MSB}, {DeviceFormat::FLOAT64_LE, ASIOSTFloat64LSB}};
    return d;
}

const std::vector<ASIOSampleType>& pcmList() {
    static const std::vector<ASIOSampleType> t = {
        ASIOSTInt16LSB,   ASIOSTInt24LSB,   ASIOSTInt32LSB,   ASIOSTFloat32LSB, ASIOSTFloat64LSB,
        ASIOSTInt32LSB16, ASIOSTInt32LSB18, ASIOSTInt32LSB20, ASIOSTInt32LSB24, ASIOSTInt16MSB,
        ASIOSTInt24MSB,   ASIOSTInt32MSB,   ASIOSTFloat32MSB, ASIOSTFloat64MSB, ASIOSTInt32MSB16,
        ASIOSTInt32MSB18, ASIOSTInt32MSB20, ASIOSTInt32MSB24};
    return t;
}

std::vector<KernelSpec> kernels(bool all) {
    std::vector<KernelSpec> out;
    auto host = [&](ASIOSampleType t) {
        const std::string n(fc::sampleTypeName(t));
        const std::size_t b = fc::sampleBytes(t);
        out.push_back({n + ">Float32", Side::HostIn, t, {}, t, b, 4});
        out.push_back({"Float32>" + n, Side::HostOut, t, {}, t, 4, b});
    };
    auto device = [&](const DeviceInfo& d, ASIOSampleType t) {
        const std::string dn(fc::deviceFormatName(d.f)), tn(fc::sampleTypeName(t));
        const std::size_t db = fc::deviceBytes(d.f), tb = fc::sampleBytes(t);
        out.push_back({dn + ">" + tn, Side::DeviceIn, t, d.f, d.same, db, tb});
        out.push_back({tn + ">" + dn, Side::DeviceOut, t, d.f, d.same, tb, db});
    };
    if (!all) {
        for (ASIOSampleType t : {ASIOSTInt16LSB, ASIOSTInt24LSB, ASIOSTInt32LSB}) host(t);
        for (const DeviceInfo& d : deviceList())
            if (d.same == ASIOSTInt16LSB || d.same == ASIOSTInt24LSB || d.same == ASIOSTInt32LSB)
                device(d, ASIOSTFloat32LSB);
        return out;
    }
    for (ASIOSampleType t : pcmList()) host(t);
    for (const DeviceInfo& d : deviceList()) {
        device(d, ASIOSTFloat32LSB);
        if (d.same != ASIOSTFloat32LSB) device(d, d.same);
    }
    return out;
}

// ---- the ratio table --------------------------------------------------------------------

struct Row {
    std::string kernel, side, shape, copyKey;
    std::size_t bytes;
};

std::vector<Row> gRows;
std::map<std::string, double> gMedianGBs;  // benchmark name -> median GB/s

class TableReporter : public benchmark::ConsoleReporter {
  public:
    void ReportRuns(const std::vector<Run>& runs) override {
        for (const Run& r : runs) {
            if (r.run_type == Run::RT_Aggregate && r.aggregate_name == "median") {
                auto it = r.counters.find("bytes_per_second");
                if (it != r.counters.end())
                    gMedianGBs[r.run_name.function_name] = it->second.value / 1e9;
            }
        }
        ConsoleReporter::ReportRuns(runs);
    }
};

std::string fmt(double v, const char* f) {
    char b[32];
    std::snprintf(b, sizeof b, f, v);
    return b;
}

void printTable() {
    std::printf(
        "\n| kernel | shape | GB/s | memcpy GB/s | vs memcpy | scalar GB/s | vs scalar |\n");
    std::printf("|---|---|---:|---:|---:|---:|---:|\n");
    for (const Row& r : gRows) {
        const std::string base = r.side + "/" + r.kernel + "/" + r.shape;
        const auto k = gMedianGBs.find("kernel/" + base);
        const auto s = gMedianGBs.find("scalar/" + base);
        const auto m = gMedianGBs.find(r.copyKey);
        if (k == gMedianGBs.end()) continue;
        const double kv = k->second;
        const std::string mv = m != gMedianGBs.end() ? fmt(m->second, "%.1f") : "-";
        const std::string mr = m != gMedianGBs.end() ? fmt(100.0 * kv / m->second, "%.0f%%") : "-";
        const std::string sv = s != gMedianGBs.end() ? fmt(s->second, "%.2f") : "-";
        const std::string sr = s != gMedianGBs.end() ? fmt(kv / s->second, "%.1fx") : "-";
        std::printf("| %s %s | %s | %.1f | %s | %s | %s | %s |\n", r.side.c_str(), r.kernel.c_str(),
                    r.shape.c_str(), kv, mv.c_str(), mr.c_str(), sv.c_str(), sr.c_str());
    }
}

}  // namespace

int main(int argc, char** argv) {
    bool all = false;
    Isa isa = fc::activeIsa();
    std::vector<char*> rest{argv[0]};
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--set=all") {
            all = true;
        } else if (a == "--set=acceptance") {
            all = false;
        } else if (a.rfind("--isa=", 0) == 0) {
            for (Isa x : {Isa::Scalar, Isa::Sse2, Isa::Avx2, Isa::Avx512})
                if (fc::isaName(x) == a.substr(6)) isa = x;
        } else {
            rest.push_back(argv[i]);
        }
    }
    int n = static_cast<int>(rest.size());
    benchmark::Initialize(&n, rest.data());

    const std::size_t llc = lastLevelCache();
    benchmark::AddCustomContext("convert_isa", std::string(fc::isaName(isa)));
    benchmark::AddCustomContext("last_level_cache_bytes", std::to_string(llc));

    std::vector<Shape> shapes;
    for (std::size_t ch : {1u, 8u, 64u})
        for (std::size_t fr : {16u, 64u, 256u, 1024u, 8192u}) shapes.push_back({ch, fr, false});

    std::map<std::string, bool> copies;
    for (const KernelSpec& k : kernels(all)) {
        std::vector<Shape> ks = shapes;
        // the DRAM case: 8 channels, working set (read + written) 8x the LLC
        const std::size_t perFrame = 8 * (k.inBytes + k.outBytes);
        ks.push_back({8, (8 * llc / perFrame + 63) / 64 * 64, true});
        for (const Shape& s : ks) {
            auto fast = std::make_shared<std::unique_ptr<Job>>();
            const std::string side = sideName(k.side);
            const std::string base = side + "/" + k.name + "/" + shapeName(s);
            {
                Job probe(k, {1, 1, false}, isa);
                if (!probe.valid()) continue;
            }
            const bool host = k.side == Side::HostIn || k.side == Side::HostOut;
            const std::size_t calls = host ? s.channels : 1;
            const std::size_t total = s.channels * s.frames * (k.inBytes + k.outBytes);
            const std::string copyKey = "memcpy/" + side + "/" + std::to_string(total) + "B/" +
                                        std::to_string(calls) + "calls";
            gRows.push_back({k.name, side, shapeName(s), copyKey, total});
            for (Isa which : {isa, Isa::Scalar}) {
                const std::string name = (which == Isa::Scalar ? "scalar/" : "kernel/") + base;
                benchmark::RegisterBenchmark(name.c_str(), [k, s, which](benchmark::State& st) {
                    Job job(k, s, which);
                    for (auto _ : st) {
                        job.run();
                        benchmark::ClobberMemory();
                    }
                    st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations()) *
                                         static_cast<std::int64_t>(job.bytesPerCall()));
                });
            }
            if (!copies[copyKey]) {
                copies[copyKey] = true;
                benchmark::RegisterBenchmark(copyKey.c_str(), [calls, total](benchmark::State& st) {
                    CopyJob job(calls, total / 2 / calls);
                    for (auto _ : st) {
                        job.run();
                        benchmark::ClobberMemory();
                    }
                    st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations()) *
                                         static_cast<std::int64_t>(total / 2 / calls * calls * 2));
                });
            }
        }
    }

    TableReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    printTable();
    benchmark::Shutdown();
    return 0;
}
