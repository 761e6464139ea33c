// [certify] keys of the instance's config (docs/certify.md); Options fields win.
#include <toml++/toml.h>

#include <sstream>

#include "suite.hpp"

namespace foldback::conformance::detail {

namespace {

std::optional<double> number(const toml::node_view<const toml::node>& node) {
    if (auto d = node.value<double>()) return *d;
    if (auto i = node.value<long long>()) return double(*i);
    return std::nullopt;
}

}  // namespace

Settings resolveSettings(const Options& options) {
    Settings s;
    std::vector<std::pair<long, long>> configLoop;
    bool haveConfigLoop = false;
    if (!options.configToml.empty()) {
        try {
            const toml::table config = toml::parse(options.configToml);
            const auto certify = config["certify"];
            if (certify && !certify.is_table()) {
                s.problem = "[certify] is not a table";
            } else if (certify) {
                if (const auto loop = certify["loop"]) {
                    const toml::array* pairs = loop.as_array();
                    if (pairs == nullptr)
                        s.problem = "[certify] loop is not an array of [out, in] pairs";
                    for (std::size_t i = 0; pairs != nullptr && i < pairs->size(); ++i) {
                        const toml::array* pair = pairs->get(i)->as_array();
                        std::optional<long long> out, in;
                        if (pair != nullptr && pair->size() == 2) {
                            out = pair->get(0)->value<long long>();
                            in = pair->get(1)->value<long long>();
                        }
                        if (!out || !in || *out < 0 || *in < 0) {
                            std::ostringstream why;
                            why << "[certify] loop entry " << i
                                << " is not a pair of two channel numbers [out, in]";
                            s.problem = why.str();
                            configLoop.clear();
                            break;
                        }
                        configLoop.emplace_back(long(*out), long(*in));
                    }
                    haveConfigLoop = s.problem.empty();
                }
                if (const auto rt = certify["rate_tolerance"]) {
                    auto v = number(rt);
                    if (!v || *v < 0) {
                        s.problem = "[certify] rate_tolerance must be a number >= 0";
                    } else {
                        s.rateTolerance = *v;
                        s.rateSource = "config";
                    }
                }
                if (const auto lt = certify["latency_tolerance"]) {
                    auto v = number(lt);
                    if (!v || *v < 0) {
                        s.problem = "[certify] latency_tolerance must be a number >= 0 (frames)";
                    } else {
                        s.latencyTolerance = *v;
                        s.latencySource = "config";
                    }
                }
            }
        } catch (const toml::parse_error& e) {
            std::ostringstream why;
            why << "the instance's config is not valid TOML: " << e.description() << " at line "
                << e.source().begin.line;
            s.problem = why.str();
        }
    }
    if (!options.loop.empty()) {
        s.loop = options.loop;
        s.loopSource = "options";
    } else if (haveConfigLoop && !configLoop.empty()) {
        s.loop = configLoop;
        s.loopSource = "config";
    }
    if (options.rateTolerance >= 0) {
        s.rateTolerance = options.rateTolerance;
        s.rateSource = "options";
    }
    if (options.latencyTolerance >= 0) {
        s.latencyTolerance = options.latencyTolerance;
        s.latencySource = "options";
    }
    return s;
}

}  // namespace foldback::conformance::detail
