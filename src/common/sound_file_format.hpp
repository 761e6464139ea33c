// The file types and sample formats Foldback writes (the file driver's outputs, `foldback
// record`'s takes): one table and one set of rules for both. The callers word the
// messages (a config key, a command-line option).
#pragma once

#include <sndfile.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>

namespace foldback {

struct SoundFileFormat {
    enum class Problem { None, UnknownType, UnknownSample, FlacNeedsIntegers };
    int format = 0;  // SF_FORMAT_* type | subtype when problem == None
    Problem problem = Problem::None;
    std::string extension;  // lower case, with the dot
    std::string sample;     // the sample format used: float, s16, s24 or s32
};

inline constexpr const char* kSoundFileTypes = ".wav, .w64, .flac, .aiff, .caf or .rf64";
inline constexpr const char* kSoundFileSamples = "float, s16, s24 or s32";

// The file type follows the name's extension (.wav .w64 .rf64 .flac .aiff/.aif .caf);
// wavAsRf64 writes .wav as RF64, which libsndfile keeps plain WAV below 4 GiB (set
// SFC_RF64_AUTO_DOWNGRADE). sample: float (or f32), s16, s24, s32, or "" for the type's
// default (s24 for FLAC, float for the others). FLAC holds 16- and 24-bit integers only.
inline SoundFileFormat soundFileFormat(const std::string& path, const std::string& sample,
                                       bool wavAsRf64) {
    SoundFileFormat r;
    r.extension = std::filesystem::path(path).extension().string();
    std::transform(r.extension.begin(), r.extension.end(), r.extension.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const std::string& e = r.extension;
    int type = 0;
    if (e == ".wav")
        type = wavAsRf64 ? SF_FORMAT_RF64 : SF_FORMAT_WAV;
    else if (e == ".rf64")
        type = SF_FORMAT_RF64;
    else if (e == ".w64")
        type = SF_FORMAT_W64;
    else if (e == ".flac")
        type = SF_FORMAT_FLAC;
    else if (e == ".aiff" || e == ".aif")
        type = SF_FORMAT_AIFF;
    else if (e == ".caf")
        type = SF_FORMAT_CAF;
    if (type == 0) {
        r.problem = SoundFileFormat::Problem::UnknownType;
        return r;
    }
    r.sample = sample.empty() ? (type == SF_FORMAT_FLAC ? "s24" : "float") : sample;
    int sub = 0;
    if (r.sample == "float" || r.sample == "f32")
        sub = SF_FORMAT_FLOAT;
    else if (r.sample == "s16")
        sub = SF_FORMAT_PCM_16;
    else if (r.sample == "s24")
        sub = SF_FORMAT_PCM_24;
    else if (r.sample == "s32")
        sub = SF_FORMAT_PCM_32;
    if (sub == 0) {
        r.problem = SoundFileFormat::Problem::UnknownSample;
        return r;
    }
    if (type == SF_FORMAT_FLAC && (sub == SF_FORMAT_FLOAT || sub == SF_FORMAT_PCM_32)) {
        r.problem = SoundFileFormat::Problem::FlacNeedsIntegers;
        return r;
    }
    r.format = type | sub;
    return r;
}

}  // namespace foldback
