// bench/convert: throughput of the src/convert kernels (Google Benchmark).
//
// Every kernel row comes with companions measured the same way, on the same byte count:
//   memcpy  copies as many bytes as the kernel moves (half read, half written), in ONE
//           call, so equal GB/s means the kernel runs as fast as a plain copy of the same
//           traffic. This is the acceptance baseline ("memcpy's rate for the same sample
//           count"), the same for a host row and a driver row of the same bytes. It used
//           to follow the kernel's call pattern, i.e. 64 memcpy calls of 768 bytes for a
//           host row at 64 ch x 256 frames: that measures glibc's per-call cost more than
//           copying (here 120 GB/s against 300 GB/s for one call of the same bytes) and
//           flattered the host kernels two-fold. The per-call copy is still printed
//           ("memcpy/call"), for information.
//           From DRAM, the baseline is the faster of glibc's memcpy and a copy with
//           non-temporal stores (CopyJob::streaming). glibc switches to non-temporal stores
//           only above glibc.cpu.x86_non_temporal_threshold, which it derives from the
//           shared cache size the CPU reports; under KVM here that is 384 MiB, so the
//           threshold (288 MiB) is above every copy we make and glibc's memcpy reads every
//           destination line before writing it (read-for-ownership: 3 bytes of traffic
//           per 2 counted), while our kernels stream large outputs. Comparing against
//           that flatters the kernels (measured: 36 GB/s against 43 GB/s for the
//           streaming copy of the same 256 MiB); a streaming copy is what memcpy does for
//           such sizes on a machine whose cache it reads right.
//   copy loop  the same bytes copied by a plain loop of vector loads and stores as wide
//           as the CPU has (64 bytes with AVX-512), one call. This is the ceiling for any
//           kernel that writes with ordinary stores (information, not the baseline): for
//           copies of tens of KiB glibc's memcpy uses `rep movsb`, whose fast-string
//           stores claim whole cache lines without reading them first; a store loop
//           reads every destination line into the cache first (read-for-ownership), so
//           in L2 it moves a quarter to a third less. Measured here (Zen 5, a 64 KiB copy
//           in L2): memcpy and rep movsb 256-261 GB/s, a 16/32/64-byte store loop 188-199
//           GB/s, the host Int32LSB>Float32 kernel on the same bytes 192-194 GB/s.
//   scalar  the reference tier (plain loops compiled with -fno-tree-vectorize).
// Throughput counts bytes read plus bytes written. Host kernels convert one ASIO buffer
// per call, called once per channel; driver kernels take all channels in one call.
//
// Shapes: {16, 64, 256, 1024, 8192} frames x {1, 8, 64} channels, plus one 8-channel case
// whose working set is 8x the last-level cache (from sysfs), so that it streams from DRAM.
//
// Run pinned, medians of 7, repetitions of all rows interleaved (drift falls on all alike):
//   taskset -c 1 bench_convert --benchmark_repetitions=7 --benchmark_report_aggregates_only=true
//       --benchmark_enable_random_interleaving=true
// Options of our own (before the Google Benchmark ones):
//   --set=acceptance  the kernels of the acceptance criteria (default)
//   --set=all         every vector kernel the active tier has
//   --isa=NAME        measure another tier's kernels (scalar, sse2, avx2)
// At the end a table of medians with the ratios is printed (Markdown).
#include <benchmark/benchmark.h>

#include <immintrin.h>
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

// The copy loop (see the top of this file): vector loads and stores of the widest width
// the CPU has, 64-byte aligned buffers (Arena), the tail by memcpy. Each width is compiled
// for its own ISA; the caller picks by the CPU.
__attribute__((target("avx512f"))) void copyLoop64(std::uint8_t* d, const std::uint8_t* s,
                                                   std::size_t n) {
    for (std::size_t i = 0; i < n; i += 64) _mm512_store_si512(d + i, _mm512_load_si512(s + i));
}
__attribute__((target("avx2"))) void copyLoop32(std::uint8_t* d, const std::uint8_t* s,
                                                std::size_t n) {
    for (std::size_t i = 0; i < n; i += 32)
        _mm256_store_si256(reinterpret_cast<__m256i*>(d + i),
                           _mm256_load_si256(reinterpret_cast<const __m256i*>(s + i)));
}
void copyLoop16(std::uint8_t* d, const std::uint8_t* s, std::size_t n) {
    for (std::size_t i = 0; i < n; i += 16)
        _mm_store_si128(reinterpret_cast<__m128i*>(d + i),
                        _mm_load_si128(reinterpret_cast<const __m128i*>(s + i)));
}

enum class CopyKind { Memcpy, Streaming, Loop };

// memcpy of the same traffic: `calls` copies of bytesPerCall each. Streaming: the same
// copy with non-temporal stores (16-byte SSE2 stores: the write-combining buffers merge
// them into full lines, and DRAM, not the store width, is the limit at these sizes).
// Loop: the copy loop.
class CopyJob {
  public:
    CopyJob(std::size_t calls, std::size_t bytesPerCall, CopyKind kind = CopyKind::Memcpy)
        : calls_(calls),
          bytes_(bytesPerCall),
          kind_(kind),
          in_(calls, bytesPerCall),
          out_(calls, bytesPerCall, kSkew) {
        for (std::size_t c = 0; c < calls; ++c) std::memset(in_.ptr[c], 0x5a, bytes_);
        for (std::size_t c = 0; c < calls; ++c) std::memset(out_.ptr[c], 0, bytes_);
        loop_ = __builtin_cpu_supports("avx512f") ? copyLoop64
                : __builtin_cpu_supports("avx2")  ? copyLoop32
                                                  : copyLoop16;
        width_ = loop_ == copyLoop64 ? 64 : loop_ == copyLoop32 ? 32 : 16;
    }
    void run() {
        const bool streaming = kind_ == CopyKind::Streaming;
        for (std::size_t c = 0; c < calls_; ++c) {
            if (kind_ == CopyKind::Loop) {
                const std::size_t n = bytes_ / width_ * width_;
                loop_(out_.ptr[c], in_.ptr[c], n);
                std::memcpy(out_.ptr[c] + n, in_.ptr[c] + n, bytes_ - n);
                continue;
            }
            if (!streaming) {
                std::memcpy(out_.ptr[c], in_.ptr[c], bytes_);
                continue;
            }
            // both 64-byte aligned (Arena, kSkew); the tail, if any, by memcpy
            const std::size_t n = bytes_ / 64 * 64;
            for (std::size_t i = 0; i < n; i += 64) {
                for (std::size_t j = 0; j < 64; j += 16)
                    _mm_stream_si128(
                        reinterpret_cast<__m128i*>(out_.ptr[c] + i + j),
                        _mm_load_si128(reinterpret_cast<const __m128i*>(in_.ptr[c] + i + j)));
            }
            std::memcpy(out_.ptr[c] + n, in_.ptr[c] + n, bytes_ - n);
        }
        if (streaming) _mm_sfence();
    }

  private:
    std::size_t calls_, bytes_;
    CopyKind kind_;
    Arena in_, out_;
    void (*loop_)(std::uint8_t*, const std::uint8_t*, std::size_t) = nullptr;
    std::size_t width_ = 16;
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
    std::string kernel, side, shape;
    std::vector<std::string> copyKeys;  // the baseline is the fastest of these
    std::string callKey;                // memcpy in the kernel's call pattern (information)
    std::string loopKey;                // the copy loop (information)
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

double median(const std::string& key) {
    const auto it = gMedianGBs.find(key);
    return it != gMedianGBs.end() ? it->second : 0.0;
}

void printTable() {
    std::printf(
        "\n| kernel | shape | GB/s | memcpy GB/s | vs memcpy | scalar GB/s | vs scalar "
        "| vs memcpy/call | vs copy loop |\n");
    std::printf("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (const Row& r : gRows) {
        const std::string base = r.side + "/" + r.kernel + "/" + r.shape;
        const double kv = median("kernel/" + base);
        if (kv == 0.0) continue;
        double mv = 0.0;
        for (const std::string& key : r.copyKeys) mv = std::max(mv, median(key));
        const double sv = median("scalar/" + base);
        const double cv = r.callKey.empty() ? 0.0 : median(r.callKey);
        const std::string ms = mv > 0 ? fmt(mv, "%.1f") : "-";
        const std::string mr = mv > 0 ? fmt(100.0 * kv / mv, "%.0f%%") : "-";
        const std::string ss = sv > 0 ? fmt(sv, "%.2f") : "-";
        const std::string sr = sv > 0 ? fmt(kv / sv, "%.1fx") : "-";
        const std::string cr = cv > 0 ? fmt(100.0 * kv / cv, "%.0f%%") : "-";
        const double lv = median(r.loopKey);
        const std::string lr = lv > 0 ? fmt(100.0 * kv / lv, "%.0f%%") : "-";
        std::printf("| %s %s | %s | %.1f | %s | %s | %s | %s | %s | %s |\n", r.side.c_str(),
                    r.kernel.c_str(), r.shape.c_str(), kv, ms.c_str(), mr.c_str(), ss.c_str(),
                    sr.c_str(), cr.c_str(), lr.c_str());
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
            // the baseline: one memcpy of the same bytes (see the top of this file); from
            // DRAM also a streaming copy
            const std::string copyKey = "memcpy/" + std::to_string(total) + "B";
            const std::string ntKey = "memcpy-nt/" + std::to_string(total) + "B";
            const std::string callKey = calls > 1 ? "memcpy/call/" + std::to_string(total) + "B/" +
                                                        std::to_string(calls) + "calls"
                                                  : std::string();
            const std::string loopKey = "copyloop/" + std::to_string(total) + "B";
            std::vector<std::string> keys{copyKey};
            if (s.large) keys.push_back(ntKey);
            gRows.push_back({k.name, side, shapeName(s), keys, callKey, loopKey, total});
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
            auto addCopy = [&](const std::string& key, std::size_t nCalls, CopyKind kind) {
                if (key.empty() || copies[key]) return;
                copies[key] = true;
                benchmark::RegisterBenchmark(
                    key.c_str(), [nCalls, total, kind](benchmark::State& st) {
                        CopyJob job(nCalls, total / 2 / nCalls, kind);
                        for (auto _ : st) {
                            job.run();
                            benchmark::ClobberMemory();
                        }
                        st.SetBytesProcessed(
                            static_cast<std::int64_t>(st.iterations()) *
                            static_cast<std::int64_t>(total / 2 / nCalls * nCalls * 2));
                    });
            };
            addCopy(copyKey, 1, CopyKind::Memcpy);
            if (s.large) addCopy(ntKey, 1, CopyKind::Streaming);
            addCopy(callKey, calls, CopyKind::Memcpy);
            addCopy(loopKey, 1, CopyKind::Loop);
        }
    }

    TableReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    printTable();
    benchmark::Shutdown();
    return 0;
}
