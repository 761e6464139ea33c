// src/registry: roots, entries, the user overlay and settings. The layout and the rules are
// documented in registry.hpp and docs/registry.md; the strict parts answer the weaknesses
// listed in spec/linux-abi.md §7 while staying readable by and for cwASIO.
#include "registry/registry.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

namespace foldback::registry {
namespace fs = std::filesystem;

namespace {

constexpr const char* kSystemRoot = "/etc/foldback/drivers";
constexpr const char* kCwAsioRoot = "/etc/cwASIO";
constexpr const char* kDriverKey = "driver";
constexpr const char* kDescriptionKey = "description";
constexpr const char* kConfigFile = "config.toml";
// Key files are one line; cwASIO reads at most 1023 bytes. A path longer than this is no
// path we could dlopen anyway.
constexpr std::size_t kMaxKeyFileBytes = 4096;

std::string errnoText(int err) {
    return std::strerror(err);
}

// Cut at the first newline, then strip surrounding whitespace (which includes a '\r' left
// by CRLF files).
std::string firstLineTrimmed(std::string_view raw) {
    raw = raw.substr(0, raw.find('\n'));
    constexpr std::string_view ws = " \t\r\f\v";
    auto b = raw.find_first_not_of(ws);
    if (b == std::string_view::npos) return {};
    auto e = raw.find_last_not_of(ws);
    return std::string(raw.substr(b, e - b + 1));
}

// Reads the first line of a key file. nullopt when the file is missing (not an error: a
// missing description is normal); *error set when it exists but cannot be read.
std::optional<std::string> readKeyFile(const fs::path& p, std::string* error) {
    // O_NONBLOCK: a FIFO planted as a key file must not hang the reader.
    int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno != ENOENT && error)
            *error = fmt::format("cannot read {}: {}", p.string(), errnoText(errno));
        return std::nullopt;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (error) *error = fmt::format("{} is not a regular file", p.string());
        ::close(fd);
        return std::nullopt;
    }
    std::string buf(kMaxKeyFileBytes, '\0');
    std::size_t got = 0;
    while (got < buf.size()) {
        ssize_t n = ::read(fd, buf.data() + got, buf.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            if (error) *error = fmt::format("cannot read {}: {}", p.string(), errnoText(errno));
            ::close(fd);
            return std::nullopt;
        }
        if (n == 0) break;
        got += static_cast<std::size_t>(n);
    }
    ::close(fd);
    buf.resize(got);
    return firstLineTrimmed(buf);
}

bool isDirectory(const fs::path& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool pathExists(const fs::path& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0;
}

bool worldWritable(const fs::path& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && (st.st_mode & S_IWOTH) != 0;
}

// Absolute, normal form, no trailing separator; empty when p is not absolute.
fs::path normalRoot(const fs::path& p) {
    if (!p.is_absolute()) return {};
    fs::path n = p.lexically_normal();
    if (!n.has_filename() && n != n.root_path()) n = n.parent_path();
    return n;
}

std::vector<std::string> splitColons(std::string_view s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= s.size()) {
        auto end = s.find(':', start);
        if (end == std::string_view::npos) end = s.size();
        if (end > start) out.emplace_back(s.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

std::optional<fs::path> userRoot() {
    fs::path config;
    const char* xdg = std::getenv("XDG_CONFIG_HOME");
    // The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
    if (xdg && *xdg && fs::path(xdg).is_absolute()) {
        config = xdg;
    } else {
        const char* home = std::getenv("HOME");
        if (home && *home && fs::path(home).is_absolute()) {
            config = fs::path(home) / ".config";
        } else {
            const passwd* pw = ::getpwuid(::geteuid());
            if (!pw || !pw->pw_dir || pw->pw_dir[0] != '/') return std::nullopt;
            config = fs::path(pw->pw_dir) / ".config";
        }
    }
    return normalRoot(config / "foldback" / "drivers");
}

fs::path systemRoot() {
    return kSystemRoot;
}

// The built-in root next to the binary or library this code is linked into: the nearest
// <ancestor>/share/foldback/drivers within four levels (bin/, lib/, lib/<triplet>/foldback/
// drivers/ for a driver that reads its settings). Lets a relocated install find its
// loopback instance; the compiled-in roots follow it.
std::optional<fs::path> relocatableBuiltinRoot() {
    static const char anchor = 0;  // any object of this binary will do
    Dl_info info{};
    fs::path self;
    if (::dladdr(&anchor, &info) != 0 && info.dli_fname && info.dli_fname[0] == '/')
        self = info.dli_fname;
    else {
        std::error_code ec;
        self = fs::read_symlink("/proc/self/exe", ec);
        if (ec) return std::nullopt;
    }
    std::error_code ec;
    fs::path dir = fs::weakly_canonical(self, ec).parent_path();
    if (ec) return std::nullopt;
    for (int level = 0; level < 5 && !dir.empty(); ++level) {
        fs::path candidate = dir / "share" / "foldback" / "drivers";
        if (isDirectory(candidate)) return normalRoot(candidate);
        if (dir == dir.root_path()) break;
        dir = dir.parent_path();
    }
    return std::nullopt;
}

// A name that can safely be joined to a root: not empty, no '/', no NUL, no leading '.'
// (which covers "." and ".."). Weaker than checkName on purpose, so that find() can still
// report a registered-but-invalid name (e.g. a 40-byte cwASIO name) with `problem` set.
bool pathSafe(std::string_view name) {
    return !name.empty() && name.front() != '.' && name.find('/') == std::string_view::npos &&
           name.find('\0') == std::string_view::npos;
}

std::string rootList(const std::vector<Root>& rs) {
    std::string out;
    for (const auto& r : rs) {
        if (!out.empty()) out += ", ";
        out += r.path.string();
    }
    return out;
}

// Why the entry cannot be loaded, or "". The order puts the cheapest fix first.
std::string entryProblem(const Entry& e, const std::string& readError) {
    const std::string dir = e.dir.string();
    if (auto why = checkName(e.name); !why.empty())
        return fmt::format(
            "{}; rename the directory {} to a name of at most {} bytes without '/', '..', a "
            "leading '.' or control characters",
            why, dir, kMaxNameBytes);
    if (!readError.empty())
        return fmt::format("{}; fix that file or register the instance again", readError);
    if (worldWritable(e.dir))
        return fmt::format(
            "the entry directory {} is world-writable, so any user could redirect it to other "
            "code; run `chmod o-w {}`",
            dir, dir);
    const fs::path keyFile = e.dir / kDriverKey;
    if (worldWritable(keyFile))
        return fmt::format(
            "the file {} is world-writable, so any user could redirect it to other code; run "
            "`chmod o-w {}`",
            keyFile.string(), keyFile.string());
    if (e.driverPath.empty())
        return fmt::format(
            "the file {} is empty; write the absolute path of the driver .so into it, or run "
            "`foldback register {} /abs/path/driver.so`",
            keyFile.string(), e.name);
    const fs::path so = e.driverPath;
    if (!so.is_absolute())
        return fmt::format(
            "the driver path '{}' is relative and would depend on the host's working directory; "
            "write the absolute path into {}",
            e.driverPath, keyFile.string());
    for (const auto& part : so)
        if (part == "..")
            return fmt::format(
                "the driver path '{}' contains '..'; write the resolved path (`realpath {}`) into "
                "{}",
                e.driverPath, e.driverPath, keyFile.string());
    struct stat st {};
    if (::stat(so.c_str(), &st) != 0)
        return fmt::format(
            "the driver file {} cannot be used ({}); install the driver there, or point {} at "
            "the right file",
            e.driverPath, errnoText(errno), keyFile.string());
    if (!S_ISREG(st.st_mode))
        return fmt::format("the driver path {} is not a regular file; point {} at the driver .so",
                           e.driverPath, keyFile.string());
    if ((st.st_mode & S_IWOTH) != 0)
        return fmt::format(
            "the driver file {} is world-writable, so any user could replace the code a host "
            "would run; run `chmod o-w {}`",
            e.driverPath, e.driverPath);
    // The directory that actually holds the file (after symlinks): whoever can write it can
    // swap the file.
    std::error_code ec;
    fs::path real = fs::canonical(so, ec);
    fs::path soDir = (ec ? so : real).parent_path();
    if (worldWritable(soDir))
        return fmt::format(
            "the directory {} holding the driver is world-writable, so any user could replace "
            "the driver; run `chmod o-w {}` or move the driver to a directory only its owner "
            "can write",
            soDir.string(), soDir.string());
    return {};
}

// Builds the entry for <root>/<name> when that directory holds a `driver` file; nullopt
// when it is not an entry (no directory, or a directory without `driver`: in the user
// root that is an overlay, elsewhere a leftover such as cwASIO's half-unregistered entry).
std::optional<Entry> readEntry(const Root& root, const std::string& name) {
    Entry e;
    e.name = name;
    e.dir = root.path / name;
    e.root = root.kind;
    if (!isDirectory(e.dir)) return std::nullopt;
    if (!pathExists(e.dir / kDriverKey)) return std::nullopt;
    std::string readError;
    e.driverPath = readKeyFile(e.dir / kDriverKey, &readError).value_or("");
    std::string ignored;
    e.description = readKeyFile(e.dir / kDescriptionKey, &ignored).value_or("");
    e.problem = entryProblem(e, readError);
    return e;
}

// mkdir -p with an explicit mode for the directories it creates.
void makeDirs(const fs::path& p, mode_t mode) {
    fs::path cur;
    for (const auto& part : p) {
        cur /= part;
        if (::mkdir(cur.c_str(), mode) == 0) continue;
        int err = errno;
        if (err == EEXIST && isDirectory(cur)) continue;
        throw Error(fmt::format("cannot create the directory {}: {}; check the permissions of {}",
                                cur.string(), errnoText(err), cur.parent_path().string()));
    }
}

// Writes dir/filename atomically: a temporary file in the same directory, fsync, rename.
// Readers see the old content or the new one, never a part.
void atomicWrite(const fs::path& dir, const std::string& filename, std::string_view content) {
    std::string tmpl = (dir / ("." + filename + ".tmp.XXXXXX")).string();
    int fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
    if (fd < 0)
        throw Error(fmt::format("cannot write in {}: {}; check the permissions of {}", dir.string(),
                                errnoText(errno), dir.string()));
    auto fail = [&](const char* what) {
        int err = errno;
        ::close(fd);
        ::unlink(tmpl.c_str());
        throw Error(
            fmt::format("cannot write {}: {} failed ({}); check the free space and the "
                        "permissions of {}",
                        (dir / filename).string(), what, errnoText(err), dir.string()));
    };
    std::size_t done = 0;
    while (done < content.size()) {
        ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail("write");
        done += static_cast<std::size_t>(n);
    }
    if (::fchmod(fd, 0644) != 0) fail("fchmod");
    if (::fsync(fd) != 0) fail("fsync");
    if (::close(fd) != 0) {
        int err = errno;
        ::unlink(tmpl.c_str());
        throw Error(fmt::format("cannot write {}: close failed ({}); check the free space",
                                (dir / filename).string(), errnoText(err)));
    }
    if (::rename(tmpl.c_str(), (dir / filename).c_str()) != 0) {
        int err = errno;
        ::unlink(tmpl.c_str());
        throw Error(fmt::format("cannot replace {}: {}; check the permissions of {}",
                                (dir / filename).string(), errnoText(err), dir.string()));
    }
}

std::string sanitizeDescription(std::string_view text) {
    std::string out;
    for (unsigned char c : text) out += (c < 0x20 || c == 0x7f) ? ' ' : static_cast<char>(c);
    return firstLineTrimmed(out);
}

std::string rootWord(RootKind k) {
    switch (k) {
        case RootKind::Env:
            return "FOLDBACK_DRIVER_PATH root";
        case RootKind::User:
            return "user root";
        case RootKind::System:
            return "system root";
        case RootKind::CwAsio:
            return "cwASIO root";
        case RootKind::BuiltIn:
            return "built-in root";
    }
    return "root";
}

void requirePathSafeName(std::string_view name, std::string_view action) {
    if (pathSafe(name)) return;
    auto why = checkName(name);
    throw Error(
        fmt::format("cannot {} '{}': {}; instance names have at most {} bytes and no '/', "
                    "'..', leading '.' or control characters",
                    action, printable(name), why.empty() ? "invalid name" : why, kMaxNameBytes));
}

std::string notFoundMessage(std::string_view name) {
    return fmt::format(
        "instance '{}' not found in any root ({}); register it with `foldback register {} "
        "/abs/path/driver.so`",
        printable(name), rootList(roots()), printable(name));
}

toml::table parseConfig(const fs::path& p) {
    try {
        return toml::parse_file(p.string());
    } catch (const toml::parse_error& e) {
        throw Error(fmt::format(
            "cannot read the settings file {}: {} (line {}, column {}); fix "
            "the file or delete it to return to the defaults",
            p.string(), e.description(), e.source().begin.line, e.source().begin.column));
    }
}

// Overlay keys win; tables present on both sides are merged key by key.
void mergeInto(toml::table& base, const toml::table& over) {
    for (auto&& [key, value] : over) {
        auto* baseTable = base.get_as<toml::table>(key);
        if (baseTable && value.is_table()) {
            mergeInto(*baseTable, *value.as_table());
            continue;
        }
        value.visit([&, &k = key](const auto& v) { base.insert_or_assign(k, v); });
    }
}

std::string toText(const toml::table& t) {
    if (t.empty()) return {};
    std::ostringstream os;
    os << t << '\n';
    return os.str();
}

// The user root directory for name when it is an overlay (exists, holds no `driver`) and is
// not the entry itself.
std::optional<fs::path> overlayDir(std::string_view name, const std::optional<Entry>& entry) {
    auto user = userRoot();
    if (!user) return std::nullopt;
    fs::path dir = *user / std::string(name);
    if (entry && normalRoot(entry->dir) == normalRoot(dir)) return std::nullopt;
    if (!isDirectory(dir) || pathExists(dir / kDriverKey)) return std::nullopt;
    return dir;
}

// The entry's own settings are written in place only when the entry belongs to this user
// (owned by the effective uid and writable); a root-owned entry keeps its defaults and the
// user's settings go to the overlay. Built-in entries belong to the build or the package,
// so their settings always go to the overlay.
bool ownsAndCanWrite(const Entry& e) {
    if (e.root == RootKind::BuiltIn) return false;
    struct stat st {};
    if (::stat(e.dir.c_str(), &st) != 0 || st.st_uid != ::geteuid()) return false;
    if (::access(e.dir.c_str(), W_OK) != 0) return false;
    fs::path config = e.dir / kConfigFile;
    return !pathExists(config) || ::access(config.c_str(), W_OK) == 0;
}

// The root a (un)registration writes to. Scope::CwAsio becomes Scope::System (cwASIO's
// root: the same rules and messages as the system root).
fs::path rootFor(Scope& scope, std::string_view action, std::string_view name) {
    if (scope == Scope::CwAsio) {
        scope = Scope::System;
        return "/etc/cwASIO";
    }
    if (scope == Scope::System) return systemRoot();
    auto user = userRoot();
    if (!user)
        throw Error(
            fmt::format("cannot {} '{}': no home directory is known; set HOME or XDG_CONFIG_HOME",
                        action, name));
    return *user;
}

}  // namespace

std::vector<Root> roots() {
    std::vector<Root> out;
    auto add = [&out](const fs::path& p, RootKind kind) {
        fs::path n = normalRoot(p);
        if (n.empty()) return;  // relative roots would depend on the working directory
        if (std::any_of(out.begin(), out.end(), [&](const Root& r) { return r.path == n; })) return;
        out.push_back({n, kind});
    };
    if (const char* env = std::getenv("FOLDBACK_DRIVER_PATH"))
        for (const auto& p : splitColons(env)) add(p, RootKind::Env);
    if (auto user = userRoot()) add(*user, RootKind::User);
    add(kSystemRoot, RootKind::System);
    add(kCwAsioRoot, RootKind::CwAsio);
    if (auto reloc = relocatableBuiltinRoot()) add(*reloc, RootKind::BuiltIn);
#ifdef FOLDBACK_BUILTIN_ROOTS
    for (const auto& p : splitColons(FOLDBACK_BUILTIN_ROOTS)) add(p, RootKind::BuiltIn);
#endif
    return out;
}

std::string printable(std::string_view s) {
    std::string out;
    for (unsigned char c : s) {
        if (c < 0x20 || c == 0x7f)
            out += fmt::format("\\x{:02x}", static_cast<unsigned>(c));
        else
            out += static_cast<char>(c);
    }
    return out;
}

std::string checkName(std::string_view name) {
    if (name.empty()) return "name is empty";
    for (unsigned char c : name)
        if (c < 0x20 || c == 0x7f)
            return fmt::format("name contains the control character 0x{:02x}",
                               static_cast<unsigned>(c));
    if (name.find('/') != std::string_view::npos) return "name contains '/'";
    if (name.front() == '.') return "name starts with '.'";
    if (name.find("..") != std::string_view::npos) return "name contains '..'";
    if (name.size() > kMaxNameBytes)
        return fmt::format(
            "name is {} bytes long; at most {} bytes fit ASIO's 32-byte name buffers", name.size(),
            kMaxNameBytes);
    return {};
}

std::optional<Entry> find(std::string_view name) {
    if (!pathSafe(name)) return std::nullopt;
    const std::string n(name);
    for (const auto& root : roots())
        if (auto e = readEntry(root, n)) return e;
    return std::nullopt;
}

std::vector<Entry> list() {
    std::map<std::string, Entry> byName;  // first root wins; the map also sorts by name
    for (const auto& root : roots()) {
        std::error_code ec;
        fs::directory_iterator it(root.path, ec);
        if (ec) continue;  // missing or unreadable root: nothing to list
        for (const auto& child : it) {
            std::string name = child.path().filename().string();
            if (!pathSafe(name) || byName.count(name)) continue;  // hidden or shadowed
            if (auto e = readEntry(root, name)) byName.emplace(name, std::move(*e));
        }
    }
    std::vector<Entry> out;
    out.reserve(byName.size());
    for (auto& [name, e] : byName) out.push_back(std::move(e));
    return out;
}

fs::path registerInstance(std::string_view name, const fs::path& driver,
                          std::string_view description, Scope scope) {
    if (auto why = checkName(name); !why.empty())
        throw Error(
            fmt::format("cannot register '{}': {}; choose a name of at most {} bytes "
                        "without '/', '..', a leading '.' or control characters",
                        printable(name), why, kMaxNameBytes));
    std::error_code ec;
    fs::path real = fs::canonical(driver, ec);
    if (ec)
        throw Error(
            fmt::format("cannot register '{}': the driver file '{}' cannot be resolved "
                        "({}); give the path of an existing driver .so",
                        name, driver.string(), ec.message()));
    const std::string realText = real.string();
    if (realText.find_first_of("\r\n") != std::string::npos)
        throw Error(
            fmt::format("cannot register '{}': the driver path '{}' contains a line "
                        "break, which the one-line `driver` file cannot hold; rename it",
                        name, printable(realText)));
    struct stat st {};
    if (::stat(real.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
        throw Error(
            fmt::format("cannot register '{}': {} is not a regular file; give the path "
                        "of the driver .so",
                        name, realText));
    if ((st.st_mode & S_IWOTH) != 0)
        throw Error(
            fmt::format("cannot register '{}': the driver file {} is world-writable and "
                        "would be refused when loading; run `chmod o-w {}` first",
                        name, realText, realText));
    if (worldWritable(real.parent_path()))
        throw Error(
            fmt::format("cannot register '{}': the directory {} holding the driver is "
                        "world-writable and would be refused when loading; run `chmod "
                        "o-w {}` or move the driver to a directory only its owner can "
                        "write",
                        name, real.parent_path().string(), real.parent_path().string()));

    const fs::path root = rootFor(scope, "register", name);
    const fs::path dir = root / std::string(name);
    if (pathExists(dir / kDriverKey)) {
        std::string ignored;
        auto current = readKeyFile(dir / kDriverKey, &ignored).value_or("");
        throw Error(fmt::format(
            "cannot register '{}': it is already registered in {} (driver "
            "{}); run `foldback unregister {}{}` first",
            name, dir.string(), current, name, scope == Scope::System ? " --system" : ""));
    }
    try {
        makeDirs(dir, 0755);
    } catch (const Error& e) {
        if (scope == Scope::System && ::geteuid() != 0)
            throw Error(
                fmt::format("cannot register '{}' in the system root {}: {}; run the "
                            "command as root (sudo), or register it for yourself "
                            "without --system",
                            name, root.string(), e.what()));
        throw;
    }
    if (worldWritable(dir))
        throw Error(
            fmt::format("cannot register '{}': the directory {} is world-writable and "
                        "would be refused when loading; run `chmod o-w {}`",
                        name, dir.string(), dir.string()));
    std::string desc = sanitizeDescription(description);
    if (desc.empty()) desc = fmt::format("{} ({})", name, real.filename().string());
    // description first, driver last: an entry only exists once `driver` is in place, so a
    // reader never sees a half-written entry.
    atomicWrite(dir, kDescriptionKey, desc + "\n");
    atomicWrite(dir, kDriverKey, realText + "\n");
    return dir;
}

void unregisterInstance(std::string_view name, Scope scope) {
    requirePathSafeName(name, "unregister");
    const fs::path root = rootFor(scope, "unregister", name);
    const fs::path dir = root / std::string(name);
    const std::string scopeWord = scope == Scope::System ? "system root" : "user root";
    if (!pathExists(dir / kDriverKey)) {
        if (auto other = find(name))
            throw Error(fmt::format(
                "cannot unregister '{}': it is not registered in the {} {} but in the {} ({}); "
                "{}",
                name, scopeWord, root.string(), rootWord(other->root), other->dir.string(),
                other->root == RootKind::System
                    ? fmt::format("run `foldback unregister {} --system` as root", name)
                : other->root == RootKind::User
                    ? fmt::format("run `foldback unregister {}` without --system", name)
                    : std::string("remove that directory by hand if you mean to")));
        throw Error(
            fmt::format("cannot unregister '{}': it is not registered in the {} {}; "
                        "`foldback list` shows the registered instances",
                        name, scopeWord, root.string()));
    }
    // `driver` first: once it is gone the directory is no longer an entry, whatever happens
    // to the rest.
    if (::unlink((dir / kDriverKey).c_str()) != 0) {
        int err = errno;
        throw Error(fmt::format("cannot unregister '{}': removing {} failed ({}); {}", name,
                                (dir / kDriverKey).string(), errnoText(err),
                                scope == Scope::System
                                    ? "run the command as root (sudo)"
                                    : fmt::format("check the permissions of {}", dir.string())));
    }
    for (const char* key : {kDescriptionKey, kConfigFile}) ::unlink((dir / key).c_str());
    // Leftover temporary files of an interrupted write.
    std::error_code ec;
    for (const auto& child : fs::directory_iterator(dir, ec)) {
        std::string f = child.path().filename().string();
        for (const char* key : {kDriverKey, kDescriptionKey, kConfigFile})
            if (f.rfind(fmt::format(".{}.tmp.", key), 0) == 0) ::unlink(child.path().c_str());
    }
    // A directory that still holds files we did not write (a cwASIO key, user files) stays;
    // without `driver` it is inert.
    ::rmdir(dir.c_str());
}

std::string readConfig(std::string_view name) {
    requirePathSafeName(name, "read the settings of");
    auto entry = find(name);
    toml::table merged;
    bool any = false;
    if (entry) {
        fs::path own = entry->dir / kConfigFile;
        if (pathExists(own)) {
            merged = parseConfig(own);
            any = true;
        }
    }
    if (auto overlay = overlayDir(name, entry)) {
        fs::path over = *overlay / kConfigFile;
        if (pathExists(over)) {
            mergeInto(merged, parseConfig(over));
            any = true;
        }
    }
    return any ? toText(merged) : std::string();
}

fs::path configPathForWrite(std::string_view name) {
    requirePathSafeName(name, "write the settings of");
    auto entry = find(name);
    if (!entry) throw Error(notFoundMessage(name));
    if (ownsAndCanWrite(*entry)) return entry->dir / kConfigFile;
    auto user = userRoot();
    if (!user)
        throw Error(
            fmt::format("cannot write settings for '{}': its entry {} is not yours and no "
                        "home directory is known for the user overlay; set HOME or "
                        "XDG_CONFIG_HOME",
                        name, entry->dir.string()));
    const fs::path dir = *user / std::string(name);
    if (pathExists(dir / kDriverKey))
        throw Error(
            fmt::format("cannot write settings for '{}': its entry {} is not yours, and "
                        "{} is a separate registered entry hidden behind it, not an "
                        "overlay; unregister one of the two",
                        name, entry->dir.string(), dir.string()));
    makeDirs(dir, 0755);
    return dir / kConfigFile;
}

void setConfigValue(std::string_view name, std::string_view table, std::string_view key,
                    long long value) {
    if (key.empty())
        throw Error(
            fmt::format("cannot set a setting of '{}': the key is empty; name the key to "
                        "set",
                        name));
    const fs::path path = configPathForWrite(name);
    toml::table doc = pathExists(path) ? parseConfig(path) : toml::table{};
    toml::table* cur = &doc;
    if (!table.empty()) {
        // "a.b" names a nested table.
        std::size_t start = 0;
        while (start <= table.size()) {
            auto end = table.find('.', start);
            if (end == std::string_view::npos) end = table.size();
            std::string part(table.substr(start, end - start));
            if (part.empty())
                throw Error(
                    fmt::format("cannot set {}.{} for '{}': the table name has an empty "
                                "part; use names like \"latency\" or \"a.b\"",
                                table, key, name));
            if (!cur->contains(part)) cur->insert(part, toml::table{});
            auto* next = cur->get_as<toml::table>(part);
            if (!next)
                throw Error(
                    fmt::format("cannot set {}.{} in {}: '{}' there is a value, not a "
                                "table; fix or delete that key",
                                table, key, path.string(), part));
            cur = next;
            start = end + 1;
        }
    }
    cur->insert_or_assign(std::string(key), static_cast<int64_t>(value));
    atomicWrite(path.parent_path(), path.filename().string(), toText(doc));
}

}  // namespace foldback::registry
