// The whole conformance suite (tests/conformance, what `foldback certify` runs) against the
// PipeWire driver on a private PipeWire whose nodes choose the quantum (PW_RIG_FORCE=0),
// with the loop out k -> rig-sink -> monitor -> in k. That loop returns after one quantum
// that no Latency parameter carries (driver_test.cpp, the loop test): the instance is
// calibrated for it with [latency] input_offset = 64, as `foldback latency --calibrate`
// would write, and round trip and reported latency must then agree exactly.
#include <gtest/gtest.h>

#include <iostream>
#include <set>
#include <sstream>
#include <string>

#include "conformance.hpp"
#include "report_format.hpp"
#include "support.hpp"

namespace fc = foldback::conformance;

namespace foldback::pwtest {
namespace {

std::set<std::string> ids(const fc::Report& r, const char* status) {
    std::set<std::string> out;
    for (const auto& c : r.checks)
        if (std::string(fc::detail::statusName(c)) == status) out.insert(c.id);
    return out;
}

TEST(PipeWireConformance, CertifiesWithTheLoopThroughTheNullSinkMonitor) {
    ASSERT_TRUE(startDaemon());
    const std::string config =
        "[pipewire]\nsource = \"rig-sink\"\nsink = \"rig-sink\"\nbuffer_size = 64\n"
        "[latency]\ninput_offset = 64\n"
        "[certify]\nloop = [[0, 0], [1, 1]]\n";
    const std::string name = addInstance("pw-certify", config);
    fc::Options o;
    o.instanceName = name;
    o.instantiate = [] { return factory()(); };
    o.configToml = config;
    o.streamSeconds = 3.0;
    o.verbose = true;
    std::ostringstream log;
    const fc::Report r = fc::run(o, log);
    std::ostringstream text;
    fc::printText(r, text);
    std::cout << log.str() << '\n' << text.str();
    SCOPED_TRACE(text.str());
    EXPECT_TRUE(r.passed());
    EXPECT_EQ(ids(r, "FAIL"), std::set<std::string>{});
    EXPECT_GE(r.checks.size(), 150u);
    EXPECT_EQ(r.bufferSize, 64);
    EXPECT_EQ(r.measuredRoundTrip, r.reportedRoundTrip);
    EXPECT_EQ(r.reportedRoundTrip, 64);
    EXPECT_EQ(r.lateCallbacks, 0);
}

}  // namespace
}  // namespace foldback::pwtest
