#include "support.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "support/clock.hpp"
#include "support/registry.hpp"

#ifndef FOLDBACK_CLI
#error "FOLDBACK_CLI must name the foldback executable"
#endif

extern char** environ;

namespace foldback::tooltest {

namespace fs = std::filesystem;

namespace {

double now() {
    return static_cast<double>(testsupport::nowNs()) * 1e-9;
}

}  // namespace

const std::string& sandbox() {
    // Only our root and an empty user root: nothing from ~ leaks in.
    static const std::string& dir = []() -> const std::string& {
        const std::string& made = testsupport::sandbox(
            {.prefix = "foldback-tooltest-", .keepEnv = "FOLDBACK_TOOLTEST_KEEP"});
        fs::create_directories(fs::path(made) / "files");
        return made;
    }();
    return dir;
}

std::string file(const std::string& name) {
    return (fs::path(sandbox()) / "files" / name).string();
}

std::string addInstance(const std::string& name, const std::string& driverSo,
                        const std::string& configToml) {
    return testsupport::writeInstance(sandbox(), name, driverSo, "test instance " + name,
                                      configToml);
}

CliResult cli(const std::vector<std::string>& args, double timeoutSeconds, double signalAfter,
              int sig) {
    return cliVia({}, args, timeoutSeconds, signalAfter, sig);
}

CliResult cliVia(const std::vector<std::string>& wrapper, const std::vector<std::string>& args,
                 double timeoutSeconds, double signalAfter, int sig) {
    sandbox();
    CliResult r;
    int outPipe[2], errPipe[2];
    if (pipe2(outPipe, O_CLOEXEC) != 0 || pipe2(errPipe, O_CLOEXEC) != 0)
        throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, outPipe[1], 1);
    posix_spawn_file_actions_adddup2(&fa, errPipe[1], 2);
    std::vector<std::string> all = wrapper;
    all.push_back(FOLDBACK_CLI);
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    const double start = now();
    // A wrapper (prlimit, setpriv) is looked up in PATH.
    const int rc = posix_spawnp(&pid, all.front().c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(outPipe[1]);
    ::close(errPipe[1]);
    if (rc != 0) throw std::runtime_error(std::string("posix_spawn: ") + std::strerror(rc));
    bool signalled = false, killed = false;
    pollfd fds[2] = {{outPipe[0], POLLIN, 0}, {errPipe[0], POLLIN, 0}};
    int open = 2;
    char buf[65536];
    while (open > 0) {
        const int n = ::poll(fds, 2, 50);
        if (n > 0) {
            for (int i = 0; i < 2; ++i) {
                if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
                const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
                if (got > 0) {
                    (i == 0 ? r.out : r.err).append(buf, static_cast<std::size_t>(got));
                } else {
                    ::close(fds[i].fd);
                    fds[i].fd = -1;
                    --open;
                }
            }
        }
        const double t = now() - start;
        if (signalAfter > 0 && !signalled && t >= signalAfter) {
            ::kill(pid, sig);
            signalled = true;
        }
        if (!killed && t > timeoutSeconds) {
            ::kill(pid, SIGKILL);
            killed = true;
        }
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    r.seconds = now() - start;
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return r;
}

std::string describe(const CliResult& r) {
    return "exit " + std::to_string(r.status) + " after " + std::to_string(r.seconds) +
           " s\n--- stdout\n" + r.out + "--- stderr\n" + r.err;
}

// ---- audio -------------------------------------------------------------------------------

void writeAudio(const std::string& path, const Audio& a, int format) {
    SF_INFO info{};
    info.channels = a.channels;
    info.samplerate = a.rate;
    info.format = format;
    SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
    if (!f) throw std::runtime_error(path + ": " + sf_strerror(nullptr));
    const sf_count_t frames =
        static_cast<sf_count_t>(a.data.size() / static_cast<std::size_t>(a.channels));
    if (sf_writef_float(f, a.data.data(), frames) != frames)
        throw std::runtime_error(path + ": short write");
    sf_close(f);
}

Audio readAudio(const std::string& path) {
    SF_INFO info{};
    SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
    if (!f) throw std::runtime_error(path + ": " + sf_strerror(nullptr));
    Audio a;
    a.channels = info.channels;
    a.rate = info.samplerate;
    a.format = info.format;
    a.frames = info.frames;
    a.data.resize(static_cast<std::size_t>(info.frames) * static_cast<std::size_t>(info.channels));
    const sf_count_t got = sf_readf_float(f, a.data.data(), info.frames);
    sf_close(f);
    if (got != info.frames) throw std::runtime_error(path + ": short read");
    return a;
}

std::uint32_t bits(float f) {
    std::uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    return u;
}

float counter(std::int64_t frame, int channel, int channels) {
    const std::int64_t n = (frame * channels + channel) % (std::int64_t{1} << 24);
    return static_cast<float>(static_cast<double>(n - (std::int64_t{1} << 23)) /
                              static_cast<double>(1 << 24));
}

void writeCounterFile(const std::string& path, int channels, std::int64_t frames, int rate,
                      int format) {
    SF_INFO info{};
    info.channels = channels;
    info.samplerate = rate;
    info.format = format;
    SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
    if (!f) throw std::runtime_error(path + ": " + sf_strerror(nullptr));
    std::vector<float> chunk(65536 * static_cast<std::size_t>(channels));
    for (std::int64_t at = 0; at < frames;) {
        const std::int64_t n = std::min<std::int64_t>(65536, frames - at);
        for (std::int64_t i = 0; i < n; ++i)
            for (int c = 0; c < channels; ++c)
                chunk[static_cast<std::size_t>(i * channels + c)] = counter(at + i, c, channels);
        if (sf_writef_float(f, chunk.data(), n) != n)
            throw std::runtime_error(path + ": short write");
        at += n;
    }
    sf_close(f);
}

// ---- JSON --------------------------------------------------------------------------------

namespace {

class Parser {
  public:
    explicit Parser(const std::string& s) : s_(s) {}
    Json document() {
        Json v = value();
        ws();
        if (i_ != s_.size()) fail("trailing text");
        return v;
    }

  private:
    [[noreturn]] void fail(const std::string& what) const {
        throw std::runtime_error("JSON: " + what + " at byte " + std::to_string(i_));
    }
    void ws() {
        while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
    }
    bool lit(const char* w) {
        const std::size_t n = std::strlen(w);
        if (s_.compare(i_, n, w) != 0) return false;
        i_ += n;
        return true;
    }
    Json value() {
        ws();
        if (i_ >= s_.size()) fail("unexpected end");
        Json v;
        const char c = s_[i_];
        if (c == '{') {
            v.type = Json::Type::Object;
            ++i_;
            ws();
            if (s_[i_] == '}') {
                ++i_;
                return v;
            }
            for (;;) {
                ws();
                std::string key = str();
                ws();
                if (s_[i_++] != ':') fail("expected ':'");
                v.object[key] = value();
                ws();
                if (s_[i_] == ',') {
                    ++i_;
                    continue;
                }
                if (s_[i_++] != '}') fail("expected '}'");
                return v;
            }
        }
        if (c == '[') {
            v.type = Json::Type::Array;
            ++i_;
            ws();
            if (s_[i_] == ']') {
                ++i_;
                return v;
            }
            for (;;) {
                v.array.push_back(value());
                ws();
                if (s_[i_] == ',') {
                    ++i_;
                    continue;
                }
                if (s_[i_++] != ']') fail("expected ']'");
                return v;
            }
        }
        if (c == '"') {
            v.type = Json::Type::String;
            v.string = str();
            return v;
        }
        if (lit("true")) {
            v.type = Json::Type::Bool;
            v.boolean = true;
            return v;
        }
        if (lit("false")) {
            v.type = Json::Type::Bool;
            return v;
        }
        if (lit("null")) return v;
        char* end = nullptr;
        v.number = std::strtod(s_.c_str() + i_, &end);
        if (end == s_.c_str() + i_) fail("unexpected character");
        v.type = Json::Type::Number;
        i_ = static_cast<std::size_t>(end - s_.c_str());
        return v;
    }
    std::string str() {
        if (s_[i_] != '"') fail("expected a string");
        ++i_;
        std::string out;
        while (i_ < s_.size() && s_[i_] != '"') {
            if (s_[i_] == '\\') {
                ++i_;
                const char e = s_[i_];
                if (e == 'n')
                    out += '\n';
                else if (e == 't')
                    out += '\t';
                else if (e == 'u') {
                    out += '?';
                    i_ += 4;
                } else
                    out += e;
                ++i_;
            } else {
                out += s_[i_++];
            }
        }
        if (i_ >= s_.size()) fail("unterminated string");
        ++i_;
        return out;
    }

    const std::string& s_;
    std::size_t i_ = 0;
};

}  // namespace

Json Json::parse(const std::string& text) {
    return Parser(text).document();
}

const Json& Json::operator[](const std::string& key) const {
    auto it = object.find(key);
    if (it == object.end()) throw std::runtime_error("JSON: no key '" + key + "'");
    return it->second;
}
const Json& Json::operator[](std::size_t i) const {
    if (i >= array.size()) throw std::runtime_error("JSON: index out of range");
    return array[i];
}
double Json::num() const {
    if (type != Type::Number) throw std::runtime_error("JSON: not a number");
    return number;
}
long long Json::integer() const {
    return static_cast<long long>(std::llround(num()));
}
const std::string& Json::str() const {
    if (type != Type::String) throw std::runtime_error("JSON: not a string");
    return string;
}

// ---- what the CLI tests share ---------------------------------------------------------

std::string loopback(const std::string& name, int channels, const std::string& extra) {
    return addInstance(name, FOLDBACK_LOOPBACK_SO,
                       "[loopback]\ninputs = " + std::to_string(channels) +
                           "\noutputs = " + std::to_string(channels) + "\n" + extra +
                           "\n[kit]\nmax_late_periods = 1024\n");
}

std::string slurp(const std::string& path) {
    std::ifstream f(path);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

Json json(const CliResult& r) {
    try {
        return Json::parse(r.out);
    } catch (const std::exception& e) {
        ADD_FAILURE() << e.what() << "\n" << describe(r);
        throw;
    }
}

long long compareDelayed(const Audio& rec, const Audio& src, std::int64_t delay,
                         const std::vector<std::pair<std::int64_t, std::int64_t>>& gaps) {
    long long bad = 0;
    std::size_t g = 0;
    for (std::int64_t t = 0; t < rec.frames; ++t) {
        while (g < gaps.size() && gaps[g].first + gaps[g].second <= t) ++g;
        const bool inGap = g < gaps.size() && t >= gaps[g].first;
        for (int c = 0; c < rec.channels; ++c) {
            const std::int64_t s = t - delay;
            const float want = inGap || s < 0 || s >= src.frames ? 0.0f : src.at(s, c);
            if (bits(rec.at(t, c)) != bits(want)) {
                if (bad == 0)
                    ADD_FAILURE() << "first mismatch at frame " << t << " channel " << c << ": got "
                                  << rec.at(t, c) << " want " << want
                                  << (inGap ? " (in a reported gap)" : "");
                ++bad;
            }
        }
    }
    return bad;
}

}  // namespace foldback::tooltest
