// hw-params negotiation for the ALSA driver: from what two PCMs (capture, playback; either
// may be absent) accept to one configuration both share, and the exact buffer sizes,
// rates and periods the hardware takes. Separate from the driver so the tests can run it
// against real PCMs (tests/drivers/alsa).
//
// Everything here is exact: a buffer size, rate or period count is offered only when
// snd_pcm_hw_params_test_*() accepts it on both PCMs with everything else fixed, so
// getBufferSize's granularity and canSampleRate are honest even where the ranges alsa-lib
// prints are not (the JACK ioplug says PERIOD_SIZE [64 4096] but takes only multiples of
// the server's period).
#pragma once

#include <alsa/asoundlib.h>

#include <string>
#include <vector>

#include "convert/convert.hpp"
#include "foldback/asio.h"
#include "kit/backend.hpp"

namespace foldback::alsa {

enum class Access { Auto, Mmap, Rw };
enum class Layout { Auto, Interleaved, NonInterleaved };

// What the instance's config asks for ([alsa] in config.toml).
struct Preferences {
    Access access = Access::Auto;
    Layout layout = Layout::Auto;  // auto: non-interleaved when the format is the ASIO type
    std::string format;            // "" = auto; else an ALSA name ("S32_LE", "S24_3LE", ...)
    unsigned rate = 0;             // 0 = 48000 when taken, else the first standard rate taken
    unsigned periods = 2;          // periods per buffer
    unsigned captureChannels = 0;  // 0 = default (all of a hw device; 2 on plugins when more)
    unsigned playbackChannels = 0;
    long bufferSize = 256;  // preferred buffer size (nearest accepted is used)
};

// An ALSA format the driver can carry, and how.
struct FormatInfo {
    snd_pcm_format_t alsa = SND_PCM_FORMAT_UNKNOWN;
    convert::DeviceFormat device = convert::DeviceFormat::FLOAT_LE;
    ASIOSampleType asio = ASIOSTFloat32LSB;  // the type the host sees
    bool native = false;  // device bytes == ASIO bytes: the kit only (de)interleaves
};
// The formats in the order "auto" tries them. Empty result from find() = not carried.
const std::vector<FormatInfo>& formats();
const FormatInfo* findFormat(snd_pcm_format_t f);

// What one PCM offers with nothing fixed (for `foldback list` and error texts).
struct PcmRange {
    bool hardware = false;  // SND_PCM_TYPE_HW
    bool mmap = false, rw = false, interleaved = false, nonInterleaved = false;
    std::vector<snd_pcm_format_t> formats;  // every format, carried or not
    unsigned channelsMin = 0, channelsMax = 0;
    unsigned rateMin = 0, rateMax = 0;
    unsigned long periodMin = 0, periodMax = 0;
    unsigned periodsMin = 0, periodsMax = 0;
};
PcmRange describe(snd_pcm_t* pcm);
// "S32_LE S24_3LE, 1-2 ch, 44100-96000 Hz, period 16-4096, 2-32 periods"
std::string rangeText(const PcmRange& r);

// The configuration both PCMs share.
struct Plan {
    FormatInfo format;
    bool interleaved = true;
    bool mmap[2] = {false, false};  // [0] capture, [1] playback
    unsigned channels[2] = {0, 0};  // 0 = that direction is absent
    std::vector<double> rates;      // standard rates both take (with the rest fixed)
    unsigned rate = 0;
    unsigned periods = 2;
    std::vector<long> periodSizes;  // every period size in [16, 8192] both take at `rate`
    kit::BufferSizes sizes;         // what getBufferSize reports (see sizesFrom)
};

// Negotiates; capture or playback may be null (not both). Throws kit::Error with a text a
// person can act on (what the device offers, which setting to change).
Plan negotiate(snd_pcm_t* capture, snd_pcm_t* playback, const Preferences& prefs);
// Re-derives periodSizes and sizes for another rate (setSampleRate). Throws kit::Error.
void retune(Plan& plan, snd_pcm_t* capture, snd_pcm_t* playback, unsigned rate, long preferred);

// ASIO buffer sizes from the set of accepted period sizes (ascending, unique):
// all of min..max in steps of g -> granularity g; powers of two -> -1; otherwise the
// longest arithmetic run from the smallest size, so nothing offered is refused.
// preferred: the accepted size nearest to `want` (the smaller on a tie).
kit::BufferSizes sizesFrom(const std::vector<long>& accepted, long want);

// The geometry a PCM ended up with after apply().
struct Geometry {
    snd_pcm_uframes_t period = 0, buffer = 0;
    snd_pcm_sframes_t fifo = 0;  // snd_pcm_hw_params_get_fifo_size (frames), 0 when unknown
};
// Installs hw params (plan, `period` frames exactly, plan.periods) and sw params (wake at
// one period, never start by itself, xrun when the buffer runs out). direction: 0 capture,
// 1 playback. Throws kit::Error.
Geometry apply(snd_pcm_t* pcm, int direction, const Plan& plan, long period);

}  // namespace foldback::alsa
