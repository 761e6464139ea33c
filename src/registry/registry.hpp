// src/registry: where driver instances are registered and where their settings live.
// One resolver, shared by the host side (to load a driver by name) and by drivers (to
// read their own instance's settings). See DESIGN.md §3 and docs/registry.md.
//
// An instance is a directory <root>/<name>/ holding
//   driver       absolute path of the driver .so (first line)
//   description  one line for people (optional)
//   config.toml  the instance's settings (optional)
// Roots, first wins:
//   1. $FOLDBACK_DRIVER_PATH (colon-separated)
//   2. $XDG_CONFIG_HOME/foldback/drivers (default ~/.config/foldback/drivers)  -- the user root
//   3. /etc/foldback/drivers                                                   -- the system root
//   4. /etc/cwASIO                                                             -- cwASIO's registry
//   5. the built-in root shipped with Foldback (<prefix>/share/foldback/drivers, found
//      relative to the running binary or library), holding the loopback instance.
// A user root directory of the same name that holds no `driver` file is a user overlay:
// its config.toml overrides keys of the entry's own config (per-user settings and
// measured latency offsets for an entry the user cannot write).
#pragma once

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace foldback::registry {

inline constexpr std::size_t kMaxNameBytes = 31;  // fits ASIO's 32-byte name buffers

class Error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

enum class RootKind { Env, User, System, CwAsio, BuiltIn };

struct Root {
    std::filesystem::path path;
    RootKind kind;
};

struct Entry {
    std::string name;
    std::filesystem::path dir;  // <root>/<name>
    RootKind root;
    std::string driverPath;   // as read (first line, trimmed)
    std::string description;  // "" when absent
    std::string problem;      // "" when loadable; else why it is refused
};

// Roots in resolution order (existing or not).
std::vector<Root> roots();

// "" when valid; else a sentence saying what is wrong ("name contains '/'", ...).
std::string checkName(std::string_view name);

// A name as it can be shown in a message: control bytes become \xNN.
std::string printable(std::string_view s);

// The first root's entry for name, if any (including refused ones, with `problem` set).
std::optional<Entry> find(std::string_view name);

// Every instance, one per name (first root wins), sorted by name.
std::vector<Entry> list();

// Writes <root>/<name>/{driver,description} atomically (temp file + rename). The driver
// path is made absolute. Throws Error with an actionable message.
// User: the user root; System: /etc/foldback/drivers; CwAsio: /etc/cwASIO, where cwASIO
// hosts look (what a driver's exported registerDriver writes, as cwASIO installers expect).
enum class Scope { User, System, CwAsio };
std::filesystem::path registerInstance(std::string_view name, const std::filesystem::path& driver,
                                       std::string_view description, Scope scope = Scope::User);
// Removes the known files and the directory. Throws Error when there is nothing to remove.
void unregisterInstance(std::string_view name, Scope scope = Scope::User);

// The instance's settings as TOML text: the entry's config.toml with the user overlay's
// keys merged over it (tables merged recursively). "" when neither exists.
std::string readConfig(std::string_view name);

// Where settings for name are written: the entry's own config.toml when the user can
// write it, else the user overlay's. Creates the overlay directory when needed.
std::filesystem::path configPathForWrite(std::string_view name);

// Sets (or replaces) one key in the written config, e.g. setConfigValue("loopback",
// "latency", "input_offset", 12). Keeps every other key.
void setConfigValue(std::string_view name, std::string_view table, std::string_view key,
                    long long value);

}  // namespace foldback::registry
