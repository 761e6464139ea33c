#include "drivers/alsa/hw_params.hpp"

#include <algorithm>
#include <cstdlib>
#include <numeric>

#include "kit/error.hpp"

namespace foldback::alsa {

using kit::fail;

namespace {

constexpr long kMinSize = 16;
constexpr long kMaxSize = 8192;
constexpr unsigned kStandardRates[] = {8000,  11025, 16000,  22050,  32000,  44100, 48000,
                                       88200, 96000, 176400, 192000, 352800, 384000};
const char* const kDirection[2] = {"capture", "playback"};

// snd_pcm_hw_params_t owned on the heap (control thread only).
class HwParams {
  public:
    HwParams() {
        if (snd_pcm_hw_params_malloc(&p_) < 0)
            fail(ASE_NoMemory, "out of memory for ALSA hw params");
    }
    ~HwParams() { snd_pcm_hw_params_free(p_); }
    HwParams(const HwParams&) = delete;
    HwParams& operator=(const HwParams&) = delete;
    snd_pcm_hw_params_t* get() const { return p_; }
    void copyFrom(const HwParams& o) { snd_pcm_hw_params_copy(p_, o.p_); }

  private:
    snd_pcm_hw_params_t* p_ = nullptr;
};

void any(snd_pcm_t* pcm, const HwParams& hw) {
    const int r = snd_pcm_hw_params_any(pcm, hw.get());
    if (r < 0)
        fail(ASE_NotPresent, "ALSA PCM '{}' reports no configuration: {}", snd_pcm_name(pcm),
             snd_strerror(r));
    // Exact rates only: no resampling inside alsa-lib (matters for `plug` PCMs).
    (void)snd_pcm_hw_params_set_rate_resample(pcm, hw.get(), 0);
}

snd_pcm_access_t accessFor(bool mmap, bool interleaved) {
    if (mmap)
        return interleaved ? SND_PCM_ACCESS_MMAP_INTERLEAVED : SND_PCM_ACCESS_MMAP_NONINTERLEAVED;
    return interleaved ? SND_PCM_ACCESS_RW_INTERLEAVED : SND_PCM_ACCESS_RW_NONINTERLEAVED;
}

std::string formatList(const std::vector<snd_pcm_format_t>& fs) {
    std::string s;
    for (auto f : fs) {
        if (!s.empty()) s += ' ';
        s += snd_pcm_format_name(f);
    }
    return s.empty() ? "no format" : s;
}

unsigned defaultChannels(const PcmRange& r) {
    if (r.hardware) return std::min(r.channelsMax, 256u);
    // Plugins (sound servers, `null`) accept almost any count; a stereo default is what
    // their other end usually has.
    if (r.channelsMax <= 32) return r.channelsMax;
    return std::max(r.channelsMin, 2u);
}

struct Pcms {
    snd_pcm_t* pcm[2];
    HwParams hw[2];
    bool has(int d) const { return pcm[d] != nullptr; }
};

// Access, format and channels of the plan, installed into fresh params of both PCMs.
void fixShape(Pcms& p, const Plan& plan) {
    for (int d = 0; d < 2; ++d) {
        if (!p.has(d)) continue;
        any(p.pcm[d], p.hw[d]);
        snd_pcm_t* pcm = p.pcm[d];
        snd_pcm_hw_params_t* hw = p.hw[d].get();
        int r = snd_pcm_hw_params_set_access(pcm, hw, accessFor(plan.mmap[d], plan.interleaved));
        if (r >= 0) r = snd_pcm_hw_params_set_format(pcm, hw, plan.format.alsa);
        if (r >= 0) r = snd_pcm_hw_params_set_channels(pcm, hw, plan.channels[d]);
        if (r < 0)
            fail(ASE_NotPresent, "ALSA PCM '{}' ({}) no longer takes its negotiated shape: {}",
                 snd_pcm_name(pcm), kDirection[d], snd_strerror(r));
    }
}

bool bothTakeRate(Pcms& p, unsigned rate) {
    for (int d = 0; d < 2; ++d)
        if (p.has(d) && snd_pcm_hw_params_test_rate(p.pcm[d], p.hw[d].get(), rate, 0) < 0)
            return false;
    return true;
}

// With shape fixed: rate and periods installed, then every accepted period size.
void tuneRate(Pcms& p, Plan& plan, unsigned rate, long preferred) {
    for (int d = 0; d < 2; ++d) {
        if (!p.has(d)) continue;
        int r = snd_pcm_hw_params_set_rate(p.pcm[d], p.hw[d].get(), rate, 0);
        if (r < 0)
            fail(ASE_NoClock, "ALSA PCM '{}' ({}) does not take {} Hz: {}", snd_pcm_name(p.pcm[d]),
                 kDirection[d], rate, snd_strerror(r));
    }
    for (int d = 0; d < 2; ++d) {
        if (!p.has(d)) continue;
        snd_pcm_t* pcm = p.pcm[d];
        snd_pcm_hw_params_t* hw = p.hw[d].get();
        if (snd_pcm_hw_params_set_periods(pcm, hw, plan.periods, 0) < 0) {
            unsigned lo = 0, hi = 0;
            snd_pcm_hw_params_get_periods_min(hw, &lo, nullptr);
            snd_pcm_hw_params_get_periods_max(hw, &hi, nullptr);
            fail(ASE_NotPresent,
                 "ALSA PCM '{}' ({}) does not take {} periods per buffer at {} Hz (it takes "
                 "{}..{}); "
                 "set [alsa] periods in the instance's config.toml",
                 snd_pcm_name(pcm), kDirection[d], plan.periods, rate, lo, hi);
        }
    }
    // Narrow the scan to what both report, then test every size: the reported interval
    // does not say which sizes inside it are taken.
    long lo = kMinSize, hi = kMaxSize;
    for (int d = 0; d < 2; ++d) {
        if (!p.has(d)) continue;
        snd_pcm_uframes_t mn = 0, mx = 0;
        int dir = 0;
        snd_pcm_hw_params_get_period_size_min(p.hw[d].get(), &mn, &dir);
        dir = 0;
        snd_pcm_hw_params_get_period_size_max(p.hw[d].get(), &mx, &dir);
        lo = std::max<long>(lo, static_cast<long>(mn));
        hi = std::min<long>(hi, static_cast<long>(std::min<snd_pcm_uframes_t>(mx, kMaxSize)));
    }
    plan.periodSizes.clear();
    for (long s = lo; s <= hi; ++s) {
        bool ok = true;
        for (int d = 0; d < 2 && ok; ++d)
            if (p.has(d) && snd_pcm_hw_params_test_period_size(
                                p.pcm[d], p.hw[d].get(), static_cast<snd_pcm_uframes_t>(s), 0) < 0)
                ok = false;
        if (ok) plan.periodSizes.push_back(s);
    }
    if (plan.periodSizes.empty())
        fail(ASE_NotPresent,
             "no buffer size in {}..{} frames works on '{}' with {} periods at {} Hz; "
             "try another [alsa] periods or rate",
             kMinSize, kMaxSize, snd_pcm_name(p.pcm[p.has(0) ? 0 : 1]), plan.periods, rate);
    plan.rate = rate;
    plan.sizes = sizesFrom(plan.periodSizes, preferred);
}

}  // namespace

const std::vector<FormatInfo>& formats() {
    using DF = convert::DeviceFormat;
    static const std::vector<FormatInfo> list{
        {SND_PCM_FORMAT_FLOAT_LE, DF::FLOAT_LE, ASIOSTFloat32LSB, true},
        {SND_PCM_FORMAT_S32_LE, DF::S32_LE, ASIOSTInt32LSB, true},
        {SND_PCM_FORMAT_S24_3LE, DF::S24_3LE, ASIOSTInt24LSB, true},
        {SND_PCM_FORMAT_S16_LE, DF::S16_LE, ASIOSTInt16LSB, true},
        {SND_PCM_FORMAT_FLOAT64_LE, DF::FLOAT64_LE, ASIOSTFloat64LSB, true},
        // Through src/convert: 24 bits in 32 (low bytes) and the big-endian formats.
        {SND_PCM_FORMAT_S24_LE, DF::S24_LE, ASIOSTInt32LSB, false},
        {SND_PCM_FORMAT_S32_BE, DF::S32_BE, ASIOSTInt32LSB, false},
        {SND_PCM_FORMAT_FLOAT_BE, DF::FLOAT_BE, ASIOSTFloat32LSB, false},
        {SND_PCM_FORMAT_S24_3BE, DF::S24_3BE, ASIOSTInt24LSB, false},
        {SND_PCM_FORMAT_S16_BE, DF::S16_BE, ASIOSTInt16LSB, false},
    };
    return list;
}

const FormatInfo* findFormat(snd_pcm_format_t f) {
    for (const auto& i : formats())
        if (i.alsa == f) return &i;
    return nullptr;
}

PcmRange describe(snd_pcm_t* pcm) {
    PcmRange r;
    r.hardware = snd_pcm_type(pcm) == SND_PCM_TYPE_HW;
    HwParams hw;
    any(pcm, hw);
    snd_pcm_hw_params_t* h = hw.get();
    r.mmap = snd_pcm_hw_params_test_access(pcm, h, SND_PCM_ACCESS_MMAP_INTERLEAVED) == 0 ||
             snd_pcm_hw_params_test_access(pcm, h, SND_PCM_ACCESS_MMAP_NONINTERLEAVED) == 0;
    r.rw = snd_pcm_hw_params_test_access(pcm, h, SND_PCM_ACCESS_RW_INTERLEAVED) == 0 ||
           snd_pcm_hw_params_test_access(pcm, h, SND_PCM_ACCESS_RW_NONINTERLEAVED) == 0;
    r.interleaved = snd_pcm_hw_params_test_access(pcm, h, SND_PCM_ACCESS_MMAP_INTERLEAVED) == 0 ||
                    snd_pcm_hw_params_test_access(pcm, h, SND_PCM_ACCESS_RW_INTERLEAVED) == 0;
    r.nonInterleaved =
        snd_pcm_hw_params_test_access(pcm, h, SND_PCM_ACCESS_MMAP_NONINTERLEAVED) == 0 ||
        snd_pcm_hw_params_test_access(pcm, h, SND_PCM_ACCESS_RW_NONINTERLEAVED) == 0;
    for (int f = 0; f <= SND_PCM_FORMAT_LAST; ++f)
        if (snd_pcm_hw_params_test_format(pcm, h, static_cast<snd_pcm_format_t>(f)) == 0)
            r.formats.push_back(static_cast<snd_pcm_format_t>(f));
    snd_pcm_hw_params_get_channels_min(h, &r.channelsMin);
    snd_pcm_hw_params_get_channels_max(h, &r.channelsMax);
    int dir = 0;
    snd_pcm_hw_params_get_rate_min(h, &r.rateMin, &dir);
    dir = 0;
    snd_pcm_hw_params_get_rate_max(h, &r.rateMax, &dir);
    dir = 0;
    snd_pcm_hw_params_get_period_size_min(h, &r.periodMin, &dir);
    dir = 0;
    snd_pcm_hw_params_get_period_size_max(h, &r.periodMax, &dir);
    dir = 0;
    snd_pcm_hw_params_get_periods_min(h, &r.periodsMin, &dir);
    dir = 0;
    snd_pcm_hw_params_get_periods_max(h, &r.periodsMax, &dir);
    return r;
}

std::string rangeText(const PcmRange& r) {
    auto span = [](unsigned long a, unsigned long b) {
        return a == b ? fmt::format("{}", a) : fmt::format("{}-{}", a, b);
    };
    return fmt::format("{}, {} ch, {} Hz, period {}, {} periods{}", formatList(r.formats),
                       span(r.channelsMin, r.channelsMax), span(r.rateMin, r.rateMax),
                       span(r.periodMin, r.periodMax), span(r.periodsMin, r.periodsMax),
                       r.mmap ? "" : ", no mmap");
}

Plan negotiate(snd_pcm_t* capture, snd_pcm_t* playback, const Preferences& prefs) {
    if (!capture && !playback) fail(ASE_NotPresent, "neither capture nor playback is configured");
    Pcms p{{capture, playback}, {}};
    PcmRange range[2];
    for (int d = 0; d < 2; ++d)
        if (p.has(d)) {
            range[d] = describe(p.pcm[d]);
            any(p.pcm[d], p.hw[d]);
        }
    auto offers = [&]() {
        std::string s;
        for (int d = 0; d < 2; ++d)
            if (p.has(d))
                s += fmt::format("{}{} '{}': {}", s.empty() ? "" : "; ", kDirection[d],
                                 snd_pcm_name(p.pcm[d]), rangeText(range[d]));
        return s;
    };
    Plan plan;
    plan.periods = prefs.periods;

    // 1. Format: the configured one, or the first carried format both take.
    std::vector<FormatInfo> candidates;
    if (!prefs.format.empty()) {
        const snd_pcm_format_t f = snd_pcm_format_value(prefs.format.c_str());
        const FormatInfo* info = f == SND_PCM_FORMAT_UNKNOWN ? nullptr : findFormat(f);
        if (!info)
            fail(ASE_NotPresent,
                 "[alsa] format = \"{}\" is not one the driver carries (S16_LE, S24_3LE, S24_LE, "
                 "S32_LE, FLOAT_LE, FLOAT64_LE or a big-endian one)",
                 prefs.format);
        candidates.push_back(*info);
    } else {
        candidates = formats();
    }
    bool found = false;
    for (const auto& f : candidates) {
        bool ok = true;
        for (int d = 0; d < 2 && ok; ++d)
            if (p.has(d) && snd_pcm_hw_params_test_format(p.pcm[d], p.hw[d].get(), f.alsa) < 0)
                ok = false;
        if (ok) {
            plan.format = f;
            found = true;
            break;
        }
    }
    if (!found) {
        if (!prefs.format.empty())
            fail(ASE_NotPresent, "[alsa] format = \"{}\" is not taken by the device ({})",
                 prefs.format, offers());
        fail(ASE_NotPresent, "no sample format both directions take that the driver carries ({})",
             offers());
    }
    for (int d = 0; d < 2; ++d)
        if (p.has(d)) snd_pcm_hw_params_set_format(p.pcm[d], p.hw[d].get(), plan.format.alsa);

    // 2. Access: mmap before read/write (one copy less), and the layout that needs no
    // conversion first (non-interleaved when the format is the ASIO type itself).
    std::vector<bool> mmapOrder;
    if (prefs.access != Access::Rw) mmapOrder.push_back(true);
    if (prefs.access != Access::Mmap) mmapOrder.push_back(false);
    std::vector<bool> layouts;  // interleaved?
    if (prefs.layout == Layout::Interleaved)
        layouts = {true};
    else if (prefs.layout == Layout::NonInterleaved)
        layouts = {false};
    else
        layouts = {!plan.format.native, plan.format.native};
    bool chosen = false;
    for (bool mm : mmapOrder) {
        for (bool inter : layouts) {
            bool ok = true;
            bool mmapOf[2] = {false, false};
            for (int d = 0; d < 2 && ok; ++d) {
                if (!p.has(d)) continue;
                // Auto: this direction may fall back to read/write on its own.
                if (snd_pcm_hw_params_test_access(p.pcm[d], p.hw[d].get(), accessFor(mm, inter)) ==
                    0)
                    mmapOf[d] = mm;
                else if (prefs.access == Access::Auto && mm &&
                         snd_pcm_hw_params_test_access(p.pcm[d], p.hw[d].get(),
                                                       accessFor(false, inter)) == 0)
                    mmapOf[d] = false;
                else
                    ok = false;
            }
            if (ok) {
                plan.interleaved = inter;
                plan.mmap[0] = mmapOf[0];
                plan.mmap[1] = mmapOf[1];
                chosen = true;
                break;
            }
        }
        if (chosen) break;
    }
    if (!chosen)
        fail(ASE_NotPresent,
             "the device does not offer {}{} access with {} ({}); set [alsa] access and layout to "
             "\"auto\"",
             prefs.access == Access::Mmap ? "mmap"
             : prefs.access == Access::Rw ? "read/write"
                                          : "a common",
             prefs.layout == Layout::Interleaved      ? " interleaved"
             : prefs.layout == Layout::NonInterleaved ? " non-interleaved"
                                                      : "",
             snd_pcm_format_name(plan.format.alsa), offers());
    for (int d = 0; d < 2; ++d)
        if (p.has(d))
            snd_pcm_hw_params_set_access(p.pcm[d], p.hw[d].get(),
                                         accessFor(plan.mmap[d], plan.interleaved));

    // 3. Channels per direction.
    for (int d = 0; d < 2; ++d) {
        if (!p.has(d)) continue;
        const unsigned want = d == 0 ? prefs.captureChannels : prefs.playbackChannels;
        const unsigned n = want ? want : defaultChannels(range[d]);
        if (snd_pcm_hw_params_set_channels(p.pcm[d], p.hw[d].get(), n) < 0)
            fail(ASE_NotPresent,
                 "ALSA PCM '{}' ({}) does not take {} channels (it takes {}..{}); set [alsa] "
                 "{}_channels",
                 snd_pcm_name(p.pcm[d]), kDirection[d], n, range[d].channelsMin,
                 range[d].channelsMax, kDirection[d]);
        plan.channels[d] = n;
    }

    // 4. Rates: every standard rate both take exactly.
    for (unsigned r : kStandardRates)
        if (bothTakeRate(p, r)) plan.rates.push_back(r);
    unsigned rate = prefs.rate;
    if (rate) {
        if (!bothTakeRate(p, rate))
            fail(ASE_NoClock, "[alsa] rate = {} is not taken by the device ({})", rate, offers());
        if (std::find(plan.rates.begin(), plan.rates.end(), static_cast<double>(rate)) ==
            plan.rates.end()) {
            plan.rates.push_back(rate);
            std::sort(plan.rates.begin(), plan.rates.end());
        }
    } else {
        if (plan.rates.empty())
            fail(ASE_NoClock, "the device takes none of the standard rates ({}); set [alsa] rate",
                 offers());
        for (unsigned r : {48000u, 44100u, 96000u, 88200u})
            if (std::find(plan.rates.begin(), plan.rates.end(), static_cast<double>(r)) !=
                plan.rates.end()) {
                rate = r;
                break;
            }
        if (!rate) rate = static_cast<unsigned>(plan.rates.front());
    }

    // 5. Periods and every period size at that rate.
    tuneRate(p, plan, rate, prefs.bufferSize);
    return plan;
}

void retune(Plan& plan, snd_pcm_t* capture, snd_pcm_t* playback, unsigned rate, long preferred) {
    Pcms p{{capture, playback}, {}};
    fixShape(p, plan);
    Plan next = plan;
    tuneRate(p, next, rate, preferred);
    plan = std::move(next);
}

kit::BufferSizes sizesFrom(const std::vector<long>& accepted, long want) {
    kit::BufferSizes b;
    if (accepted.empty()) return b;
    std::vector<long> offered;
    const long lo = accepted.front(), hi = accepted.back();
    auto has = [&](long v) { return std::binary_search(accepted.begin(), accepted.end(), v); };
    long g = 0;
    for (long v : accepted) g = std::gcd(g, v - lo);
    if (accepted.size() == 1) {
        offered = {lo};
        b.granularity = 0;
    } else if (static_cast<std::size_t>((hi - lo) / g + 1) == accepted.size()) {
        offered = accepted;
        b.granularity = g;
    } else {
        // Longest arithmetic run from the smallest size vs the run of powers of two.
        std::vector<long> run{lo};
        const long step = accepted[1] - lo;
        while (has(run.back() + step)) run.push_back(run.back() + step);
        std::vector<long> pow2;
        for (long v : accepted)
            if ((v & (v - 1)) == 0) {
                pow2.push_back(v);
                break;
            }
        while (!pow2.empty() && has(pow2.back() * 2)) pow2.push_back(pow2.back() * 2);
        if (pow2.size() > run.size()) {
            offered = pow2;
            b.granularity = -1;
        } else {
            offered = run;
            b.granularity = run.size() > 1 ? step : 0;
        }
    }
    b.min = offered.front();
    b.max = offered.back();
    long best = offered.front();
    for (long v : offered)
        if (std::labs(v - want) < std::labs(best - want)) best = v;
    b.preferred = best;
    if (b.granularity == 0) b.max = b.min = best;
    return b;
}

Geometry apply(snd_pcm_t* pcm, int direction, const Plan& plan, long period) {
    const char* what = kDirection[direction];
    HwParams hw;
    any(pcm, hw);
    snd_pcm_hw_params_t* h = hw.get();
    int r = snd_pcm_hw_params_set_access(pcm, h, accessFor(plan.mmap[direction], plan.interleaved));
    if (r >= 0) r = snd_pcm_hw_params_set_format(pcm, h, plan.format.alsa);
    if (r >= 0) r = snd_pcm_hw_params_set_channels(pcm, h, plan.channels[direction]);
    if (r >= 0) r = snd_pcm_hw_params_set_rate(pcm, h, plan.rate, 0);
    if (r >= 0) r = snd_pcm_hw_params_set_periods(pcm, h, plan.periods, 0);
    if (r >= 0)
        r = snd_pcm_hw_params_set_period_size(pcm, h, static_cast<snd_pcm_uframes_t>(period), 0);
    if (r >= 0) r = snd_pcm_hw_params(pcm, h);
    if (r < 0)
        fail(ASE_HWMalfunction, "ALSA PCM '{}' ({}) refused {} frames x {} periods at {} Hz: {}",
             snd_pcm_name(pcm), what, period, plan.periods, plan.rate, snd_strerror(r));
    Geometry g;
    int dir = 0;
    snd_pcm_hw_params_get_period_size(h, &g.period, &dir);
    snd_pcm_hw_params_get_buffer_size(h, &g.buffer);
    const int fifo = snd_pcm_hw_params_get_fifo_size(h);
    g.fifo = fifo > 0 ? fifo : 0;
    if (g.period != static_cast<snd_pcm_uframes_t>(period) ||
        g.buffer != static_cast<snd_pcm_uframes_t>(period) * plan.periods)
        fail(ASE_HWMalfunction, "ALSA PCM '{}' ({}) set {} x {} frames instead of {} x {}",
             snd_pcm_name(pcm), what, g.period, g.buffer / std::max<snd_pcm_uframes_t>(g.period, 1),
             period, plan.periods);

    snd_pcm_sw_params_t* sw = nullptr;
    if (snd_pcm_sw_params_malloc(&sw) < 0) fail(ASE_NoMemory, "out of memory for ALSA sw params");
    snd_pcm_uframes_t boundary = 0;
    r = snd_pcm_sw_params_current(pcm, sw);
    if (r >= 0) r = snd_pcm_sw_params_get_boundary(sw, &boundary);
    if (r >= 0) r = snd_pcm_sw_params_set_avail_min(pcm, sw, g.period);
    // Started by the driver (linked or back to back), never by a transfer.
    if (r >= 0) r = snd_pcm_sw_params_set_start_threshold(pcm, sw, boundary);
    if (r >= 0) r = snd_pcm_sw_params_set_stop_threshold(pcm, sw, g.buffer);
    if (r >= 0) r = snd_pcm_sw_params_set_silence_threshold(pcm, sw, 0);
    if (r >= 0) r = snd_pcm_sw_params(pcm, sw);
    snd_pcm_sw_params_free(sw);
    if (r < 0)
        fail(ASE_HWMalfunction, "ALSA PCM '{}' ({}) refused its software parameters: {}",
             snd_pcm_name(pcm), what, snd_strerror(r));
    return g;
}

}  // namespace foldback::alsa
