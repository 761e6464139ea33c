// The conformance suite (tests/conformance, what `foldback certify` runs) as the driver
// suites run it on their private engines. Header-only: only suites that link
// foldback::conformance include it.
#pragma once

#include <iostream>
#include <set>
#include <sstream>
#include <string>

#include "conformance.hpp"
#include "report_format.hpp"

namespace foldback::testsupport {

// Runs the suite, printing its progress log and the report to stdout. *text: the report.
inline conformance::Report certify(const conformance::Options& options,
                                   std::string* text = nullptr) {
    std::ostringstream log;
    const conformance::Report r = conformance::run(options, log);
    std::ostringstream report;
    conformance::printText(r, report);
    std::cout << log.str() << '\n' << report.str();
    if (text) *text = report.str();
    return r;
}

// The ids of the checks with this status ("PASS", "FAIL", "WARN", "SKIP").
inline std::set<std::string> checkIds(const conformance::Report& r, const char* status) {
    std::set<std::string> out;
    for (const auto& c : r.checks)
        if (std::string(conformance::detail::statusName(c)) == status) out.insert(c.id);
    return out;
}

}  // namespace foldback::testsupport
