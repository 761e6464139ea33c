// An instance's settings (its config.toml through the registry) as an immutable struct.
// A change while the instance is open is never hot-swapped: a new instance reads it.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kit/rt_advice.hpp"

namespace toml {
inline namespace v3 {
class table;
}
}  // namespace toml

namespace foldback::kit {

struct KitSettings {
    long inputLatencyOffset = 0;          // [latency] input_offset, frames (calibration)
    long outputLatencyOffset = 0;         // [latency] output_offset
    long maxLatePeriods = 8;              // [kit] max_late_periods: catch up at most this many
    int rtPriority = kDefaultRtPriority;  // [kit] rt_priority (SCHED_FIFO 1..99)
    bool realtime = true;                 // [kit] realtime: try SCHED_FIFO at all
    bool outputReady = true;              // [kit] output_ready: answer outputReady with ASE_OK
    bool outputReadySet = false;  // output_ready is in the file (else: the driver's default)
};

class Config {
  public:
    // Parses TOML text; throws kit::Error(ASE_NotPresent) with the parser's line:column
    // and message when it is malformed or a known key has the wrong type.
    static Config parse(std::string_view tomlText, std::string_view origin);
    Config();
    ~Config();
    Config(Config&&) noexcept;
    Config& operator=(Config&&) noexcept;

    const KitSettings& kit() const noexcept { return kit_; }
    // The whole document, for the backend's own section.
    const toml::table& table() const noexcept { return *table_; }

    // Typed reads of "section.key" with a default; throw kit::Error on a wrong type or a
    // value outside [min, max].
    long integer(std::string_view section, std::string_view key, long fallback, long min,
                 long max) const;
    double number(std::string_view section, std::string_view key, double fallback) const;
    bool boolean(std::string_view section, std::string_view key, bool fallback) const;
    std::string string(std::string_view section, std::string_view key,
                       std::string_view fallback) const;
    // An array of integers ("routing = [0, 1, -1]"); empty when absent.
    std::vector<long> integers(std::string_view section, std::string_view key) const;

  private:
    std::unique_ptr<toml::table> table_;
    KitSettings kit_;
    std::string origin_;
};

}  // namespace foldback::kit
