// Text helpers shared by the progress log and the printers.
#pragma once

#include <string>
#include <string_view>

#include "conformance.hpp"

namespace foldback::conformance::detail {

// "PASS", "FAIL" (spec), "WARN" (policy) or "SKIP".
const char* statusName(const Check& c);

// One report line: `STATUS  id  title  [detail]` (detail only when asked or not passed).
std::string checkLine(const Check& c, bool withDetail);

// Driver-supplied text made safe for a terminal: control bytes become \xNN.
std::string printable(std::string_view text);

// A JSON string literal (quotes included); invalid UTF-8 becomes U+FFFD.
std::string jsonString(std::string_view text);

}  // namespace foldback::conformance::detail
