#include "kit/config.hpp"

#include <toml++/toml.h>

#include <vector>

#include "kit/error.hpp"

namespace foldback::kit {

static const toml::node* lookup(const toml::table& t, std::string_view section,
                                std::string_view key) {
    const auto* sec = t.get_as<toml::table>(section);
    return sec ? sec->get(key) : nullptr;
}

Config::Config() : table_(std::make_unique<toml::table>()) {}
Config::~Config() = default;
Config::Config(Config&&) noexcept = default;
Config& Config::operator=(Config&&) noexcept = default;

Config Config::parse(std::string_view text, std::string_view origin) {
    Config c;
    c.origin_ = std::string(origin);
    try {
        *c.table_ = toml::parse(text, origin);
    } catch (const toml::parse_error& e) {
        const auto& where = e.source().begin;
        fail(ASE_NotPresent, "{}:{}:{}: {}; fix the file and re-open the driver", origin,
             where.line, where.column, e.description());
    }
    auto& k = c.kit_;
    k.inputLatencyOffset = c.integer("latency", "input_offset", 0, -1'000'000, 1'000'000);
    k.outputLatencyOffset = c.integer("latency", "output_offset", 0, -1'000'000, 1'000'000);
    k.maxLatePeriods = c.integer("kit", "max_late_periods", 8, 0, 1024);
    k.rtPriority = static_cast<int>(c.integer("kit", "rt_priority", kDefaultRtPriority, 1, 99));
    k.realtime = c.boolean("kit", "realtime", true);
    k.outputReady = c.boolean("kit", "output_ready", true);
    k.outputReadySet = lookup(*c.table_, "kit", "output_ready") != nullptr;
    return c;
}

long Config::integer(std::string_view section, std::string_view key, long fallback, long min,
                     long max) const {
    const auto* n = lookup(*table_, section, key);
    if (!n) return fallback;
    auto v = n->value<long long>();
    if (!n->is_integer() || !v)
        fail(ASE_NotPresent, "{}: [{}] {} must be an integer", origin_, section, key);
    if (*v < min || *v > max)
        fail(ASE_NotPresent, "{}: [{}] {} = {} is outside {}..{}", origin_, section, key, *v, min,
             max);
    return static_cast<long>(*v);
}

double Config::number(std::string_view section, std::string_view key, double fallback) const {
    const auto* n = lookup(*table_, section, key);
    if (!n) return fallback;
    auto v = n->value<double>();
    if (!v) fail(ASE_NotPresent, "{}: [{}] {} must be a number", origin_, section, key);
    return *v;
}

bool Config::boolean(std::string_view section, std::string_view key, bool fallback) const {
    const auto* n = lookup(*table_, section, key);
    if (!n) return fallback;
    auto v = n->value<bool>();
    if (!n->is_boolean() || !v)
        fail(ASE_NotPresent, "{}: [{}] {} must be true or false", origin_, section, key);
    return *v;
}

std::string Config::string(std::string_view section, std::string_view key,
                           std::string_view fallback) const {
    const auto* n = lookup(*table_, section, key);
    if (!n) return std::string(fallback);
    auto v = n->value<std::string>();
    if (!n->is_string() || !v)
        fail(ASE_NotPresent, "{}: [{}] {} must be a string", origin_, section, key);
    return *v;
}

std::vector<long> Config::integers(std::string_view section, std::string_view key) const {
    std::vector<long> out;
    const auto* n = lookup(*table_, section, key);
    if (!n) return out;
    const auto* arr = n->as_array();
    if (!arr)
        fail(ASE_NotPresent, "{}: [{}] {} must be an array of integers", origin_, section, key);
    for (const auto& e : *arr) {
        auto v = e.value<long long>();
        if (!e.is_integer() || !v)
            fail(ASE_NotPresent, "{}: [{}] {} must be an array of integers", origin_, section, key);
        out.push_back(static_cast<long>(*v));
    }
    return out;
}

}  // namespace foldback::kit
