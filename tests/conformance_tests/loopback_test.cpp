// The whole conformance suite against the real loopback driver, loaded the way a host
// does: dlopen of the .so, instantiateDriver, instance name resolved through the registry
// (FOLDBACK_DRIVER_PATH pointing at a private root made here).
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>

#include "conformance.hpp"
#include "json_check.hpp"
#include "report_format.hpp"

namespace fc = foldback::conformance;
namespace fs = std::filesystem;

namespace {

FoldbackInstantiateFn loopbackEntry() {
    static FoldbackInstantiateFn fn = [] {
        void* lib = dlopen(FOLDBACK_LOOPBACK_DRIVER, RTLD_NOW | RTLD_LOCAL);
        if (lib == nullptr) return FoldbackInstantiateFn(nullptr);
        return reinterpret_cast<FoldbackInstantiateFn>(dlsym(lib, "instantiateDriver"));
    }();
    return fn;
}

// A private registry root with one instance of the loopback driver.
class Root {
  public:
    Root() {
        std::string tmpl = (fs::temp_directory_path() / "foldback-certify-XXXXXX").string();
        dir_ = mkdtemp(tmpl.data());
        setenv("FOLDBACK_DRIVER_PATH", dir_.c_str(), 1);
    }
    ~Root() {
        unsetenv("FOLDBACK_DRIVER_PATH");
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    std::string add(const std::string& name, const std::string& config) {
        fs::path d = fs::path(dir_) / name;
        fs::create_directories(d);
        std::ofstream(d / "driver") << fs::absolute(FOLDBACK_LOOPBACK_DRIVER).string() << "\n";
        std::ofstream(d / "description") << "loopback for the conformance test\n";
        std::ofstream(d / "config.toml") << config;
        return config;
    }

  private:
    std::string dir_;
};

std::set<std::string> ids(const fc::Report& r, const char* status) {
    std::set<std::string> out;
    for (const auto& c : r.checks) {
        if (std::string(fc::detail::statusName(c)) == status) out.insert(c.id);
    }
    return out;
}

fc::Report certify(const std::string& name, const std::string& config, std::string& text) {
    fc::Options o;
    o.instanceName = name;
    o.instantiate = [] { return loopbackEntry()(); };
    o.configToml = config;
    o.streamSeconds = 3.0;
    o.verbose = true;  // the log then has every check's detail
    std::ostringstream log;
    fc::Report r = fc::run(o, log);
    std::ostringstream out;
    fc::printText(r, out);
    text = out.str();
    std::cout << log.str() << '\n' << text;
    return r;
}

}  // namespace

TEST(ConformanceLoopback, DriverLoads) {
    ASSERT_NE(loopbackEntry(), nullptr) << dlerror();
}

TEST(ConformanceLoopback, CertifiesWithDefaults) {
    ASSERT_NE(loopbackEntry(), nullptr);
    Root root;
    std::string config = root.add("certify-loopback", "[certify]\nloop = [[0, 0], [7, 7]]\n");
    std::string text;
    fc::Report r = certify("certify-loopback", config, text);
    SCOPED_TRACE(text);
    EXPECT_TRUE(r.passed());
    EXPECT_EQ(ids(r, "FAIL"), std::set<std::string>{});
    EXPECT_GE(r.checks.size(), 150u);
    EXPECT_EQ(r.measuredRoundTrip, r.reportedRoundTrip);
    EXPECT_EQ(r.reportedRoundTrip, 2 * 256);
    EXPECT_EQ(r.lateCallbacks, 0);
    std::ostringstream json;
    fc::printJson(r, json);
    EXPECT_EQ(fc::testing::JsonCheck(json.str()).error(), "");
}

TEST(ConformanceLoopback, CertifiesWithConverterDelaysAndIntegerSamples) {
    ASSERT_NE(loopbackEntry(), nullptr);
    Root root;
    std::string config =
        root.add("certify-loopback-delays",
                 "[loopback]\nbuffer_size = 128\ninput_delay = 7\noutput_delay = 13\n"
                 "sample_type = \"Int24LSB\"\n"
                 "[certify]\nloop = [[3, 3]]\n");
    std::string text;
    fc::Report r = certify("certify-loopback-delays", config, text);
    SCOPED_TRACE(text);
    EXPECT_TRUE(r.passed());
    EXPECT_EQ(ids(r, "FAIL"), std::set<std::string>{});
    EXPECT_EQ(r.reportedRoundTrip, 2 * 128 + 7 + 13);
    EXPECT_EQ(r.measuredRoundTrip, r.reportedRoundTrip);
}
