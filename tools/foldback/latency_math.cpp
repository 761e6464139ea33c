#include "latency_math.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numbers>

namespace foldback::cli::latency {

void fft(std::vector<Complex>& a, bool inverse) {
    const std::size_t n = a.size();
    for (std::size_t i = 1, j = 0; i < n; ++i) {
        std::size_t bit = n >> 1;
        for (; j & bit; bit >>= 1) j ^= bit;
        j ^= bit;
        if (i < j) std::swap(a[i], a[j]);
    }
    for (std::size_t len = 2; len <= n; len <<= 1) {
        const double angle = 2 * std::numbers::pi / static_cast<double>(len) * (inverse ? 1 : -1);
        const Complex step(std::cos(angle), std::sin(angle));
        for (std::size_t i = 0; i < n; i += len) {
            Complex w(1, 0);
            for (std::size_t k = 0; k < len / 2; ++k) {
                // Recompute every 64 steps: no drift from repeated multiplication.
                if ((k & 63) == 0 && k) w = std::polar(1.0, angle * static_cast<double>(k));
                const Complex u = a[i + k], v = a[i + k + len / 2] * w;
                a[i + k] = u + v;
                a[i + k + len / 2] = u - v;
                w *= step;
            }
        }
    }
    if (inverse)
        for (auto& v : a) v /= static_cast<double>(n);
}

Excitation makeExcitation(std::size_t period, double rate, double level) {
    Excitation x;
    x.period = period;
    const double n = static_cast<double>(period);
    const auto lo = static_cast<std::size_t>(std::max(2.0, std::ceil(40.0 * n / rate)));
    const auto hi = static_cast<std::size_t>(std::floor(std::min(0.42 * rate, 20000.0) * n / rate));
    for (std::size_t k = lo; k <= hi; ++k) x.bins.push_back(k);
    const double count = static_cast<double>(x.bins.size());
    std::vector<Complex> spec(period, Complex(0, 0));
    for (std::size_t j = 0; j < x.bins.size(); ++j) {
        // Schroeder phases: the tones never pile up into one big peak.
        const double jj = static_cast<double>(j + 1);
        const double phase = -std::numbers::pi * jj * (jj - 1) / count;
        spec[x.bins[j]] = std::polar(1.0, phase);
        spec[period - x.bins[j]] = std::conj(spec[x.bins[j]]);
    }
    fft(spec, true);
    double peak = 0;
    for (const auto& v : spec) peak = std::max(peak, std::fabs(v.real()));
    x.signal.resize(period);
    for (std::size_t i = 0; i < period; ++i)
        x.signal[i] = static_cast<float>(spec[i].real() / peak * level);
    // The spectrum of what is really played (float samples), so a bit-exact loop divides out
    // exactly.
    x.spectrum.assign(period, Complex(0, 0));
    for (std::size_t i = 0; i < period; ++i) x.spectrum[i] = Complex(x.signal[i], 0);
    fft(x.spectrum, false);
    return x;
}

std::size_t choosePeriod(long reportedFrames) {
    std::size_t n = 8192;
    while (n < 2 * static_cast<std::size_t>(std::max(0L, reportedFrames)) &&
           n < (std::size_t{1} << 22))
        n <<= 1;
    return n;
}

std::size_t settlePeriods(long reportedFrames, std::size_t period) {
    const auto need = static_cast<std::size_t>(std::max(0L, reportedFrames)) + period / 2;
    return (need + period - 1) / period;
}

Estimate estimate(const Excitation& x, const std::vector<float>& rec, std::size_t settle,
                  std::size_t windows) {
    Estimate e;
    const std::size_t n = x.period;
    const double nd = static_cast<double>(n);
    if (rec.size() < (settle + windows) * n) {
        e.problem = "the recording is shorter than the analysis needs";
        return e;
    }
    // Where the signal first came back (resolves the multiple of N).
    float maxAbs = 0;
    for (float v : rec) maxAbs = std::max(maxAbs, std::fabs(v));
    if (maxAbs <= 1e-7f) {
        e.problem = "no signal came back";
        return e;
    }
    for (std::size_t i = 0; i < rec.size(); ++i)
        if (std::fabs(rec[i]) >= 0.1f * maxAbs) {
            e.onset = static_cast<long>(i);
            break;
        }
    if (static_cast<std::size_t>(e.onset) > settle * n) {
        e.problem = fmt::format(
            "the signal came back only after {} frames, later than the {} frames the "
            "measurement waits; the real latency is far above the reported one",
            e.onset, settle * n);
        return e;
    }

    // Average the input spectrum over the windows (coherent: same phase every period).
    std::vector<Complex> y(n, Complex(0, 0)), acc(n, Complex(0, 0));
    for (std::size_t w = 0; w < windows; ++w) {
        const std::size_t start = (settle + w) * n;
        for (std::size_t i = 0; i < n; ++i) y[i] = Complex(rec[start + i], 0);
        fft(y, false);
        for (std::size_t k = 0; k < n; ++k) acc[k] += y[k];
    }
    std::vector<Complex> h(n, Complex(0, 0));
    std::vector<double> weight(n, 0.0);
    double gain = 0;
    const std::size_t first = x.bins.front(), last = x.bins.back();
    const double taper = std::max(8.0, 0.1 * static_cast<double>(last - first));
    for (std::size_t k : x.bins) {
        const Complex hk = acc[k] / (static_cast<double>(windows) * x.spectrum[k]);
        weight[k] = std::norm(acc[k]);
        gain += std::abs(hk);
        // A smooth band edge keeps the impulse response compact (for the peak and the plot).
        const double dk = static_cast<double>(std::min(k - first, last - k));
        const double win = dk >= taper ? 1.0 : 0.5 - 0.5 * std::cos(std::numbers::pi * dk / taper);
        h[k] = hk * win;
        h[n - k] = std::conj(h[k]);
    }
    gain /= static_cast<double>(x.bins.size());
    e.gainDb = 20 * std::log10(std::max(gain, 1e-12));
    std::vector<Complex> hkRaw(n, Complex(0, 0));
    for (std::size_t k : x.bins) hkRaw[k] = acc[k] / (static_cast<double>(windows) * x.spectrum[k]);
    fft(h, true);

    std::size_t peak = 0;
    double best = -1;
    for (std::size_t i = 0; i < n; ++i)
        if (std::fabs(h[i].real()) > best) {
            best = std::fabs(h[i].real());
            peak = i;
        }
    e.inverted = h[peak].real() < 0;
    // Peak over the rest (outside +-32 frames).
    double noise = 0;
    std::size_t count = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t d = std::min((i + n - peak) % n, (peak + n - i) % n);
        if (d <= 32) continue;
        noise += h[i].real() * h[i].real();
        ++count;
    }
    noise = std::sqrt(noise / std::max<std::size_t>(count, 1));
    e.snrDb = 20 * std::log10(best / std::max(noise, 1e-15));
    e.impulse.resize(n);
    for (std::size_t i = 0; i < n; ++i) e.impulse[i] = h[i].real() / best;
    if (e.snrDb < 12) {
        e.problem = fmt::format(
            "no clear impulse (peak only {:.1f} dB above the rest): too much noise, "
            "distortion or another signal on the input",
            e.snrDb);
        return e;
    }

    // Fraction: phase slope of H after removing the integer peak, weighted by the power received.
    double integer = static_cast<double>(peak);
    double fraction = 0;
    for (int pass = 0; pass < 3; ++pass) {
        double num = 0, den = 0;
        for (std::size_t k : x.bins) {
            const double kd = static_cast<double>(k);
            Complex r = hkRaw[k] * std::polar(1.0, 2 * std::numbers::pi * kd * integer / nd);
            if (e.inverted) r = -r;
            const double phi = std::arg(r);
            num += weight[k] * kd * phi;
            den += weight[k] * kd * kd;
        }
        fraction = den > 0 ? -(nd / (2 * std::numbers::pi)) * num / den : 0;
        if (std::fabs(fraction) <= 0.5) break;
        integer += std::round(fraction);
    }
    double mod = integer + fraction;
    // The multiple of N from the onset (the signal starts at its full level within a few frames).
    const double m = std::round((static_cast<double>(e.onset) - mod) / nd);
    e.delay = mod + m * nd;
    e.peak = static_cast<long>(std::lround(integer + m * nd));
    e.fraction = e.delay - static_cast<double>(e.peak);
    e.ok = true;
    return e;
}

Offsets calibrate(double measured, long reportedInput, long reportedOutput, Offsets stored,
                  Split split) {
    const long baseIn = reportedInput - stored.input;
    const long baseOut = reportedOutput - stored.output;
    const long total = std::lround(measured) - baseIn - baseOut;
    Offsets o;
    switch (split) {
        case Split::Half:
            o.input = total / 2;  // toward zero: the odd frame goes to the output
            o.output = total - o.input;
            break;
        case Split::Input:
            o.input = total;
            break;
        case Split::Output:
            o.output = total;
            break;
    }
    // Neither side may go below 0 (the kit clamps there): move the excess to the other side.
    if (baseIn + o.input < 0) {
        o.output += baseIn + o.input;
        o.input = -baseIn;
    }
    if (baseOut + o.output < 0) {
        o.input += baseOut + o.output;
        o.output = -baseOut;
    }
    return o;
}

}  // namespace foldback::cli::latency
