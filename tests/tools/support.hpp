// What the tools' tests (tests/tools) and the file driver's tests (tests/drivers/file)
// share: a private registry in a temp directory, running the `foldback` CLI as a user
// would (exit status, stdout, stderr), audio files, and a small JSON reader for --json.
#pragma once

#include <sndfile.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace foldback::tooltest {

// ---- the private registry --------------------------------------------------------------
// Created on first use, removed at exit; FOLDBACK_DRIVER_PATH and XDG_CONFIG_HOME point
// into it (for this process and the CLI it runs).
const std::string& sandbox();
// <sandbox>/files/<name>
std::string file(const std::string& name);
// Writes <sandbox>/drivers/<name>/{driver,description,config.toml}; returns name.
std::string addInstance(const std::string& name, const std::string& driverSo,
                        const std::string& configToml);

// ---- the CLI ---------------------------------------------------------------------------
struct CliResult {
    int status = -1;  // exit status, or 128 + signal
    std::string out, err;
    double seconds = 0;
};
// Runs FOLDBACK_CLI with args. signalAfter > 0: sends `sig` after that many seconds.
CliResult cli(const std::vector<std::string>& args, double timeoutSeconds = 120,
              double signalAfter = 0, int sig = 2);
// The same through a wrapper command that execs the rest of its arguments, e.g.
// {"prlimit", "--rtprio=0", "--"} (the child's limits and capabilities, not ours).
CliResult cliVia(const std::vector<std::string>& wrapper, const std::vector<std::string>& args,
                 double timeoutSeconds = 120, double signalAfter = 0, int sig = 2);
std::string describe(const CliResult& r);  // for failure messages

// ---- audio files -----------------------------------------------------------------------
struct Audio {
    int channels = 0;
    int rate = 0;
    int format = 0;
    std::int64_t frames = 0;
    std::vector<float> data;  // interleaved
    float at(std::int64_t frame, int channel) const {
        return data[static_cast<std::size_t>(frame) * static_cast<std::size_t>(channels) +
                    static_cast<std::size_t>(channel)];
    }
};
void writeAudio(const std::string& path, const Audio& a,
                int format = SF_FORMAT_WAV | SF_FORMAT_FLOAT);
Audio readAudio(const std::string& path);
// Bit patterns, so -0.0f != 0.0f and NaNs compare.
std::uint32_t bits(float f);

// The per-channel counter: exactly representable floats in [-0.5, 0.5), unique per
// (frame, channel) for 2^24 / channels frames.
float counter(std::int64_t frame, int channel, int channels);
// Writes a `channels` x `frames` counter file in chunks (large files), float32.
void writeCounterFile(const std::string& path, int channels, std::int64_t frames, int rate,
                      int format);

// ---- JSON ------------------------------------------------------------------------------
class Json {
  public:
    enum class Type { Null, Bool, Number, String, Array, Object };
    Type type = Type::Null;
    bool boolean = false;
    double number = 0;
    std::string string;
    std::vector<Json> array;
    std::map<std::string, Json> object;

    static Json parse(const std::string& text);            // throws std::runtime_error
    const Json& operator[](const std::string& key) const;  // throws when missing
    const Json& operator[](std::size_t i) const;
    bool has(const std::string& key) const { return object.count(key) != 0; }
    double num() const;
    long long integer() const;
    const std::string& str() const;
    std::size_t size() const { return type == Type::Array ? array.size() : object.size(); }
};

// ---- what the CLI tests share ---------------------------------------------------------
// A loopback instance (FOLDBACK_LOOPBACK_SO) with `channels` inputs and outputs plus
// `extra` [loopback] lines. Late wake-ups on a loaded 2-core VM are caught up, never
// skipped: these tests are about the tools, and a skip would be a (correctly reported)
// device drop-out.
std::string loopback(const std::string& name, int channels = 8, const std::string& extra = "");
// The whole file as text ("" when it cannot be read).
std::string slurp(const std::string& path);
// The CLI's --json output; fails the test (and throws) when it is not JSON.
Json json(const CliResult& r);
// Every frame of `rec` is `src` delayed by `delay` (silence before), bit for bit, except
// inside `gaps` ({first frame, frames}, sorted: silence). Returns the number of
// mismatching samples (reports the first as a test failure).
long long compareDelayed(const Audio& rec, const Audio& src, std::int64_t delay,
                         const std::vector<std::pair<std::int64_t, std::int64_t>>& gaps = {});

}  // namespace foldback::tooltest
