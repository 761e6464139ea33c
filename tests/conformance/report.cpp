#include <cmath>
#include <cstdio>
#include <ostream>

#include "report_format.hpp"
#include "suite.hpp"

namespace foldback::conformance {

namespace detail {

const char* statusName(const Check& c) {
    if (c.skipped) return "SKIP";
    if (c.passed) return "PASS";
    return c.spec ? "FAIL" : "WARN";
}

std::string checkLine(const Check& c, bool withDetail) {
    std::string line = statusName(c);
    line += "  ";
    line += c.id;
    if (c.id.size() < 14) line.append(14 - c.id.size(), ' ');
    line += "  ";
    line += c.title;
    if (!c.detail.empty() && (withDetail || !c.passed || c.skipped)) {
        line += "  [" + printable(c.detail) + "]";
    }
    return line;
}

std::string printable(std::string_view text) {
    std::string out;
    for (unsigned char ch : text) {
        if (ch < 0x20 || ch == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02X", ch);
            out += buf;
        } else {
            out += char(ch);
        }
    }
    return out;
}

namespace {

// Length of the valid UTF-8 sequence at s[i], 0 if invalid.
std::size_t utf8Length(std::string_view s, std::size_t i) {
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = b(i);
    std::size_t n = c < 0x80           ? 1
                    : (c >> 5) == 0x6  ? 2
                    : (c >> 4) == 0xE  ? 3
                    : (c >> 3) == 0x1E ? 4
                                       : 0;
    if (n == 0 || i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k) {
        if ((b(i + k) & 0xC0) != 0x80) return 0;
    }
    if (n == 2 && c < 0xC2) return 0;  // overlong
    if (n == 3) {
        unsigned cp = (c & 0x0Fu) << 12 | (b(i + 1) & 0x3Fu) << 6 | (b(i + 2) & 0x3Fu);
        if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;  // overlong, surrogate
    }
    if (n == 4) {
        unsigned cp = (c & 0x07u) << 18 | (b(i + 1) & 0x3Fu) << 12 | (b(i + 2) & 0x3Fu) << 6 |
                      (b(i + 3) & 0x3Fu);
        if (cp < 0x10000 || cp > 0x10FFFF) return 0;
    }
    return n;
}

std::string jsonNumber(double v) {
    if (!std::isfinite(v)) return "null";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

}  // namespace

std::string jsonString(std::string_view text) {
    std::string out = "\"";
    for (std::size_t i = 0; i < text.size();) {
        auto c = static_cast<unsigned char>(text[i]);
        std::size_t n = utf8Length(text, i);
        if (n == 0) {
            out += "\\ufffd";
            ++i;
            continue;
        }
        if (n > 1) {
            out.append(text.substr(i, n));
            i += n;
            continue;
        }
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += char(c);
                }
        }
        ++i;
    }
    return out + "\"";
}

std::string messageName(long selector) {
    switch (selector) {
        case kAsioSelectorSupported:
            return "kAsioSelectorSupported";
        case kAsioEngineVersion:
            return "kAsioEngineVersion";
        case kAsioResetRequest:
            return "kAsioResetRequest";
        case kAsioBufferSizeChange:
            return "kAsioBufferSizeChange";
        case kAsioResyncRequest:
            return "kAsioResyncRequest";
        case kAsioLatenciesChanged:
            return "kAsioLatenciesChanged";
        case kAsioSupportsTimeInfo:
            return "kAsioSupportsTimeInfo";
        case kAsioSupportsTimeCode:
            return "kAsioSupportsTimeCode";
        case kAsioMMCCommand:
            return "kAsioMMCCommand";
        case kAsioSupportsInputMonitor:
            return "kAsioSupportsInputMonitor";
        case kAsioSupportsInputGain:
            return "kAsioSupportsInputGain";
        case kAsioSupportsInputMeter:
            return "kAsioSupportsInputMeter";
        case kAsioSupportsOutputGain:
            return "kAsioSupportsOutputGain";
        case kAsioSupportsOutputMeter:
            return "kAsioSupportsOutputMeter";
        case kAsioOverload:
            return "kAsioOverload";
        default:
            return "unknown selectors";
    }
}

}  // namespace detail

void printText(const Report& report, std::ostream& out) {
    using namespace detail;
    for (const Check& c : report.checks) out << checkLine(c, false) << '\n';
    out << '\n'
        << "checks: " << report.checks.size() << "  passed: " << report.passedCount()
        << "  failed (spec): " << report.failedSpec()
        << "  warnings (policy): " << report.failedPolicy()
        << "  skipped: " << report.skippedCount() << '\n';
    out << "round trip: ";
    if (report.measuredRoundTrip >= 0) {
        out << "measured " << report.measuredRoundTrip << " frames";
    } else {
        out << "not measured";
    }
    out << ", reported " << report.reportedRoundTrip << " frames (input " << report.inputLatency
        << " + output " << report.outputLatency << ", buffer " << report.bufferSize << ")";
    if (report.measuredRoundTrip >= 0 && report.reportedRoundTrip >= 0) {
        out << (report.measuredRoundTrip == report.reportedRoundTrip ? "  == reported"
                                                                     : "  != reported");
    }
    out << '\n';
    char rate[160];
    double rel = report.nominalRate > 0 ? (report.measuredRate / report.nominalRate - 1) * 100 : 0;
    std::snprintf(rate, sizeof rate, "rate: %.3f Hz measured, %.0f Hz nominal (%+.4f %%)",
                  report.measuredRate, report.nominalRate, rel);
    out << rate << ", " << report.switches << " switches, " << report.overloads << " overloads, "
        << report.lateCallbacks << " late callbacks\n";
    out << "messages:";
    if (report.messages.empty()) out << " none";
    for (const auto& m : report.messages) {
        out << "\n  " << messageName(m.selector) << " x" << m.count << " (" << m.onControlThread
            << " inside the suite's calls, " << m.onOtherThreads << " from driver threads)";
    }
    out << '\n' << "result: " << (report.passed() ? "PASS" : "FAIL") << '\n';
}

void printJson(const Report& report, std::ostream& out) {
    using namespace detail;
    out << "{\n  \"passed\": " << (report.passed() ? "true" : "false") << ",\n";
    out << "  \"counts\": {\"checks\": " << report.checks.size()
        << ", \"passed\": " << report.passedCount() << ", \"failedSpec\": " << report.failedSpec()
        << ", \"failedPolicy\": " << report.failedPolicy()
        << ", \"skipped\": " << report.skippedCount() << "},\n";
    out << "  \"reportedRoundTrip\": " << report.reportedRoundTrip
        << ",\n  \"measuredRoundTrip\": " << report.measuredRoundTrip
        << ",\n  \"inputLatency\": " << report.inputLatency
        << ",\n  \"outputLatency\": " << report.outputLatency
        << ",\n  \"bufferSize\": " << report.bufferSize
        << ",\n  \"measuredRate\": " << jsonNumber(report.measuredRate)
        << ",\n  \"nominalRate\": " << jsonNumber(report.nominalRate)
        << ",\n  \"switches\": " << report.switches << ",\n  \"overloads\": " << report.overloads
        << ",\n  \"lateCallbacks\": " << report.lateCallbacks << ",\n";
    out << "  \"messages\": [";
    for (std::size_t i = 0; i < report.messages.size(); ++i) {
        const auto& m = report.messages[i];
        out << (i ? ", " : "") << "{\"selector\": " << m.selector
            << ", \"name\": " << jsonString(messageName(m.selector)) << ", \"count\": " << m.count
            << ", \"onControlThread\": " << m.onControlThread
            << ", \"onOtherThreads\": " << m.onOtherThreads << "}";
    }
    out << "],\n  \"checks\": [";
    for (std::size_t i = 0; i < report.checks.size(); ++i) {
        const Check& c = report.checks[i];
        out << (i ? "," : "") << "\n    {\"id\": " << jsonString(c.id)
            << ", \"status\": " << jsonString(statusName(c))
            << ", \"spec\": " << (c.spec ? "true" : "false")
            << ", \"passed\": " << (c.passed ? "true" : "false")
            << ", \"skipped\": " << (c.skipped ? "true" : "false")
            << ", \"title\": " << jsonString(c.title) << ", \"detail\": " << jsonString(c.detail)
            << "}";
    }
    out << "\n  ]\n}\n";
}

}  // namespace foldback::conformance
