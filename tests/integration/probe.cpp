#include "probe.hpp"

#include <cstring>
#include <sstream>

namespace foldback::itest {

std::int32_t signalCode(long output, std::int64_t position) {
    return static_cast<std::int32_t>((((position & 0x7FF) << 3) | (output & 7)) + 1);
}

namespace {

void putLE(void* at, std::uint64_t v, std::size_t n) {
    auto* p = static_cast<unsigned char*>(at);
    for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}

std::uint64_t getLE(const void* at, std::size_t n) {
    const auto* p = static_cast<const unsigned char*>(at);
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(p[i]) << (8 * i);
    return v;
}

// code / 32768 is exact in float and double: codes have at most 15 significant bits.
constexpr double kScale = 32768.0;

}  // namespace

void encodeSample(ASIOSampleType type, std::int32_t code, void* at) {
    switch (type) {
        case ASIOSTInt16LSB:
            putLE(at, static_cast<std::uint16_t>(code), 2);
            break;
        case ASIOSTInt24LSB:
            putLE(at, static_cast<std::uint32_t>(code) << 8, 3);
            break;
        case ASIOSTInt32LSB:
            putLE(at, static_cast<std::uint32_t>(code) << 16, 4);
            break;
        case ASIOSTFloat32LSB: {
            const float f = static_cast<float>(code / kScale);
            std::uint32_t bits;
            std::memcpy(&bits, &f, 4);
            putLE(at, bits, 4);
            break;
        }
        case ASIOSTFloat64LSB: {
            const double f = code / kScale;
            std::uint64_t bits;
            std::memcpy(&bits, &f, 8);
            putLE(at, bits, 8);
            break;
        }
        default:
            break;
    }
}

std::int32_t decodeSample(ASIOSampleType type, const void* at) {
    switch (type) {
        case ASIOSTInt16LSB: {
            const auto v = static_cast<std::int16_t>(getLE(at, 2));
            return v >= 0 ? v : -1;
        }
        case ASIOSTInt24LSB: {
            const auto v = static_cast<std::uint32_t>(getLE(at, 3));
            if (v & 0xFF || v & 0x800000) return -1;
            return static_cast<std::int32_t>(v >> 8);
        }
        case ASIOSTInt32LSB: {
            const auto v = static_cast<std::uint32_t>(getLE(at, 4));
            if (v & 0xFFFF || v & 0x80000000u) return -1;
            return static_cast<std::int32_t>(v >> 16);
        }
        case ASIOSTFloat32LSB: {
            const auto bits = static_cast<std::uint32_t>(getLE(at, 4));
            float f;
            std::memcpy(&f, &bits, 4);
            const double c = f * kScale;
            return c >= 0 && c == static_cast<std::int32_t>(c) ? static_cast<std::int32_t>(c) : -1;
        }
        case ASIOSTFloat64LSB: {
            const std::uint64_t bits = getLE(at, 8);
            double f;
            std::memcpy(&f, &bits, 8);
            const double c = f * kScale;
            return c >= 0 && c == static_cast<std::int32_t>(c) ? static_cast<std::int32_t>(c) : -1;
        }
        default:
            return -1;
    }
}

LoopProbe::LoopProbe(Host& host, long inputs, long outputs, std::int64_t frames)
    : host_(host),
      inputs_(inputs),
      outputs_(outputs),
      frames_(frames),
      type_(host.sampleType()),
      bytes_(sampleBytes(host.sampleType())),
      captured_(static_cast<std::size_t>(inputs * frames), -2),
      played_(static_cast<std::size_t>(frames), 0) {
    host_.setHook(&LoopProbe::hook, this);
}

void LoopProbe::hook(Host&, const SwitchRecord& rec, void* self) {
    static_cast<LoopProbe*>(self)->onSwitch(rec);
}

void LoopProbe::onSwitch(const SwitchRecord& rec) noexcept {
    const std::int64_t p = rec.position;
    if (p < 0 || rec.index < 0 || rec.index > 1) return;
    const long B = host_.bufferSize();
    for (long k = 0; k < outputs_; ++k) {
        auto* out = static_cast<unsigned char*>(host_.half(false, k, rec.index));
        if (!out) continue;
        for (long f = 0; f < B; ++f)
            encodeSample(type_, signalCode(k, p + f), out + static_cast<std::size_t>(f) * bytes_);
    }
    if (outputReadyDriver_ && outputReadyDriver_->lpVtbl->outputReady(outputReadyDriver_) != ASE_OK)
        outputReadyFailures_.fetch_add(1, std::memory_order_relaxed);
    for (long f = 0; f < B && p + f < frames_; ++f) played_[static_cast<std::size_t>(p + f)] = 1;
    for (long c = 0; c < inputs_; ++c) {
        const auto* in = static_cast<const unsigned char*>(host_.half(true, c, rec.index));
        if (!in) continue;
        for (long f = 0; f < B && p + f < frames_; ++f)
            captured_[static_cast<std::size_t>(c * frames_ + p + f)] =
                decodeSample(type_, in + static_cast<std::size_t>(f) * bytes_);
    }
    seen_.store(p + B, std::memory_order_release);
}

bool LoopProbe::waitComplete(double timeoutMs) const {
    return testsupport::waitFor([&] { return complete(); }, timeoutMs);
}

std::int64_t LoopProbe::firstSound(long input) const {
    for (std::int64_t q = 0; q < frames_; ++q)
        if (captured_[static_cast<std::size_t>(input * frames_ + q)] > 0) return q;
    return -1;
}

std::int64_t LoopProbe::measuredDelay(long input) const {
    const std::int64_t q = firstSound(input);
    if (q < 0) return -1;
    const std::int32_t code = captured_[static_cast<std::size_t>(input * frames_ + q)];
    const std::int64_t from = (code - 1) >> 3;  // output position mod 2048
    return ((q - from) % 2048 + 2048) % 2048;
}

std::int64_t LoopProbe::delivered(long input) const {
    std::int64_t n = 0;
    for (std::int64_t q = 0; q < frames_; ++q)
        n += captured_[static_cast<std::size_t>(input * frames_ + q)] != -2;
    return n;
}

std::string LoopProbe::verify(long input, long source, std::int64_t delay) const {
    std::ostringstream out;
    int shown = 0;
    std::int64_t bad = 0;
    for (std::int64_t q = 0; q < frames_; ++q) {
        const std::int32_t got = captured_[static_cast<std::size_t>(input * frames_ + q)];
        if (got == -2) continue;  // the host never received this position (skipped)
        const std::int64_t from = q - delay;
        const bool sound = source >= 0 && from >= 0 && played_[static_cast<std::size_t>(from)];
        const std::int32_t want = sound ? signalCode(source, from) : 0;
        if (got == want) continue;
        ++bad;
        if (shown++ < 5) {
            out << "  input " << input << " position " << q << ": got ";
            if (got > 0)
                out << "output " << ((got - 1) & 7) << " position~" << ((got - 1) >> 3)
                    << " (mod 2048)";
            else
                out << (got == 0 ? "silence" : "a foreign sample");
            out << ", want "
                << (sound ? "output " + std::to_string(source) + " position " + std::to_string(from)
                          : std::string("silence"))
                << "\n";
        }
    }
    if (bad == 0) return {};
    return std::to_string(bad) + " wrong samples on input " + std::to_string(input) + ":\n" +
           out.str();
}

}  // namespace foldback::itest
