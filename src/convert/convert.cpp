// src/convert/convert.cpp: names and sizes, and the dispatcher. The tier is chosen once
// per process (a function-local static: thread-safe, first use happens when buffers are
// created on a control thread); a selector returns a plain function pointer, so the audio
// thread pays one indirect call per channel and period, never a decision per sample.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "common/asio_names.hpp"
#include "convert/formats.hpp"
#include "convert/isa.hpp"
#include "convert/tiers.hpp"

namespace foldback::convert {

namespace detail {
std::atomic<std::size_t> gStreamBytes{std::size_t{8} << 20};
}

namespace {

using detail::Tier;

// The largest cache cpu0 reports, as sysfs has it (it knows what a virtual machine really
// gets, which CPUID may not); 0 if unknown.
std::size_t lastLevelCacheBytes() noexcept {
    std::size_t best = 0;
    for (int i = 0; i < 16; ++i) {
        char path[96];
        std::snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
        std::FILE* f = std::fopen(path, "r");
        if (f == nullptr) continue;
        unsigned long long v = 0;
        char unit = 0;
        if (std::fscanf(f, "%llu%c", &v, &unit) >= 1) {
            if (unit == 'K') v <<= 10;
            if (unit == 'M') v <<= 20;
            if (v > best) best = static_cast<std::size_t>(v);
        }
        std::fclose(f);
    }
    return best;
}

// Once, before the first kernel is handed out: calls whose output is a quarter of the
// last-level cache or more bypass the cache (simd_loops.hpp, streaming stores).
void measureCaches() noexcept {
    static const bool once = [] {
        const std::size_t llc = lastLevelCacheBytes();
        if (llc >= (std::size_t{1} << 20)) detail::gStreamBytes.store(llc / 4);
        return true;
    }();
    (void)once;
}

const Tier* tierOf(Isa isa) noexcept {
    switch (isa) {
        case Isa::Scalar:
            return &detail::kScalarTier;
#if FOLDBACK_CONVERT_X86
        case Isa::Sse2:
            return &detail::kSse2Tier;
        case Isa::Avx2:
            return &detail::kAvx2Tier;
        case Isa::Avx512:
            return &detail::kAvx512Tier;
#else
        default:
            return nullptr;
#endif
    }
    return nullptr;
}

Isa lower(Isa isa) noexcept {
    switch (isa) {
        case Isa::Avx512:
            return Isa::Avx2;
        case Isa::Avx2:
            return Isa::Sse2;
        default:
            return Isa::Scalar;
    }
}

Isa chooseIsa() noexcept {
    Isa best = Isa::Scalar;
    if (isaSupported(Isa::Avx512)) {
        best = Isa::Avx512;
    } else if (isaSupported(Isa::Avx2)) {
        best = Isa::Avx2;
    } else if (isaSupported(Isa::Sse2)) {
        best = Isa::Sse2;
    }
    if (const char* env = std::getenv("FOLDBACK_CONVERT_ISA")) {
        const std::string_view want{env};
        for (Isa isa : {Isa::Scalar, Isa::Sse2, Isa::Avx2, Isa::Avx512}) {
            if (want == isaName(isa) && isaSupported(isa) &&
                static_cast<int>(isa) <= static_cast<int>(best)) {
                best = isa;
            }
        }
    }
    return best;
}

// Walks down the tiers until one has a kernel for the pair.
template <class Fn, class Pick>
Fn pick(Isa isa, Pick&& get) noexcept {
    measureCaches();
    if (!isaSupported(isa)) return nullptr;
    for (;;) {
        if (const Tier* tier = tierOf(isa)) {
            if (Fn fn = get(*tier)) return fn;
        }
        if (isa == Isa::Scalar) return nullptr;
        isa = lower(isa);
    }
}

}  // namespace

// ---- names and sizes --------------------------------------------------------------------

std::size_t sampleBytes(ASIOSampleType type) noexcept {
    return detail::pcmIndex(type) < 0 ? 0 : static_cast<std::size_t>(detail::typeInfo(type).bytes);
}

std::string_view sampleTypeName(ASIOSampleType type) noexcept {
    const char* name = asioSampleTypeName(type);
    return name ? name : "unknown";
}

bool isPcm(ASIOSampleType type) noexcept {
    return detail::pcmIndex(type) >= 0;
}

std::size_t deviceBytes(DeviceFormat f) noexcept {
    return detail::deviceIndex(f) < 0
               ? 0
               : static_cast<std::size_t>(detail::typeInfo(detail::deviceType(f)).bytes);
}

std::string_view deviceFormatName(DeviceFormat f) noexcept {
    switch (f) {
        case DeviceFormat::S16_LE:
            return "S16_LE";
        case DeviceFormat::S16_BE:
            return "S16_BE";
        case DeviceFormat::S24_3LE:
            return "S24_3LE";
        case DeviceFormat::S24_3BE:
            return "S24_3BE";
        case DeviceFormat::S24_LE:
            return "S24_LE";
        case DeviceFormat::S32_LE:
            return "S32_LE";
        case DeviceFormat::S32_BE:
            return "S32_BE";
        case DeviceFormat::FLOAT_LE:
            return "FLOAT_LE";
        case DeviceFormat::FLOAT_BE:
            return "FLOAT_BE";
        case DeviceFormat::FLOAT64_LE:
            return "FLOAT64_LE";
    }
    return "unknown";
}

// ---- tiers ------------------------------------------------------------------------------

bool isaSupported(Isa isa) noexcept {
    switch (isa) {
        case Isa::Scalar:
            return true;
#if FOLDBACK_CONVERT_X86
        case Isa::Sse2:
            return true;  // part of x86-64
        case Isa::Avx2: {
            // libgcc's probe checks CPUID and that the OS saves YMM state (XGETBV).
            static const bool avx2 = __builtin_cpu_supports("avx2");
            return avx2;
        }
        case Isa::Avx512: {
            static const bool avx512 =
                __builtin_cpu_supports("avx2") && __builtin_cpu_supports("avx512f") &&
                __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
                __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vbmi");
            return avx512;
        }
#else
        default:
            return false;
#endif
    }
    return false;
}

Isa activeIsa() noexcept {
    static const Isa isa = chooseIsa();
    return isa;
}

std::string_view isaName(Isa isa) noexcept {
    switch (isa) {
        case Isa::Scalar:
            return "scalar";
        case Isa::Sse2:
            return "sse2";
        case Isa::Avx2:
            return "avx2";
        case Isa::Avx512:
            return "avx512";
    }
    return "unknown";
}

std::string_view isaName() noexcept {
    return isaName(activeIsa());
}

std::size_t streamingThreshold() noexcept {
    measureCaches();
    return detail::gStreamBytes.load(std::memory_order_relaxed);
}

void setStreamingThreshold(std::size_t bytes) noexcept {
    measureCaches();
    detail::gStreamBytes.store(bytes, std::memory_order_relaxed);
}

ToFloatFn toFloat(ASIOSampleType type, Isa isa) noexcept {
    const int t = detail::pcmIndex(type);
    if (t < 0) return nullptr;
    return pick<ToFloatFn>(isa, [t](const Tier& tier) { return tier.toFloat(t); });
}

FromFloatFn fromFloat(ASIOSampleType type, Dither dither, Isa isa) noexcept {
    const int t = detail::pcmIndex(type);
    if (t < 0) return nullptr;
    return pick<FromFloatFn>(isa,
                             [t, dither](const Tier& tier) { return tier.fromFloat(t, dither); });
}

DeinterleaveFn deinterleave(DeviceFormat from, ASIOSampleType to, Isa isa) noexcept {
    const int d = detail::deviceIndex(from);
    const int t = detail::pcmIndex(to);
    if (d < 0 || t < 0) return nullptr;
    return pick<DeinterleaveFn>(isa, [d, t](const Tier& tier) { return tier.deinterleave(d, t); });
}

InterleaveFn interleave(ASIOSampleType from, DeviceFormat to, Isa isa) noexcept {
    const int d = detail::deviceIndex(to);
    const int t = detail::pcmIndex(from);
    if (d < 0 || t < 0) return nullptr;
    return pick<InterleaveFn>(isa, [d, t](const Tier& tier) { return tier.interleave(t, d); });
}

ToFloatFn toFloat(ASIOSampleType type) noexcept {
    return toFloat(type, activeIsa());
}
FromFloatFn fromFloat(ASIOSampleType type, Dither dither) noexcept {
    return fromFloat(type, dither, activeIsa());
}
DeinterleaveFn deinterleave(DeviceFormat from, ASIOSampleType to) noexcept {
    return deinterleave(from, to, activeIsa());
}
InterleaveFn interleave(ASIOSampleType from, DeviceFormat to) noexcept {
    return interleave(from, to, activeIsa());
}

}  // namespace foldback::convert
