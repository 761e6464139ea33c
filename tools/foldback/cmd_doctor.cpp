// foldback doctor: what stands between this machine and glitch-free low-latency audio.
// Every check measures something real (a SCHED_FIFO request on a test thread, an mlock of
// the size the kit locks, each registered instance initialised, the servers' own figures
// through the drivers' device lists) and says ok / info / warn / fail, what it found, and
// for warn and fail what to do. Never starts a sound server. Exit 1 when a check failed.
#include <fmt/format.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include "common.hpp"
#include "convert/convert.hpp"
#include "foldback/host.hpp"
#include "host/loader.hpp"
#include "inventory.hpp"
#include "kit/rt_advice.hpp"
#include "registry/registry.hpp"

namespace foldback::cli {

namespace {

namespace fs = std::filesystem;

enum class Level { Ok, Info, Warn, Fail };

const char* levelName(Level l) {
    switch (l) {
        case Level::Ok:
            return "ok";
        case Level::Info:
            return "info";
        case Level::Warn:
            return "warn";
        case Level::Fail:
            return "fail";
    }
    return "?";
}

struct Check {
    std::string section;  // "Real-time scheduling", ...
    std::string id;       // stable, for --json: "rt.sched_fifo", "instance.loopback", ...
    std::string title;    // short: "SCHED_FIFO", "instance loopback"
    Level level = Level::Ok;
    std::string found;  // what was measured, with the value
    std::string fix;    // what to do (warn/fail; a hint for info)
    toml::table data;   // the measured values, for --json
};

// ---- small readers -------------------------------------------------------------------------

std::string readFirstLine(const fs::path& p) {
    std::ifstream f(p);
    std::string line;
    if (!f || !std::getline(f, line)) return {};
    while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.pop_back();
    return line;
}

bool hasWord(const std::string& text, const std::string& word) {
    std::istringstream s(text);
    for (std::string w; s >> w;)
        if (w == word || w.rfind(word + "=", 0) == 0) return true;
    return false;
}

// The effective capability set of this process (/proc/self/status CapEff).
std::uint64_t effectiveCaps() {
    std::ifstream f("/proc/self/status");
    for (std::string line; std::getline(f, line);)
        if (line.rfind("CapEff:", 0) == 0) return std::strtoull(line.c_str() + 7, nullptr, 16);
    return 0;
}
constexpr int kCapIpcLock = 14;
constexpr int kCapSysNice = 23;
bool hasCap(std::uint64_t caps, int cap) {
    return (caps >> cap) & 1u;
}

std::string limitText(rlim_t v, bool bytes) {
    if (v == RLIM_INFINITY) return "unlimited";
    if (!bytes) return fmt::format("{}", static_cast<unsigned long long>(v));
    return fmt::format("{} KiB", static_cast<unsigned long long>(v) / 1024);
}

std::string kib(std::size_t bytes) {
    return fmt::format("{} KiB", (bytes + 1023) / 1024);
}

// The number just before `suffix` ("48000 Hz") or just after `prefix` ("quantum 64") in a
// driver's one-line device description; 0 when absent.
long numberBefore(const std::string& text, const std::string& suffix) {
    const auto at = text.find(suffix);
    if (at == std::string::npos || at == 0) return 0;
    std::size_t b = at;
    while (b > 0 && std::isdigit(static_cast<unsigned char>(text[b - 1]))) --b;
    return b == at ? 0 : std::atol(text.substr(b, at - b).c_str());
}
long numberAfter(const std::string& text, const std::string& prefix) {
    const auto at = text.find(prefix);
    if (at == std::string::npos) return 0;
    return std::atol(text.c_str() + at + prefix.size());
}

// Splits a registry/loader message "what is wrong; what to do" at its first "; ".
std::pair<std::string, std::string> splitAdvice(const std::string& text) {
    const auto at = text.find("; ");
    if (at == std::string::npos) return {text, {}};
    return {text.substr(0, at), text.substr(at + 2)};
}

std::string driverStem(const std::string& file) {
    return fs::path(file).stem().string();
}

// ---- what the registered instances are -----------------------------------------------------

struct Instance {
    registry::Entry entry;
    bool ok = false;
    int rtPriority = kit::kDefaultRtPriority;
    bool realtime = true;
    long channels = 0;
    std::size_t lockBytes = 0;  // the kit's ASIO buffers at the largest buffer size
    long maxBuffer = 0;
};

// ---- the checks ----------------------------------------------------------------------------

class Doctor {
  public:
    std::vector<Check> checks;

    void run() {
        entries_ = registry::list();
        files_ = driverFiles(entries_);
        // Devices first: that keeps every driver file loaded, so the instances below do not
        // unload the libraries a driver pulls in. Then the instances: their figures
        // (priorities, buffer sizes) feed the RT and memlock checks.
        found_ = discover(files_, entries_);
        instances();
        realtime();
        memlock();
        governor();
        registryChecks();
        servers();
        devices();
        // Sections in a fixed order, checks in the order made within each.
        static const char* const kOrder[] = {"Real-time scheduling", "Memory locking", "CPU",
                                             "Registered instances", "Sound servers",  "Devices"};
        std::stable_sort(checks.begin(), checks.end(), [](const Check& a, const Check& b) {
            auto rank = [](const std::string& s) {
                for (std::size_t i = 0; i < std::size(kOrder); ++i)
                    if (s == kOrder[i]) return i;
                return std::size(kOrder);
            };
            return rank(a.section) < rank(b.section);
        });
    }

  private:
    std::vector<registry::Entry> entries_;
    std::vector<std::string> files_;
    std::vector<Found> found_;
    std::vector<Instance> inst_;

    Check& add(const char* section, std::string id, std::string title, Level level,
               std::string found, std::string fix = {}) {
        Check c;
        c.section = section;
        c.id = std::move(id);
        c.title = std::move(title);
        c.level = level;
        c.found = std::move(found);
        c.fix = std::move(fix);
        checks.push_back(std::move(c));
        return checks.back();
    }

    // Each registered instance: the entry, its config, loading and init, the figures.
    void instances() {
        for (const auto& e : entries_) {
            Instance in;
            in.entry = e;
            const std::string id = "instance." + e.name;
            const std::string title = "instance " + e.name;
            if (!e.problem.empty()) {
                auto [what, todo] = splitAdvice(e.problem);
                Check& c =
                    add("Registered instances", id, title, Level::Fail,
                        fmt::format("({} root, {}) {}", rootName(e.root), e.dir.string(), what),
                        todo.empty() ? fmt::format("fix the entry, or remove it with "
                                                   "`foldback unregister {}`",
                                                   e.name)
                                     : todo);
                c.data.insert("driver", e.driverPath);
                c.data.insert("problem", e.problem);
                inst_.push_back(std::move(in));
                continue;
            }
            // The settings: the kit refuses an instance whose config.toml does not parse.
            std::string configError;
            const fs::path configPath = e.dir / "config.toml";
            try {
                const auto t = toml::parse(registry::readConfig(e.name), configPath.string());
                in.rtPriority = static_cast<int>(
                    t["kit"]["rt_priority"].value_or(static_cast<long>(kit::kDefaultRtPriority)));
                in.realtime = t["kit"]["realtime"].value_or(true);
            } catch (const toml::parse_error& err) {
                const auto& where = err.source().begin;
                configError = fmt::format("{}:{}:{}: {}", configPath.string(), where.line,
                                          where.column, err.description());
            } catch (const std::exception& err) {
                configError = err.what();
            }
            // The module, then the instance (init).
            std::string loadError;
            try {
                (void)host::openLibrary(e.name);
            } catch (const std::exception& err) {
                loadError = err.what();
            }
            if (!loadError.empty()) {
                auto [what, todo] = splitAdvice(loadError);
                Check& c = add("Registered instances", id, title, Level::Fail, what,
                               todo.empty() ? fmt::format("register the right driver file, or "
                                                          "remove the entry with `foldback "
                                                          "unregister {}`",
                                                          e.name)
                                            : todo);
                c.data.insert("driver", e.driverPath);
                c.data.insert("module_loads", false);
                c.data.insert("message", loadError);
                inst_.push_back(std::move(in));
                continue;
            }
            try {
                Driver d = Driver::load(e.name);
                const auto sizes = d.bufferSizes();
                const auto lat = d.latencies();
                const long ins = d.inputCount(), outs = d.outputCount();
                const double rate = d.sampleRate();
                std::size_t bytesPerFrame = 0;
                for (bool input : {true, false})
                    for (const auto& ch : d.channels(input))
                        bytesPerFrame += std::max<std::size_t>(convert::sampleBytes(ch.type), 1);
                in.ok = true;
                in.channels = ins + outs;
                in.maxBuffer = sizes.max;
                in.lockBytes = 2 * static_cast<std::size_t>(sizes.max) * bytesPerFrame;
                Level level = configError.empty() ? Level::Ok : Level::Fail;
                Check& c =
                    add("Registered instances", id, title, level,
                        fmt::format("{} v{} ({}, {} root): {} in, {} out, {:g} Hz, buffer {}..{} "
                                    "preferred {} granularity {}, latency {} in + {} out frames{}",
                                    d.driverName(), d.driverVersion(), driverStem(e.driverPath),
                                    rootName(e.root), ins, outs, rate, sizes.min, sizes.max,
                                    sizes.preferred, sizes.granularity, lat.input, lat.output,
                                    configError.empty()
                                        ? ""
                                        : "; but its config.toml does not parse: " + configError),
                        configError.empty()
                            ? ""
                            : fmt::format("correct {} (TOML), then run `foldback doctor` again",
                                          configPath.string()));
                c.data.insert("driver", e.driverPath);
                c.data.insert("module_loads", true);
                c.data.insert("initialised", true);
                c.data.insert("driver_name", d.driverName());
                c.data.insert("inputs", ins);
                c.data.insert("outputs", outs);
                c.data.insert("sample_rate", rate);
                c.data.insert("buffer_sizes", toml::table{{"min", sizes.min},
                                                          {"max", sizes.max},
                                                          {"preferred", sizes.preferred},
                                                          {"granularity", sizes.granularity}});
                c.data.insert("latency", toml::table{{"input", lat.input}, {"output", lat.output}});
                if (!configError.empty()) c.data.insert("config_error", configError);
            } catch (const std::exception& err) {
                // The driver's own text (getErrorMessage), verbatim.
                std::string found = err.what();
                if (!configError.empty())
                    found = fmt::format("config.toml does not parse: {}; the driver says: {}",
                                        configError, found);
                Check& c =
                    add("Registered instances", id, title, Level::Fail, found,
                        !configError.empty()
                            ? fmt::format("correct {} (TOML; the line and column are above), or "
                                          "move it away to use the driver's defaults",
                                          configPath.string())
                            : fmt::format("do what the driver's message says, then check with "
                                          "`foldback info {}`",
                                          e.name));
                c.data.insert("driver", e.driverPath);
                c.data.insert("module_loads", true);
                c.data.insert("initialised", false);
                c.data.insert("message", std::string(err.what()));
                if (!configError.empty()) c.data.insert("config_error", configError);
            }
            inst_.push_back(std::move(in));
        }
        if (entries_.empty())
            add("Registered instances", "registry.empty", "instances", Level::Warn,
                "no instance is registered in any root",
                "register one: `foldback register NAME /path/foldback-<driver>.so` (`foldback "
                "list` shows the devices the drivers see)");
    }

    void realtime() {
        const char* S = "Real-time scheduling";
        rlimit rt{};
        getrlimit(RLIMIT_RTPRIO, &rt);
        const std::uint64_t caps = effectiveCaps();
        // The priority the kit's audio threads ask for: its default, or the highest an
        // instance's [kit] rt_priority asks for.
        int prio = kit::kDefaultRtPriority;
        for (const auto& in : inst_)
            if (in.realtime) prio = std::max(prio, in.rtPriority);
        int rc = -1;
        std::thread t([&] {
            sched_param p{};
            p.sched_priority = prio;
            rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &p);
        });
        t.join();
        const std::string limits =
            fmt::format("RLIMIT_RTPRIO {} soft / {} hard", limitText(rt.rlim_cur, false),
                        limitText(rt.rlim_max, false));
        const bool byLimit = rt.rlim_cur == RLIM_INFINITY || rt.rlim_cur >= rlim_t(prio);
        Check* c = nullptr;
        if (rc == 0) {
            c = &add(S, "rt.sched_fifo", "SCHED_FIFO", Level::Ok,
                     fmt::format("a test thread got SCHED_FIFO priority {} (what the kit's audio "
                                 "thread asks for); {}{}",
                                 prio, limits,
                                 byLimit ? ""
                                 : hasCap(caps, kCapSysNice)
                                     ? "; granted by CAP_SYS_NICE (root), not by the "
                                       "limit: other users still need it"
                                     : ""));
        } else {
            c = &add(S, "rt.sched_fifo", "SCHED_FIFO", Level::Warn,
                     fmt::format("SCHED_FIFO priority {} refused ({}); {}; the kit then runs its "
                                 "audio thread at normal priority with the warning "
                                 "\"real-time scheduling refused\": audio may drop out under load",
                                 prio, std::strerror(rc), limits),
                     kit::kRtAdvice);
        }
        c->data.insert("priority", prio);
        c->data.insert("granted", rc == 0);
        c->data.insert("rtprio_soft",
                       rt.rlim_cur == RLIM_INFINITY ? -1 : static_cast<long long>(rt.rlim_cur));
        c->data.insert("rtprio_hard",
                       rt.rlim_max == RLIM_INFINITY ? -1 : static_cast<long long>(rt.rlim_max));
        c->data.insert("cap_sys_nice", hasCap(caps, kCapSysNice));

        // rtkit: only what can be seen without D-Bus (no new library).
        const char* kService =
            "/usr/share/dbus-1/system-services/org.freedesktop.RealtimeKit1.service";
        const bool service = fs::exists(kService);
        bool daemonFile = false;
        for (const char* p : {"/usr/libexec/rtkit-daemon", "/usr/lib/rtkit/rtkit-daemon"})
            daemonFile = daemonFile || fs::exists(p);
        int running = 0;
        std::error_code ec;
        for (const auto& d : fs::directory_iterator("/proc", ec)) {
            const std::string n = d.path().filename().string();
            if (n.empty() || !std::isdigit(static_cast<unsigned char>(n[0]))) continue;
            if (readFirstLine(d.path() / "comm") == "rtkit-daemon") {
                running = std::atoi(n.c_str());
                break;
            }
        }
        std::string state =
            running ? fmt::format("rtkit-daemon is running (pid {})", running)
            : service || daemonFile
                ? "rtkit is installed (org.freedesktop.RealtimeKit1 is D-Bus activatable) but "
                  "not running now"
                : "rtkit is not installed (no org.freedesktop.RealtimeKit1 D-Bus service file, "
                  "no rtkit-daemon)";
        Check& k = add(S, "rt.rtkit", "rtkit", Level::Info,
                       state +
                           "; the kit does not ask rtkit: its audio threads need RLIMIT_RTPRIO "
                           "(PipeWire and JACK may use rtkit for their own threads)");
        k.data.insert("installed", service || daemonFile);
        k.data.insert("running", running != 0);

        // RT throttling.
        const std::string runtime = readFirstLine("/proc/sys/kernel/sched_rt_runtime_us");
        const std::string period = readFirstLine("/proc/sys/kernel/sched_rt_period_us");
        if (runtime.empty()) {
            add(S, "rt.runtime", "RT throttling", Level::Info,
                "/proc/sys/kernel/sched_rt_runtime_us is not readable");
        } else {
            const long r = std::atol(runtime.c_str()), p = std::max(1L, std::atol(period.c_str()));
            Check& th =
                r < 0 ? add(S, "rt.runtime", "RT throttling", Level::Ok,
                            "sched_rt_runtime_us = -1: real-time threads are never throttled")
                : r * 2 < p
                    ? add(S, "rt.runtime", "RT throttling", Level::Warn,
                          fmt::format("sched_rt_runtime_us = {} of sched_rt_period_us = {} "
                                      "({:.0f}%): real-time threads are stopped for the rest of "
                                      "every period",
                                      r, p, 100.0 * r / p),
                          "restore the default: `sudo sysctl kernel.sched_rt_runtime_us=950000`")
                    : add(S, "rt.runtime", "RT throttling", Level::Ok,
                          fmt::format("sched_rt_runtime_us = {} of sched_rt_period_us = {} "
                                      "({:.0f}% for real-time threads)",
                                      r, p, 100.0 * r / p));
            th.data.insert("sched_rt_runtime_us", static_cast<long long>(r));
            th.data.insert("sched_rt_period_us", static_cast<long long>(p));
        }

        // The kernel's preemption model.
        utsname u{};
        uname(&u);
        const std::string version = u.version;
        const std::string cmdline = readFirstLine("/proc/cmdline");
        const bool rtSysfs = readFirstLine("/sys/kernel/realtime") == "1";
        const bool threadirqs = hasWord(cmdline, "threadirqs");
        std::string mode;  // PREEMPT_DYNAMIC's current mode, when it can be read
        if (const std::string dyn = readFirstLine("/sys/kernel/debug/sched/preempt"); !dyn.empty())
            if (auto a = dyn.find('('), b = dyn.find(')'); a != std::string::npos && b > a)
                mode = dyn.substr(a + 1, b - a - 1);
        std::string preemptArg;
        {
            std::istringstream s(cmdline);
            for (std::string w; s >> w;)
                if (w.rfind("preempt=", 0) == 0) preemptArg = w.substr(8);
        }
        const std::string kernel =
            fmt::format("{} {}{}", u.release, version, threadirqs ? "; threadirqs" : "");
        Level level = Level::Info;
        std::string found, fix;
        if (rtSysfs || version.find("PREEMPT_RT") != std::string::npos) {
            level = Level::Ok;
            found = "a PREEMPT_RT kernel: " + kernel;
        } else if (version.find("PREEMPT_DYNAMIC") != std::string::npos) {
            const std::string m = !mode.empty() ? mode : !preemptArg.empty() ? preemptArg : "";
            if (m == "full") {
                level = Level::Ok;
                found = "PREEMPT_DYNAMIC kernel in full preemption: " + kernel;
            } else {
                found = fmt::format("PREEMPT_DYNAMIC kernel, mode {}: {}",
                                    m.empty() ? "not set on the command line (the build's default; "
                                                "/sys/kernel/debug/sched/preempt not readable)"
                                              : m,
                                    kernel);
                fix =
                    "for lower latency boot with `preempt=full` (and `threadirqs`) on the "
                    "kernel command line, or use a PREEMPT_RT kernel (linux-image-rt-amd64)";
            }
        } else if (version.find("PREEMPT") != std::string::npos) {
            level = Level::Ok;
            found = "a fully preemptible kernel: " + kernel;
        } else {
            level = Level::Warn;
            found = "a kernel without full preemption: " + kernel;
            fix =
                "install a low-latency or PREEMPT_RT kernel (linux-image-rt-amd64), or a "
                "PREEMPT_DYNAMIC one booted with `preempt=full`";
        }
        if (level != Level::Warn && !threadirqs && fix.empty())
            fix =
                "optional: `threadirqs` on the kernel command line lets the sound card's "
                "interrupt thread run at a real-time priority";
        Check& kc = add(S, "rt.kernel", "kernel", level, found, fix);
        kc.data.insert("release", std::string(u.release));
        kc.data.insert("version", version);
        kc.data.insert("threadirqs", threadirqs);
        kc.data.insert("preempt_rt", rtSysfs || version.find("PREEMPT_RT") != std::string::npos);
    }

    void memlock() {
        rlimit ml{};
        getrlimit(RLIMIT_MEMLOCK, &ml);
        const std::uint64_t caps = effectiveCaps();
        // What the kit locks (src/kit/stream.cpp): only its ASIO buffers, 2 halves x buffer
        // size x sample bytes per active channel, never mlockall. The largest instance at its
        // largest buffer size; without one, 32 in + 32 out at 2048 frames of 4 bytes.
        std::size_t need = 2 * 2048 * 64 * 4;
        std::string what = "32 in + 32 out channels at 2048 frames (no instance to measure)";
        bool any = false;
        for (const auto& in : inst_)
            if (in.ok && (!any || in.lockBytes > need)) {
                need = in.lockBytes;
                what = fmt::format("'{}': {} channels at its largest buffer, {} frames",
                                   in.entry.name, in.channels, in.maxBuffer);
                any = true;
            }
        need = std::max<std::size_t>(need, 4096);
        // Try it: lock that much, as the kit would.
        int err = 0;
        void* p = std::aligned_alloc(4096, (need + 4095) / 4096 * 4096);
        if (p) {
            std::memset(p, 0, need);
            // The system calls themselves: sanitizer runtimes turn mlock() into a no-op.
            if (::syscall(SYS_mlock, p, need) != 0)
                err = errno;
            else
                ::syscall(SYS_munlock, p, need);
            std::free(p);
        }
        const std::string limits = fmt::format("{} soft / {} hard", limitText(ml.rlim_cur, true),
                                               limitText(ml.rlim_max, true));
        Check* c = nullptr;
        if (err == 0) {
            const bool byLimit = ml.rlim_cur == RLIM_INFINITY || ml.rlim_cur >= need;
            c = &add("Memory locking", "memlock", "RLIMIT_MEMLOCK", Level::Ok,
                     fmt::format("{}; the kit locks only its ASIO buffers (never mlockall): {} "
                                 "for {}; locking that much here worked{}",
                                 limits, kib(need), what,
                                 byLimit || !hasCap(caps, kCapIpcLock)
                                     ? ""
                                     : " (by CAP_IPC_LOCK, root: other users are held to the "
                                       "limit)"));
        } else {
            c = &add("Memory locking", "memlock", "RLIMIT_MEMLOCK", Level::Warn,
                     fmt::format("{}; the kit locks only its ASIO buffers (never mlockall): {} "
                                 "for {}; locking that much here failed ({}): the buffers can be "
                                 "paged out and cause drop-outs",
                                 limits, kib(need), what, std::strerror(err)),
                     fmt::format("raise it: `@audio - memlock unlimited` (or at least {}, the "
                                 "value is in KiB) in /etc/security/limits.d/audio.conf, join "
                                 "the audio group, then log in again",
                                 (need + 1023) / 1024));
        }
        c->data.insert("memlock_soft",
                       ml.rlim_cur == RLIM_INFINITY ? -1 : static_cast<long long>(ml.rlim_cur));
        c->data.insert("memlock_hard",
                       ml.rlim_max == RLIM_INFINITY ? -1 : static_cast<long long>(ml.rlim_max));
        c->data.insert("kit_locks_bytes", static_cast<long long>(need));
        c->data.insert("lock_test_ok", err == 0);
    }

    void governor() {
        std::map<std::string, int> governors;
        std::error_code ec;
        for (const auto& d : fs::directory_iterator("/sys/devices/system/cpu", ec)) {
            const std::string n = d.path().filename().string();
            if (n.rfind("cpu", 0) != 0 || n.size() < 4 ||
                !std::isdigit(static_cast<unsigned char>(n[3])))
                continue;
            const std::string g = readFirstLine(d.path() / "cpufreq" / "scaling_governor");
            if (!g.empty()) ++governors[g];
        }
        if (governors.empty()) {
            add("CPU", "cpu.governor", "CPU frequency governor", Level::Info,
                "not exposed (VM?): no /sys/devices/system/cpu/cpu*/cpufreq/scaling_governor");
            return;
        }
        std::string list;
        bool slow = false;
        toml::table counts;
        for (const auto& [g, n] : governors) {
            list +=
                fmt::format("{}{} on {} CPU{}", list.empty() ? "" : ", ", g, n, n > 1 ? "s" : "");
            slow = slow || g == "powersave" || g == "ondemand" || g == "conservative";
            counts.insert(g, n);
        }
        Check& c =
            slow ? add("CPU", "cpu.governor", "CPU frequency governor", Level::Warn,
                       list +
                           ": the clock ramps up only after load arrives, so the first periods "
                           "of a burst can be late",
                       "while you record: `sudo cpupower frequency-set -g performance` (package "
                       "linux-cpupower)")
                 : add("CPU", "cpu.governor", "CPU frequency governor", Level::Ok, list);
        c.data.insert("governors", std::move(counts));
    }

    // Names registered in more than one root (the first wins), user overlays without an
    // entry, directories without a `driver` file.
    void registryChecks() {
        const char* S = "Registered instances";
        std::map<std::string, std::vector<std::pair<registry::Root, bool>>> seen;
        for (const auto& root : registry::roots()) {
            std::error_code ec;
            for (const auto& d : fs::directory_iterator(root.path, ec)) {
                std::error_code ec2;
                if (!d.is_directory(ec2)) continue;
                const std::string n = d.path().filename().string();
                if (n.empty() || n[0] == '.') continue;
                seen[n].push_back({root, fs::exists(d.path() / "driver", ec2)});
            }
        }
        std::set<std::string> registered;
        for (const auto& e : entries_) registered.insert(e.name);
        for (const auto& [name, where] : seen) {
            std::vector<fs::path> with;
            for (const auto& [root, hasDriver] : where)
                if (hasDriver) with.push_back(root.path / name);
            if (with.size() > 1) {
                std::string others;
                for (std::size_t i = 1; i < with.size(); ++i)
                    others += (i > 1 ? ", " : "") + with[i].string();
                Check& c = add(S, "registry.duplicate." + name, "duplicate " + name, Level::Warn,
                               fmt::format("'{}' is registered {} times: {} is used, {} is "
                                           "shadowed by it",
                                           name, with.size(), with[0].string(), others),
                               fmt::format("keep one: remove the entry you do not want ({}), or "
                                           "register it again under another name",
                                           others));
                c.data.insert("used", with[0].string());
            }
            if (!registered.count(name))
                for (const auto& [root, hasDriver] : where) {
                    if (hasDriver) continue;
                    const fs::path dir = root.path / name;
                    if (root.kind == registry::RootKind::User)
                        add(S, "registry.orphan." + name, "settings of " + name, Level::Warn,
                            fmt::format("{} holds settings for '{}' but no instance of that name "
                                        "is registered",
                                        dir.string(), name),
                            fmt::format("register it (`foldback register {} "
                                        "/path/foldback-<driver>.so`) or remove {}",
                                        name, dir.string()));
                    else
                        add(S, "registry.leftover." + name, "leftover " + name, Level::Warn,
                            fmt::format("{} has no `driver` file, so it is not an instance (a "
                                        "half-removed entry?)",
                                        dir.string()),
                            fmt::format("remove {} or write the driver's absolute path into "
                                        "{}/driver",
                                        dir.string(), dir.string()));
                }
        }
    }

    const Found* serverOf(const std::string& stem, bool& driverPresent) const {
        driverPresent = false;
        for (const auto& f : files_)
            if (driverStem(f) == stem) driverPresent = true;
        for (const auto& f : found_)
            if (driverStem(f.driver) == stem) return &f;
        return nullptr;
    }

    void servers() {
        const char* S = "Sound servers";
        bool present = false;
        if (const Found* j = serverOf("foldback-jack", present)) {
            const long rate = numberBefore(j->description, " Hz");
            const long period = numberBefore(j->description, " frames");
            Check& c = add(S, "server.jack", "JACK", Level::Ok,
                           fmt::format("JACK server '{}' is running: {} Hz, {} frames per period "
                                       "({:.2f} ms) [{}]",
                                       j->id, rate, period,
                                       rate ? 1000.0 * static_cast<double>(period) / rate : 0.0,
                                       j->description));
            c.data.insert("running", true);
            c.data.insert("server", j->id);
            c.data.insert("rate", rate);
            c.data.insert("period", period);
        } else {
            const char* env = std::getenv("JACK_DEFAULT_SERVER");
            const std::string name = env && *env ? env : "default";
            Check& c =
                add(S, "server.jack", "JACK", Level::Info,
                    present ? fmt::format("no JACK server running (server '{}'{}; asked without "
                                          "starting one)",
                                          name, env && *env ? ", from $JACK_DEFAULT_SERVER" : "")
                            : "the JACK driver (foldback-jack.so) is not installed");
            c.data.insert("running", false);
            c.data.insert("server", name);
        }
        if (const Found* p = serverOf("foldback-pipewire", present)) {
            const long rate = numberBefore(p->description, " Hz");
            const long quantum = numberAfter(p->description, "quantum ");
            const bool big = quantum > 256;
            Check& c =
                add(S, "server.pipewire", "PipeWire", Level::Ok,
                    fmt::format("PipeWire is running ({}): {} Hz, quantum {} ({:.2f} ms) [{}]",
                                p->id, rate, quantum,
                                rate ? 1000.0 * static_cast<double>(quantum) / rate : 0.0,
                                p->description),
                    big ? fmt::format("for lower latency: `pw-metadata -n settings 0 "
                                      "clock.force-quantum 128` (0 undoes it), or set "
                                      "default.clock.quantum in pipewire.conf")
                        : "");
            c.data.insert("running", true);
            c.data.insert("remote", p->id);
            c.data.insert("rate", rate);
            c.data.insert("quantum", quantum);
        } else {
            const char* env = std::getenv("PIPEWIRE_REMOTE");
            Check& c = add(S, "server.pipewire", "PipeWire", Level::Info,
                           present ? fmt::format("no PipeWire daemon running ({})",
                                                 env && *env ? env : "pipewire-0")
                                   : "the PipeWire driver (foldback-pipewire.so) is not installed");
            c.data.insert("running", false);
        }
    }

    void devices() {
        const char* S = "Devices";
        for (const auto& file : files_) {
            const std::string stem = driverStem(file);
            std::size_t n = 0;
            for (const auto& f : found_) {
                if (f.driver != file) continue;
                ++n;
                const bool busy = f.description.find("busy") != std::string::npos;
                std::string fix;
                if (busy)
                    fix = f.registeredAs.empty()
                              ? "the program named above holds it: quit it, or use the driver "
                                "of that sound server (JACK, PipeWire) instead "
                                "(docs/drivers/alsa.md)"
                              : fmt::format(
                                    "instance '{}' cannot open it until the program "
                                    "named above lets go (see its check above)",
                                    f.registeredAs);
                Check& c =
                    add(S, fmt::format("device.{}.{}", stem, f.id), stem + " " + f.id,
                        busy ? (f.registeredAs.empty() ? Level::Info : Level::Warn) : Level::Ok,
                        fmt::format(
                            "{}{}", f.description,
                            f.registeredAs.empty() ? "" : " (instance '" + f.registeredAs + "')"),
                        fix);
                c.data.insert("driver", file);
                c.data.insert("device", f.id);
                c.data.insert("description", f.description);
                c.data.insert("busy", busy);
                c.data.insert("instance", f.registeredAs);
            }
            if (n == 0) {
                Check& c = add(S, "device." + stem, stem, Level::Info,
                               fmt::format("no device ({})", file));
                c.data.insert("driver", file);
            }
        }
    }
};

void print(const std::vector<Check>& checks) {
    std::string section;
    for (const auto& c : checks) {
        if (c.section != section) {
            std::cout << (section.empty() ? "" : "\n") << c.section << "\n";
            section = c.section;
        }
        const char* tag = c.level == Level::Ok     ? "ok  "
                          : c.level == Level::Info ? "info"
                          : c.level == Level::Warn ? "WARN"
                                                   : "FAIL";
        std::cout << fmt::format("  {}  {}: {}\n", tag, c.title, c.found);
        if (!c.fix.empty())
            std::cout << fmt::format(
                "        {} {}\n",
                c.level == Level::Ok || c.level == Level::Info ? "hint:" : "fix:", c.fix);
    }
}

void run(bool json) {
    // Whatever a driver or libjack does, no server is started on our behalf.
    ::setenv("JACK_NO_START_SERVER", "1", 1);
    Doctor d;
    d.run();
    int counts[4] = {0, 0, 0, 0};
    for (const auto& c : d.checks) ++counts[static_cast<int>(c.level)];
    const bool failed = counts[static_cast<int>(Level::Fail)] > 0;
    if (json) {
        toml::array arr;
        for (const auto& c : d.checks) {
            toml::table t{{"id", c.id},
                          {"section", c.section},
                          {"title", c.title},
                          {"status", levelName(c.level)},
                          {"found", c.found}};
            if (!c.fix.empty()) t.insert("fix", c.fix);
            if (!c.data.empty()) t.insert("values", c.data);
            arr.push_back(std::move(t));
        }
        printJson(toml::table{
            {"status", failed ? "fail" : "ok"},
            {"summary",
             toml::table{
                 {"ok", counts[0]}, {"info", counts[1]}, {"warn", counts[2]}, {"fail", counts[3]}}},
            {"checks", std::move(arr)}});
    } else {
        print(d.checks);
        std::cout << fmt::format("\n{} ok, {} info, {} warn, {} fail{}\n", counts[0], counts[1],
                                 counts[2], counts[3], failed ? ": fix the FAIL lines first" : "");
    }
    if (failed) throw kCheckFailed;
}

}  // namespace

void addDoctor(CLI::App& app) {
    auto* cmd = app.add_subcommand(
        "doctor",
        "Check this machine for low-latency audio: real-time scheduling, memory locking, CPU "
        "governor, every registered instance, JACK and PipeWire settings, devices");
    cmd->footer(
        "Each check prints ok, info, WARN or FAIL, what it measured, and for WARN and FAIL\n"
        "what to do. Never starts a sound server. Exit status 0 when nothing failed, 1 when a\n"
        "check failed (docs/cli.md).\n"
        "Examples:\n  foldback doctor\n  foldback doctor --json | jq '.checks[] | "
        "select(.status != \"ok\")'");
    static bool json = false;
    cmd->add_flag("--json", json, "Print JSON");
    cmd->callback([] { run(json); });
}

}  // namespace foldback::cli
