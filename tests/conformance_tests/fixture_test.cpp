// The conformance suite against the fixture driver (fixture_driver.cpp): a clean run
// passes every check, and each planted fault is reported exactly where it was planted.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <set>
#include <sstream>
#include <string>

#include "conformance.hpp"
#include "json_check.hpp"
#include "report_format.hpp"
#include "suite.hpp"

namespace fc = foldback::conformance;

namespace {

FoldbackInstantiateFn fixtureEntry() {
    static FoldbackInstantiateFn fn = [] {
        void* lib = dlopen(FOLDBACK_FIXTURE_DRIVER, RTLD_NOW | RTLD_LOCAL);
        if (lib == nullptr) return FoldbackInstantiateFn(nullptr);
        return reinterpret_cast<FoldbackInstantiateFn>(dlsym(lib, "instantiateDriver"));
    }();
    return fn;
}

fc::Options fixtureOptions() {
    fc::Options o;
    o.instanceName = "fixture-conformance";
    o.instantiate = [] { return fixtureEntry()(); };
    o.streamSeconds = 1.0;
    o.loop = {{0, 0}, {2, 2}};
    return o;
}

// Runs the suite with the fixture's environment set (read at instantiateDriver).
fc::Report runFixture(const std::string& faults, const std::string& type = "float32",
                      fc::Options options = fixtureOptions()) {
    setenv("FOLDBACK_FIXTURE_FAULTS", faults.c_str(), 1);
    setenv("FOLDBACK_FIXTURE_TYPE", type.c_str(), 1);
    std::ostringstream log;
    fc::Report r = fc::run(options, log);
    unsetenv("FOLDBACK_FIXTURE_FAULTS");
    unsetenv("FOLDBACK_FIXTURE_TYPE");
    return r;
}

std::set<std::string> ids(const fc::Report& r, const char* status) {
    std::set<std::string> out;
    for (const auto& c : r.checks) {
        if (std::string(fc::detail::statusName(c)) == status) out.insert(c.id);
    }
    return out;
}

std::string text(const fc::Report& r) {
    std::ostringstream out;
    fc::printText(r, out);
    return out.str();
}

// The skips a clean fixture run has: it gives no counters and no fault injection.
const std::set<std::string> kFixtureSkips = {"T8.overload", "T8.inject_drop", "T8.inject_late"};

}  // namespace

TEST(ConformanceFixture, DriverLoads) {
    ASSERT_NE(fixtureEntry(), nullptr) << dlerror();
}

TEST(ConformanceFixture, CleanDriverPassesEveryCheck) {
    ASSERT_NE(fixtureEntry(), nullptr);
    fc::Report r = runFixture("");
    SCOPED_TRACE(text(r));
    EXPECT_TRUE(r.passed());
    EXPECT_EQ(ids(r, "FAIL"), std::set<std::string>{});
    EXPECT_EQ(ids(r, "WARN"), std::set<std::string>{});
    EXPECT_EQ(ids(r, "SKIP"), kFixtureSkips);
    EXPECT_GE(r.checks.size(), 150u);
    // 128-frame buffers, 3 + 5 frames of modelled converter delay.
    EXPECT_EQ(r.reportedRoundTrip, 2 * 128 + 8);
    EXPECT_EQ(r.measuredRoundTrip, r.reportedRoundTrip);
    EXPECT_NEAR(r.measuredRate, 48000, 48);
    EXPECT_EQ(r.lateCallbacks, 0);
    // Every row of docs/errors.md appears.
    std::set<std::string> rows;
    for (const auto& c : r.checks) rows.insert(c.id.substr(0, c.id.find('.')));
    for (int i = 1; i <= 25; ++i) EXPECT_TRUE(rows.count("S" + std::to_string(i))) << "S" << i;
    for (int i = 1; i <= 36; ++i) EXPECT_TRUE(rows.count("A" + std::to_string(i))) << "A" << i;
    for (int i = 1; i <= 9; ++i) EXPECT_TRUE(rows.count("T" + std::to_string(i))) << "T" << i;
    // Every S row has its four state cells (S2 only L).
    for (int i = 1; i <= 25; ++i) {
        for (const char* s : {"L", "I", "P", "R"}) {
            if (i == 2 && std::string(s) != "L") continue;
            std::string id = "S" + std::to_string(i) + "." + s;
            bool found = false;
            for (const auto& c : r.checks) found |= c.id == id;
            EXPECT_TRUE(found) << id;
        }
    }
    std::string t = text(r);
    EXPECT_NE(t.find("result: PASS"), std::string::npos);
    EXPECT_NE(t.find("measured 264 frames, reported 264 frames"), std::string::npos);
}

class SampleTypes : public ::testing::TestWithParam<const char*> {};

TEST_P(SampleTypes, ImpulseComesBackInEveryHandledType) {
    ASSERT_NE(fixtureEntry(), nullptr);
    fc::Report r = runFixture("", GetParam());
    SCOPED_TRACE(text(r));
    EXPECT_EQ(ids(r, "FAIL"), std::set<std::string>{});
    EXPECT_EQ(ids(r, "SKIP"), kFixtureSkips);
    EXPECT_EQ(r.measuredRoundTrip, 264);
}

INSTANTIATE_TEST_SUITE_P(ConformanceFixture, SampleTypes,
                         ::testing::Values("float64", "int16", "int24", "int32"));

TEST(ConformanceFixture, UnhandledSampleTypeSkipsTheRoundTrip) {
    ASSERT_NE(fixtureEntry(), nullptr);
    fc::Report r = runFixture("", "int16msb");
    SCOPED_TRACE(text(r));
    std::set<std::string> skips = kFixtureSkips;
    skips.insert({"T6.o0.i0", "T6.o2.i2", "T6.stable"});
    EXPECT_EQ(ids(r, "SKIP"), skips);
    EXPECT_EQ(ids(r, "FAIL"), std::set<std::string>{});
    EXPECT_EQ(r.measuredRoundTrip, -1);
    for (const auto& c : r.checks) {
        if (c.id == "T6.o0.i0") {
            EXPECT_NE(c.detail.find("Int16MSB"), std::string::npos) << c.detail;
        }
    }
}

TEST(ConformanceFixture, NoLoopMapSkipsTheRoundTrip) {
    ASSERT_NE(fixtureEntry(), nullptr);
    fc::Options o = fixtureOptions();
    o.loop.clear();
    fc::Report r = runFixture("", "float32", o);
    std::set<std::string> skips = kFixtureSkips;
    skips.insert({"T6", "T6.stable"});
    EXPECT_EQ(ids(r, "SKIP"), skips);
    EXPECT_TRUE(r.passed());
    for (const auto& c : r.checks) {
        if (c.id == "T6") {
            EXPECT_NE(c.detail.find("loop"), std::string::npos);
        }
    }
}

TEST(ConformanceFixture, LoopMapFromConfig) {
    ASSERT_NE(fixtureEntry(), nullptr);
    fc::Options o = fixtureOptions();
    o.loop.clear();
    o.configToml =
        "[certify]\nloop = [[1, 1], [3, 3]]\nrate_tolerance = 0.002\nlatency_tolerance = 0\n";
    fc::Report r = runFixture("", "float32", o);
    SCOPED_TRACE(text(r));
    EXPECT_TRUE(r.passed());
    std::set<std::string> t6;
    for (const auto& c : r.checks) {
        if (c.id.rfind("T6.o", 0) == 0) t6.insert(c.id);
        if (c.id == "T4.rate") {
            EXPECT_NE(c.detail.find("0.2000 %, config"), std::string::npos) << c.detail;
        }
    }
    EXPECT_EQ(t6, (std::set<std::string>{"T6.o1.i1", "T6.o3.i3"}));
}

TEST(ConformanceFixture, WrongLoopMapFailsTheRoundTrip) {
    // Output 0 does not come back on input 1: the check must not pass by accident.
    ASSERT_NE(fixtureEntry(), nullptr);
    fc::Options o = fixtureOptions();
    o.loop = {{0, 1}, {9, 0}};
    fc::Report r = runFixture("", "float32", o);
    SCOPED_TRACE(text(r));
    EXPECT_EQ(ids(r, "FAIL"), (std::set<std::string>{"T6.o0.i1", "T6.o9.i0", "T6.stable"}));
}

TEST(ConformanceFixture, ChosenBufferSize) {
    ASSERT_NE(fixtureEntry(), nullptr);
    fc::Options o = fixtureOptions();
    o.bufferSize = 64;
    fc::Report r = runFixture("", "float32", o);
    SCOPED_TRACE(text(r));
    EXPECT_TRUE(r.passed());
    EXPECT_EQ(ids(r, "WARN"), std::set<std::string>{});
    EXPECT_EQ(r.bufferSize, 64);
    EXPECT_EQ(r.reportedRoundTrip, 2 * 64 + 8);
    EXPECT_EQ(r.measuredRoundTrip, r.reportedRoundTrip);
}

TEST(ConformanceFixture, NoInstanceIsASetupFailureNotACrash) {
    fc::Options o = fixtureOptions();
    o.instantiate = [] { return static_cast<FoldbackDriver*>(nullptr); };
    std::ostringstream log;
    fc::Report r = fc::run(o, log);
    EXPECT_FALSE(r.passed());
    EXPECT_EQ(ids(r, "FAIL"), std::set<std::string>{"setup"});
}

TEST(ConformanceFixture, UnknownInstanceNameIsASetupFailure) {
    ASSERT_NE(fixtureEntry(), nullptr);
    fc::Options o = fixtureOptions();
    o.instanceName = "not-registered";  // the fixture only knows names starting with "fixture"
    std::ostringstream log;
    fc::Report r = fc::run(o, log);
    EXPECT_FALSE(r.passed());
    ASSERT_EQ(ids(r, "FAIL"), std::set<std::string>{"setup"});
    EXPECT_NE(r.checks.front().detail.find("ASE_NotPresent"), std::string::npos)
        << r.checks.front().detail;
}

// ---- planted faults ------------------------------------------------------------------

struct Planted {
    const char* fault;
    std::set<std::string> fail;  // spec failures expected, exactly
    std::set<std::string> warn;  // policy warnings expected, exactly
};

void PrintTo(const Planted& p, std::ostream* os) {
    *os << p.fault;
}

class PlantedFaults : public ::testing::TestWithParam<Planted> {};

TEST_P(PlantedFaults, ReportedExactlyWherePlanted) {
    ASSERT_NE(fixtureEntry(), nullptr);
    const Planted& p = GetParam();
    fc::Report r = runFixture(p.fault);
    SCOPED_TRACE(text(r));
    EXPECT_EQ(ids(r, "FAIL"), p.fail);
    EXPECT_EQ(ids(r, "WARN"), p.warn);
    EXPECT_EQ(r.passed(), p.fail.empty());
}

INSTANTIATE_TEST_SUITE_P(
    ConformanceFixture, PlantedFaults,
    ::testing::Values(
        // createBuffers accepts a size off the power-of-two grid: only that argument class.
        Planted{"accept_bad_size", {"A18.granularity"}, {}},
        // A switch after stop() returned: the dedicated stop cells and every teardown.
        Planted{"late_callback", {"S20.R", "T5", "T5.all"}, {}},
        // Index 1 first: both callback flavours.
        Planted{"index_from_1", {"T1.timeinfo", "T1.bufferswitch"}, {}},
        // Positions start at one buffer: both flavours.
        Planted{"position_offset", {"T2.timeinfo", "T2.bufferswitch"}, {}},
        // 1 % slow: the rate check only (99 % of the switches still arrive).
        Planted{"slow_clock", {"T4.rate"}, {}},
        // ASE_OK for unknown selectors: every A22 class, as warnings (A22 is a policy row:
        // the spec only says "should"; a hosts-accepted ASE_NotPresent must not fail).
        Planted{"unknown_selector_ok",
                {},
                {"A22.0", "A22.17", "A22.minus1", "A22.reserved_7F000150", "A22.reserved_7F0001FF",
                 "A22.unknown_12345678"}},
        // getDriverName writes past 32 bytes: S3 in every state.
        Planted{"name_overflow", {"S3.L", "S3.I", "S3.P", "S3.R"}, {}},
        // One frame of output latency not reported: every loop path, but the answer is stable.
        Planted{"latency_short", {"T6.o0.i0", "T6.o2.i2"}, {}},
        // release while running leaves the thread running: both release-while-running checks.
        Planted{"release_no_join", {"S25.R", "T9", "T5.all"}, {}},
        // A policy row: start while running fails. A warning, and certification still passes.
        Planted{"start_twice_error", {}, {"S19.R"}}),
    [](const ::testing::TestParamInfo<Planted>& param) { return std::string(param.param.fault); });

// ---- report output -----------------------------------------------------------------

TEST(ConformanceReport, JsonIsValidAndEscapesDriverText) {
    fc::Report r;
    fc::Check c;
    c.id = "S5.I";
    c.title = "quote \" backslash \\ tab \t";
    c.detail = std::string("control \x01 and bad UTF-8 \xff\xfe and good \xc3\xa9");
    r.checks.push_back(c);
    fc::Check skipped;
    skipped.id = "T6";
    skipped.skipped = true;
    r.checks.push_back(skipped);
    r.measuredRate = 0.0 / 0.0;  // NaN must not leak into the JSON
    std::ostringstream out;
    fc::printJson(r, out);
    EXPECT_EQ(fc::testing::JsonCheck(out.str()).error(), "") << out.str();
    EXPECT_NE(out.str().find("\\u0001"), std::string::npos);
    EXPECT_NE(out.str().find("\\ufffd"), std::string::npos);
    EXPECT_NE(out.str().find("\xc3\xa9"), std::string::npos);
    EXPECT_NE(out.str().find("\"measuredRate\": null"), std::string::npos);
    EXPECT_NE(out.str().find("\"status\": \"FAIL\""), std::string::npos);
    EXPECT_NE(out.str().find("\"status\": \"SKIP\""), std::string::npos);
}

TEST(ConformanceReport, JsonCheckRejectsBrokenJson) {
    // The checker used above must be able to fail.
    EXPECT_NE(fc::testing::JsonCheck("{\"a\": 1,}").error(), "");
    EXPECT_NE(fc::testing::JsonCheck("{\"a\": \"\x01\"}").error(), "");
    EXPECT_NE(fc::testing::JsonCheck("{\"a\": nan}").error(), "");
    EXPECT_EQ(fc::testing::JsonCheck("{\"a\": [1, -2.5e3, true, null, \"\\u00e9\"]}").error(), "");
}

TEST(ConformanceReport, TextLinesAndSummary) {
    fc::Report r;
    fc::Check pass{"S1.L", "init(NULL) in L", true, true, false, "returned 1"};
    fc::Check fail{"A4.nan", "canSampleRate(NaN)", true, false, false, "returned ASE_OK (0)"};
    fc::Check warn{"A1.in_null", "getChannels(NULL, &out)", false, false,
                   false,        "returned ASE_OK (0)"};
    fc::Check skip{"T6", "round trip", true, false, true, "no loop map"};
    r.checks = {pass, fail, warn, skip};
    std::string t = text(r);
    EXPECT_NE(t.find("PASS  S1.L            init(NULL) in L\n"), std::string::npos) << t;
    EXPECT_NE(t.find("FAIL  A4.nan          canSampleRate(NaN)  [returned ASE_OK (0)]\n"),
              std::string::npos)
        << t;
    EXPECT_NE(t.find("WARN  A1.in_null"), std::string::npos) << t;
    EXPECT_NE(t.find("SKIP  T6              round trip  [no loop map]"), std::string::npos) << t;
    EXPECT_NE(t.find("checks: 4  passed: 1  failed (spec): 1  warnings (policy): 1  skipped: 1"),
              std::string::npos)
        << t;
    EXPECT_NE(t.find("result: FAIL"), std::string::npos);
    EXPECT_EQ(r.failedSpec(), 1u);
    EXPECT_EQ(r.failedPolicy(), 1u);
    EXPECT_FALSE(r.passed());
}

TEST(ConformanceSettings, OptionsOverrideConfig) {
    fc::Options o;
    o.configToml =
        "[certify]\nloop = [[0, 1], [2, 3]]\nrate_tolerance = 0.01\nlatency_tolerance = 2\n";
    auto s = fc::detail::resolveSettings(o);
    EXPECT_EQ(s.problem, "");
    EXPECT_EQ(s.loop, (std::vector<std::pair<long, long>>{{0, 1}, {2, 3}}));
    EXPECT_EQ(s.loopSource, "config");
    EXPECT_DOUBLE_EQ(s.rateTolerance, 0.01);
    EXPECT_DOUBLE_EQ(s.latencyTolerance, 2);
    o.loop = {{5, 5}};
    o.rateTolerance = 0.0005;
    o.latencyTolerance = 0;
    s = fc::detail::resolveSettings(o);
    EXPECT_EQ(s.loop, (std::vector<std::pair<long, long>>{{5, 5}}));
    EXPECT_DOUBLE_EQ(s.rateTolerance, 0.0005);
    EXPECT_DOUBLE_EQ(s.latencyTolerance, 0);
    EXPECT_EQ(s.rateSource, "options");
}

TEST(ConformanceSettings, Defaults) {
    auto s = fc::detail::resolveSettings(fc::Options{});
    EXPECT_TRUE(s.loop.empty());
    EXPECT_DOUBLE_EQ(s.rateTolerance, 0.001);
    EXPECT_DOUBLE_EQ(s.latencyTolerance, 0);
    EXPECT_EQ(s.problem, "");
}

TEST(ConformanceSettings, BadConfigIsReported) {
    fc::Options o;
    o.configToml = "[certify]\nloop = [[0]]\n";
    EXPECT_NE(fc::detail::resolveSettings(o).problem, "");
    o.configToml = "[certify\n";
    EXPECT_NE(fc::detail::resolveSettings(o).problem.find("not valid TOML"), std::string::npos);
    o.configToml = "[certify]\nrate_tolerance = \"fast\"\n";
    EXPECT_NE(fc::detail::resolveSettings(o).problem, "");
}
