#include "audio_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "common.hpp"
#include "common/sound_file_format.hpp"

namespace foldback::cli {

SoundFile& SoundFile::operator=(SoundFile&& o) noexcept {
    if (this != &o) {
        close();
        f_ = o.f_;
        info_ = o.info_;
        path_ = std::move(o.path_);
        o.f_ = nullptr;
    }
    return *this;
}

std::string SoundFile::close() {
    if (!f_) return "";
    const int rc = sf_close(f_);
    f_ = nullptr;
    return rc == 0 ? "" : sf_error_number(rc);
}

SoundFile SoundFile::openRead(const std::string& path) {
    SoundFile s;
    s.path_ = path;
    s.f_ = sf_open(path.c_str(), SFM_READ, &s.info_);
    if (!s.f_) {
        std::error_code ec;
        if (!std::filesystem::exists(path, ec))
            error(fmt::format("{}: no such file; check the path", path));
        else
            error(fmt::format(
                "{}: cannot read it as audio ({}); libsndfile reads WAV, W64, RF64, FLAC, "
                "AIFF, CAF, OGG and more: convert it to one of those",
                path, sf_strerror(nullptr)));
        throw kFileError;
    }
    if (s.info_.channels < 1 || s.info_.samplerate < 1) {
        error(fmt::format("{}: the file says it has {} channels at {} Hz; it is damaged", path,
                          s.info_.channels, s.info_.samplerate));
        throw kFileError;
    }
    return s;
}

SoundFile SoundFile::openWrite(const std::string& path, int format, int channels, int rate) {
    SoundFile s;
    s.path_ = path;
    s.info_.channels = channels;
    s.info_.samplerate = rate;
    s.info_.format = format;
    if (!sf_format_check(&s.info_)) {
        error(fmt::format("{}: {} cannot hold {} channels at {} Hz; use a .w64 or .wav file", path,
                          formatName(format), channels, rate));
        throw kFileError;
    }
    s.f_ = sf_open(path.c_str(), SFM_WRITE, &s.info_);
    if (!s.f_) {
        error(fmt::format("{}: cannot create it ({}); check that the folder exists and is writable",
                          path, sf_strerror(nullptr)));
        throw kFileError;
    }
    // Integer files: clip instead of wrapping; RF64 becomes plain WAV when it stays < 4 GiB.
    sf_command(s.f_, SFC_SET_CLIPPING, nullptr, SF_TRUE);
    if ((format & SF_FORMAT_TYPEMASK) == SF_FORMAT_RF64)
        sf_command(s.f_, SFC_RF64_AUTO_DOWNGRADE, nullptr, SF_TRUE);
    return s;
}

int writeFormat(const std::string& path, const std::string& sampleFormat) {
    // .wav as RF64, auto-downgraded to WAV below 4 GiB (see openWrite).
    const SoundFileFormat f = soundFileFormat(path, sampleFormat, true);
    switch (f.problem) {
        case SoundFileFormat::Problem::None:
            return f.format;
        case SoundFileFormat::Problem::UnknownType:
            error(fmt::format("{}: unknown file type '{}'; name the file {}", path, f.extension,
                              kSoundFileTypes));
            break;
        case SoundFileFormat::Problem::UnknownSample:
            error(fmt::format("--format {}: use {}", sampleFormat, kSoundFileSamples));
            break;
        case SoundFileFormat::Problem::FlacNeedsIntegers:
            error(fmt::format(
                "{}: FLAC holds 16- or 24-bit integers only; use --format s24, or a .wav/.w64 "
                "file for {}",
                path, f.sample));
            break;
    }
    throw kUsage;
}

std::string formatName(int format) {
    std::string major;
    switch (format & SF_FORMAT_TYPEMASK) {
        case SF_FORMAT_WAV:
            major = "WAV";
            break;
        case SF_FORMAT_RF64:
            major = "WAV";
            break;  // RF64 only beyond 4 GiB
        case SF_FORMAT_W64:
            major = "W64";
            break;
        case SF_FORMAT_FLAC:
            major = "FLAC";
            break;
        case SF_FORMAT_AIFF:
            major = "AIFF";
            break;
        case SF_FORMAT_CAF:
            major = "CAF";
            break;
        default:
            major = fmt::format("format {:#x}", format & SF_FORMAT_TYPEMASK);
    }
    std::string sub;
    switch (format & SF_FORMAT_SUBMASK) {
        case SF_FORMAT_FLOAT:
            sub = "float32";
            break;
        case SF_FORMAT_DOUBLE:
            sub = "float64";
            break;
        case SF_FORMAT_PCM_16:
            sub = "16-bit";
            break;
        case SF_FORMAT_PCM_24:
            sub = "24-bit";
            break;
        case SF_FORMAT_PCM_32:
            sub = "32-bit";
            break;
        case SF_FORMAT_PCM_S8:
        case SF_FORMAT_PCM_U8:
            sub = "8-bit";
            break;
        default:
            sub = "compressed";
    }
    return major + " " + sub;
}

}  // namespace foldback::cli
