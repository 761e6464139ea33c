// Audio files through libsndfile: the container from the file name, the sample format
// from --format, and errors that say what to do.
#pragma once

#include <sndfile.h>

#include <cstdint>
#include <string>

namespace foldback::cli {

class SoundFile {
  public:
    SoundFile() = default;
    ~SoundFile() { close(); }
    SoundFile(SoundFile&& o) noexcept : f_(o.f_), info_(o.info_), path_(std::move(o.path_)) {
        o.f_ = nullptr;
    }
    SoundFile& operator=(SoundFile&& o) noexcept;
    SoundFile(const SoundFile&) = delete;
    SoundFile& operator=(const SoundFile&) = delete;

    // Throw kFileError (printed) with libsndfile's reason and what to do.
    static SoundFile openRead(const std::string& path);
    // format: from writeFormat().
    static SoundFile openWrite(const std::string& path, int format, int channels, int rate);

    explicit operator bool() const noexcept { return f_ != nullptr; }
    SNDFILE* get() const noexcept { return f_; }
    const SF_INFO& info() const noexcept { return info_; }
    int channels() const noexcept { return info_.channels; }
    int rate() const noexcept { return info_.samplerate; }
    std::int64_t frames() const noexcept { return info_.frames; }
    const std::string& path() const noexcept { return path_; }
    // Finalizes the header; returns "" or libsndfile's complaint.
    std::string close();

  private:
    SNDFILE* f_ = nullptr;
    SF_INFO info_{};
    std::string path_;
};

// The libsndfile format for path's extension (.wav .w64 .flac .aiff .caf .rf64) and a
// sample format name (float, s16, s24, s32; "" = float, or s24 for FLAC). Prints what is
// accepted and throws kUsage when the pair does not exist.
int writeFormat(const std::string& path, const std::string& sampleFormat);
// "WAV float32", "FLAC 24-bit", ...
std::string formatName(int format);

}  // namespace foldback::cli
