// The registry's observable rules: roots and their order, first root wins, the user overlay,
// settings, register/unregister, and every refusal. Each test runs in its own TestWorld.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <toml++/toml.h>
#include <algorithm>
#include <set>

#include "registry/registry.hpp"
#include "test_env.hpp"

namespace reg = foldback::registry;
using foldback::test::EnvVar;
using foldback::test::TestWorld;
namespace fs = std::filesystem;
using ::testing::HasSubstr;

namespace {

// Entries of list() that live in this world (the real /etc and the built-in roots may hold
// others, which these tests must not depend on).
std::vector<reg::Entry> listInWorld(const TestWorld& w) {
    std::vector<reg::Entry> out;
    for (auto& e : reg::list())
        if (e.dir.string().rfind(w.base.string(), 0) == 0) out.push_back(e);
    return out;
}

std::vector<std::string> names(const std::vector<reg::Entry>& es) {
    std::vector<std::string> out;
    for (const auto& e : es) out.push_back(e.name);
    return out;
}

toml::table parse(const std::string& text) {
    return toml::parse(text);
}

}  // namespace

// ---- roots ----------------------------------------------------------------------------

TEST(RegistryRoots, AllRootsInDocumentedOrder) {
    TestWorld w;
    EnvVar path("FOLDBACK_DRIVER_PATH");
    // Empty and relative components are ignored; a trailing slash is normalized away.
    path.set(w.envA.string() + "/::relative/root:" + w.envB.string());
    auto rs = reg::roots();
    ASSERT_GE(rs.size(), 6u);
    EXPECT_EQ(rs[0].path, w.envA);
    EXPECT_EQ(rs[0].kind, reg::RootKind::Env);
    EXPECT_EQ(rs[1].path, w.envB);
    EXPECT_EQ(rs[1].kind, reg::RootKind::Env);
    EXPECT_EQ(rs[2].path, w.xdg / "foldback" / "drivers");
    EXPECT_EQ(rs[2].kind, reg::RootKind::User);
    EXPECT_EQ(rs[3].path, fs::path("/etc/foldback/drivers"));
    EXPECT_EQ(rs[3].kind, reg::RootKind::System);
    EXPECT_EQ(rs[4].path, fs::path("/etc/cwASIO"));
    EXPECT_EQ(rs[4].kind, reg::RootKind::CwAsio);
    std::set<fs::path> builtins;
    for (std::size_t i = 5; i < rs.size(); ++i) {
        EXPECT_EQ(rs[i].kind, reg::RootKind::BuiltIn) << rs[i].path;
        builtins.insert(rs[i].path);
    }
    EXPECT_TRUE(builtins.count(fs::path(FOLDBACK_TEST_BUILTIN_ROOT_BUILD)));
    EXPECT_TRUE(builtins.count(fs::path(FOLDBACK_TEST_BUILTIN_ROOT_INSTALL)));
}

TEST(RegistryRoots, UserRootDefaultsToHomeConfig) {
    TestWorld w;
    EnvVar xdg("XDG_CONFIG_HOME");
    xdg.unset();
    auto rs = reg::roots();
    auto user = std::find_if(rs.begin(), rs.end(),
                             [](const reg::Root& r) { return r.kind == reg::RootKind::User; });
    ASSERT_NE(user, rs.end());
    EXPECT_EQ(user->path, w.home / ".config" / "foldback" / "drivers");
    // A relative XDG_CONFIG_HOME is invalid (XDG spec) and ignored as well.
    xdg.set("relative/config");
    rs = reg::roots();
    user = std::find_if(rs.begin(), rs.end(),
                        [](const reg::Root& r) { return r.kind == reg::RootKind::User; });
    ASSERT_NE(user, rs.end());
    EXPECT_EQ(user->path, w.home / ".config" / "foldback" / "drivers");
}

TEST(RegistryRoots, NoEnvRootsWithoutVariable) {
    TestWorld w;
    EnvVar path("FOLDBACK_DRIVER_PATH");
    path.unset();
    auto rs = reg::roots();
    ASSERT_FALSE(rs.empty());
    EXPECT_EQ(rs[0].kind, reg::RootKind::User);
}

// ---- resolution -----------------------------------------------------------------------

TEST(RegistryFind, FirstRootWinsInEveryPosition) {
    TestWorld w;
    auto so = w.fakeDriver();
    auto a = TestWorld::writeEntry(w.envA, "dev", so.string() + "\n", "from A\n");
    auto b = TestWorld::writeEntry(w.envB, "dev", so.string() + "\n", "from B\n");
    auto u = TestWorld::writeEntry(w.userRoot, "dev", so.string() + "\n", "from user\n");

    auto e = reg::find("dev");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->dir, a);
    EXPECT_EQ(e->root, reg::RootKind::Env);
    EXPECT_EQ(e->description, "from A");
    auto listed = listInWorld(w);
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].dir, a);

    fs::remove_all(a);
    e = reg::find("dev");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->dir, b);
    EXPECT_EQ(e->description, "from B");

    fs::remove_all(b);
    e = reg::find("dev");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->dir, u);
    EXPECT_EQ(e->root, reg::RootKind::User);
    EXPECT_EQ(e->description, "from user");
    EXPECT_EQ(e->problem, "");
}

TEST(RegistryFind, RefusedEntryStillShadowsLaterRoots) {
    // A broken entry must not silently fall through to another driver of the same name.
    TestWorld w;
    auto so = w.fakeDriver();
    auto a = TestWorld::writeEntry(w.envA, "dev", "relative/driver.so\n");
    TestWorld::writeEntry(w.envB, "dev", so.string() + "\n");
    auto e = reg::find("dev");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->dir, a);
    EXPECT_THAT(e->problem, HasSubstr("relative"));
}

TEST(RegistryFind, UnsafeNamesAreNeverJoinedToARoot) {
    TestWorld w;
    auto so = w.fakeDriver();
    // An entry outside the roots that "../" would reach.
    TestWorld::writeEntry(w.base, "outside", so.string() + "\n");
    EXPECT_FALSE(reg::find("../outside"));
    EXPECT_FALSE(reg::find("envA/../../outside"));
    EXPECT_FALSE(reg::find(""));
    EXPECT_FALSE(reg::find("."));
    EXPECT_FALSE(reg::find(".."));
}

TEST(RegistryFind, MissingNameIsNotFound) {
    TestWorld w;
    EXPECT_FALSE(reg::find("foldback-test-no-such-instance"));
}

TEST(RegistryList, SortedOnePerNameSkippingPlainFilesHiddenAndDriverless) {
    TestWorld w;
    auto so = w.fakeDriver();
    TestWorld::writeEntry(w.envB, "zeta", so.string() + "\n", "z\n");
    TestWorld::writeEntry(w.envA, "alpha", so.string() + "\n", "a\n");
    TestWorld::writeEntry(w.userRoot, "Mid", so.string() + "\n", "m\n");
    TestWorld::writeEntry(w.userRoot, "alpha", so.string() + "\n", "shadowed\n");
    TestWorld::writeFile(w.envA / "README", "a stray file is not a device\n");
    TestWorld::writeEntry(w.envA, ".hidden", so.string() + "\n");
    w.makeDir("envA/nodriver");
    TestWorld::writeFile(w.envA / "nodriver" / "description", "half-removed cwASIO entry\n");

    auto listed = listInWorld(w);
    EXPECT_EQ(names(listed), (std::vector<std::string>{"Mid", "alpha", "zeta"}));
    for (const auto& e : listed) EXPECT_EQ(e.problem, "") << e.name;
    auto alpha = std::find_if(listed.begin(), listed.end(),
                              [](const reg::Entry& e) { return e.name == "alpha"; });
    ASSERT_NE(alpha, listed.end());
    EXPECT_EQ(alpha->description, "a");
    EXPECT_FALSE(reg::find("README"));
    EXPECT_FALSE(reg::find("nodriver"));
}

TEST(RegistryList, EmptyDriverFileIsListedWithProblem) {
    TestWorld w;
    TestWorld::writeEntry(w.envA, "empty", "");
    TestWorld::writeEntry(w.envA, "blank", " \r\n");
    auto listed = listInWorld(w);
    ASSERT_EQ(names(listed), (std::vector<std::string>{"blank", "empty"}));
    for (const auto& e : listed) {
        EXPECT_EQ(e.driverPath, "");
        EXPECT_THAT(e.problem, HasSubstr("is empty"));
        EXPECT_THAT(e.problem, HasSubstr("foldback register " + e.name));
    }
}

TEST(RegistryEntry, ReadersCutAtFirstNewlineAndTrim) {
    TestWorld w;
    auto so = w.fakeDriver();
    TestWorld::writeEntry(w.envA, "crlf", "  " + so.string() + " \r\nsecond line\n",
                          "\t A device  \r\nmore text\n");
    auto e = reg::find("crlf");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->driverPath, so.string());
    EXPECT_EQ(e->description, "A device");
    EXPECT_EQ(e->problem, "");
}

TEST(RegistryEntry, CwAsioStyleEntryWithoutDescriptionWorks) {
    // registerDriver in cwASIO writes no description and no trailing newline.
    TestWorld w;
    auto so = w.fakeDriver();
    TestWorld::writeEntry(w.envA, "TestDrv #2", so.string());
    auto e = reg::find("TestDrv #2");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->driverPath, so.string());
    EXPECT_EQ(e->description, "");
    EXPECT_EQ(e->problem, "");
}

// ---- refusals -------------------------------------------------------------------------

TEST(RegistryRefusal, RelativeDriverPath) {
    TestWorld w;
    TestWorld::writeEntry(w.envA, "rel", "./libdrv.so\n");
    auto e = reg::find("rel");
    ASSERT_TRUE(e);
    EXPECT_THAT(e->problem, HasSubstr("'./libdrv.so' is relative"));
    EXPECT_THAT(e->problem, HasSubstr("absolute path"));
}

TEST(RegistryRefusal, BareFileNameIsRelativeToo) {
    // dlopen would search LD_LIBRARY_PATH for it: refused as well.
    TestWorld w;
    TestWorld::writeEntry(w.envA, "bare", "libdrv.so\n");
    auto e = reg::find("bare");
    ASSERT_TRUE(e);
    EXPECT_THAT(e->problem, HasSubstr("relative"));
}

TEST(RegistryRefusal, DotDotInDriverPath) {
    TestWorld w;
    auto so = w.fakeDriver();
    std::string viaDotDot = (w.lib / ".." / "lib" / so.filename()).string();
    TestWorld::writeEntry(w.envA, "dotdot", viaDotDot + "\n");
    auto e = reg::find("dotdot");
    ASSERT_TRUE(e);
    EXPECT_THAT(e->problem, HasSubstr("contains '..'"));
    EXPECT_THAT(e->problem, HasSubstr("realpath"));
}

TEST(RegistryRefusal, MissingDriverFile) {
    TestWorld w;
    std::string missing = (w.lib / "gone.so").string();
    TestWorld::writeEntry(w.envA, "gone", missing + "\n");
    auto e = reg::find("gone");
    ASSERT_TRUE(e);
    EXPECT_THAT(e->problem, HasSubstr(missing));
    EXPECT_THAT(e->problem, HasSubstr("No such file or directory"));
}

TEST(RegistryRefusal, DriverPathIsADirectory) {
    TestWorld w;
    TestWorld::writeEntry(w.envA, "isdir", w.lib.string() + "\n");
    auto e = reg::find("isdir");
    ASSERT_TRUE(e);
    EXPECT_THAT(e->problem, HasSubstr("not a regular file"));
}

TEST(RegistryRefusal, WorldWritableDriverFile) {
    TestWorld w;
    auto so = w.fakeDriver();
    ::chmod(so.c_str(), 0757);
    TestWorld::writeEntry(w.envA, "ww", so.string() + "\n");
    auto e = reg::find("ww");
    ASSERT_TRUE(e);
    EXPECT_THAT(e->problem, HasSubstr("world-writable"));
    EXPECT_THAT(e->problem, HasSubstr("chmod o-w " + so.string()));
}

TEST(RegistryRefusal, WorldWritableDriverDirectory) {
    TestWorld w;
    auto so = w.fakeDriver();
    ::chmod(w.lib.c_str(), 0777);
    TestWorld::writeEntry(w.envA, "wwdir", so.string() + "\n");
    auto e = reg::find("wwdir");
    ASSERT_TRUE(e);
    EXPECT_THAT(e->problem, HasSubstr("directory " + w.lib.string()));
    EXPECT_THAT(e->problem, HasSubstr("world-writable"));
}

TEST(RegistryRefusal, WorldWritableEntryDirectoryAndKeyFile) {
    TestWorld w;
    auto so = w.fakeDriver();
    auto dir = TestWorld::writeEntry(w.envA, "wwentry", so.string() + "\n");
    ::chmod(dir.c_str(), 0777);
    auto e = reg::find("wwentry");
    ASSERT_TRUE(e);
    EXPECT_THAT(e->problem, HasSubstr("entry directory " + dir.string()));
    EXPECT_THAT(e->problem, HasSubstr("world-writable"));

    ::chmod(dir.c_str(), 0755);
    ::chmod((dir / "driver").c_str(), 0666);
    e = reg::find("wwentry");
    ASSERT_TRUE(e);
    EXPECT_THAT(e->problem, HasSubstr((dir / "driver").string() + " is world-writable"));

    ::chmod((dir / "driver").c_str(), 0644);
    e = reg::find("wwentry");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->problem, "");
}

TEST(RegistryRefusal, InvalidNamesOnDisk) {
    TestWorld w;
    auto so = w.fakeDriver();
    const std::string long32(32, 'x');
    TestWorld::writeEntry(w.envA, long32, so.string() + "\n");
    TestWorld::writeEntry(w.envA, "a..b", so.string() + "\n");
    TestWorld::writeEntry(w.envA, "tab\tname", so.string() + "\n");
    for (const auto& [name, why] : std::vector<std::pair<std::string, std::string>>{
             {long32, "32 bytes"}, {"a..b", "contains '..'"}, {"tab\tname", "control"}}) {
        auto e = reg::find(name);
        ASSERT_TRUE(e) << name;
        EXPECT_THAT(e->problem, HasSubstr(why)) << name;
        EXPECT_THAT(e->problem, HasSubstr("rename the directory")) << name;
    }
    // list() shows them too, with the problem set, so that `foldback list` can explain.
    auto listed = listInWorld(w);
    EXPECT_EQ(listed.size(), 3u);
    for (const auto& e : listed) EXPECT_NE(e.problem, "") << e.name;
}

TEST(RegistryRefusal, KeyFileThatIsNotARegularFileDoesNotHang) {
    TestWorld w;
    auto dir = w.makeDir("envA/fifo");
    ASSERT_EQ(::mkfifo((dir / "driver").c_str(), 0644), 0);
    ASSERT_EQ(::mkfifo((dir / "description").c_str(), 0644), 0);
    auto e = reg::find("fifo");  // would block forever on a plain open()
    ASSERT_TRUE(e);
    EXPECT_THAT(e->problem, HasSubstr((dir / "driver").string() + " is not a regular file"));
    EXPECT_EQ(e->description, "");
}

// ---- names ----------------------------------------------------------------------------

TEST(RegistryName, Rules) {
    EXPECT_EQ(reg::checkName("loopback"), "");
    EXPECT_EQ(reg::checkName("My Device #2"), "");
    EXPECT_EQ(reg::checkName(std::string(31, 'n')), "");
    EXPECT_THAT(reg::checkName(std::string(32, 'n')), HasSubstr("32 bytes"));
    EXPECT_THAT(reg::checkName(""), HasSubstr("empty"));
    EXPECT_THAT(reg::checkName("a/b"), HasSubstr("'/'"));
    EXPECT_THAT(reg::checkName(".hidden"), HasSubstr("starts with '.'"));
    EXPECT_THAT(reg::checkName(".."), HasSubstr("'.'"));
    EXPECT_THAT(reg::checkName("a..b"), HasSubstr("'..'"));
    EXPECT_THAT(reg::checkName("a\nb"), HasSubstr("0x0a"));
    EXPECT_THAT(reg::checkName("a\x7f"), HasSubstr("0x7f"));
    EXPECT_THAT(reg::checkName(std::string("a\0b", 3)), HasSubstr("0x00"));
    // Bytes, not characters: 'é' is two bytes in UTF-8.
    std::string e2;
    for (int i = 0; i < 15; ++i) e2 += "\xc3\xa9";
    EXPECT_EQ(reg::checkName(e2 + "a"), "");                        // 31 bytes
    EXPECT_THAT(reg::checkName(e2 + "\xc3\xa9"), HasSubstr("32"));  // 32 bytes
}

TEST(RegistryName, RegisterAcceptsExactly31BytesAndRefuses32) {
    TestWorld w;
    auto so = w.fakeDriver();
    const std::string n31(31, 'a'), n32(32, 'a');
    EXPECT_NO_THROW(reg::registerInstance(n31, so, "thirty-one"));
    auto e = reg::find(n31);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->problem, "");
    try {
        reg::registerInstance(n32, so, "thirty-two");
        FAIL() << "a 32-byte name was registered";
    } catch (const reg::Error& err) {
        EXPECT_THAT(err.what(), HasSubstr("32 bytes"));
        EXPECT_THAT(err.what(), HasSubstr("at most 31"));
    }
    EXPECT_FALSE(fs::exists(w.userRoot / n32));
}

TEST(RegistryName, RegisterRefusesUnsafeNames) {
    TestWorld w;
    auto so = w.fakeDriver();
    for (std::string bad : {"a/b", ".hidden", "..", "../escape", "x..y", "ctl\x01", ""}) {
        EXPECT_THROW(reg::registerInstance(bad, so, "bad"), reg::Error) << bad;
    }
    EXPECT_FALSE(fs::exists(w.xdg / "foldback" / "escape"));
    EXPECT_FALSE(fs::exists(w.userRoot / "a"));
}

// ---- register / unregister ------------------------------------------------------------

TEST(RegistryRegister, RoundTripInUserRoot) {
    TestWorld w;
    auto so = w.installFixture(FIXTURE_GOOD_SO, "good.so");
    // Registered through a symlinked directory and a relative path: stored as realpath.
    fs::create_directory_symlink(w.lib, w.base / "liblink");
    ASSERT_EQ(::chdir(w.base.c_str()), 0);
    auto dir = reg::registerInstance("dev", fs::path("liblink") / "good.so", "My device");
    ASSERT_EQ(::chdir("/"), 0);

    EXPECT_EQ(dir, w.userRoot / "dev");
    EXPECT_EQ(TestWorld::readFile(dir / "driver"), fs::canonical(so).string() + "\n");
    EXPECT_EQ(TestWorld::readFile(dir / "description"), "My device\n");
    std::set<std::string> files;
    for (const auto& f : fs::directory_iterator(dir)) files.insert(f.path().filename().string());
    EXPECT_EQ(files, (std::set<std::string>{"description", "driver"}));  // no temp files left
    struct stat st {};
    ASSERT_EQ(::stat(dir.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0755u);

    auto e = reg::find("dev");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->root, reg::RootKind::User);
    EXPECT_EQ(e->driverPath, fs::canonical(so).string());
    EXPECT_EQ(e->description, "My device");
    EXPECT_EQ(e->problem, "");

    try {
        reg::registerInstance("dev", so, "again");
        FAIL() << "registered twice";
    } catch (const reg::Error& err) {
        EXPECT_THAT(err.what(), HasSubstr("already registered"));
        EXPECT_THAT(err.what(), HasSubstr("foldback unregister dev"));
    }

    reg::unregisterInstance("dev");
    EXPECT_FALSE(fs::exists(dir));
    EXPECT_FALSE(reg::find("dev"));
    try {
        reg::unregisterInstance("dev");
        FAIL() << "unregistered twice";
    } catch (const reg::Error& err) {
        EXPECT_THAT(err.what(), HasSubstr("not registered"));
    }
}

TEST(RegistryRegister, AlwaysWritesADescription) {
    TestWorld w;
    auto so = w.fakeDriver("quiet.so");
    auto dir = reg::registerInstance("quiet", so, "");
    EXPECT_EQ(TestWorld::readFile(dir / "description"), "quiet (quiet.so)\n");
    // Line breaks and control characters cannot break the one-line format.
    auto dir2 = reg::registerInstance("multi", so, "first\nsecond\tthird\r");
    EXPECT_EQ(TestWorld::readFile(dir2 / "description"), "first second third\n");
}

TEST(RegistryRegister, RefusesDriversThatWouldBeRefusedWhenLoading) {
    TestWorld w;
    try {
        reg::registerInstance("nofile", w.lib / "missing.so", "x");
        FAIL();
    } catch (const reg::Error& err) {
        EXPECT_THAT(err.what(), HasSubstr("missing.so"));
        EXPECT_THAT(err.what(), HasSubstr("existing driver"));
    }
    EXPECT_THROW(reg::registerInstance("isdir", w.lib, "x"), reg::Error);
    auto so = w.fakeDriver();
    ::chmod(so.c_str(), 0777);
    try {
        reg::registerInstance("ww", so, "x");
        FAIL();
    } catch (const reg::Error& err) {
        EXPECT_THAT(err.what(), HasSubstr("chmod o-w"));
    }
    EXPECT_FALSE(fs::exists(w.userRoot / "nofile"));
    EXPECT_FALSE(fs::exists(w.userRoot / "ww"));
}

TEST(RegistryRegister, UnregisterKeepsForeignFilesButTheEntryIsGone) {
    TestWorld w;
    auto so = w.fakeDriver();
    auto dir = reg::registerInstance("dev", so, "d");
    TestWorld::writeFile(dir / "config.toml", "a = 1\n");
    TestWorld::writeFile(dir / "config", "a cwASIO key file\n");
    reg::unregisterInstance("dev");
    EXPECT_FALSE(fs::exists(dir / "driver"));
    EXPECT_FALSE(fs::exists(dir / "description"));
    EXPECT_FALSE(fs::exists(dir / "config.toml"));
    EXPECT_TRUE(fs::exists(dir / "config"));
    EXPECT_FALSE(reg::find("dev"));
}

TEST(RegistryRegister, UnregisterNamesTheRootThatHoldsTheEntry) {
    TestWorld w;
    auto so = w.fakeDriver();
    TestWorld::writeEntry(w.envA, "envonly", so.string() + "\n");
    try {
        reg::unregisterInstance("envonly");
        FAIL();
    } catch (const reg::Error& err) {
        EXPECT_THAT(err.what(), HasSubstr("FOLDBACK_DRIVER_PATH root"));
        EXPECT_THAT(err.what(), HasSubstr((w.envA / "envonly").string()));
    }
    EXPECT_TRUE(fs::exists(w.envA / "envonly" / "driver"));
    EXPECT_THROW(reg::unregisterInstance("../envA/envonly"), reg::Error);
    EXPECT_TRUE(fs::exists(w.envA / "envonly" / "driver"));
}

TEST(RegistryRegister, RegisterInAnOverlayDirectoryKeepsItsSettings) {
    TestWorld w;
    auto so = w.fakeDriver();
    TestWorld::writeFile(w.userRoot / "dev" / "config.toml", "[latency]\ninput_offset = 3\n");
    reg::registerInstance("dev", so, "d");
    auto e = reg::find("dev");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->root, reg::RootKind::User);
    EXPECT_EQ(parse(reg::readConfig("dev"))["latency"]["input_offset"].value<int64_t>(), 3);
}

// ---- settings and the overlay ---------------------------------------------------------

TEST(RegistryConfig, EmptyWhenNoSettingsExist) {
    TestWorld w;
    auto so = w.fakeDriver();
    TestWorld::writeEntry(w.envA, "dev", so.string() + "\n");
    EXPECT_EQ(reg::readConfig("dev"), "");
}

TEST(RegistryConfig, OverlayKeysMergeOverTheEntrysConfig) {
    TestWorld w;
    auto so = w.fakeDriver();
    auto dir = TestWorld::writeEntry(w.envA, "dev", so.string() + "\n");
    TestWorld::writeFile(dir / "config.toml",
                         "rate = 48000\n"
                         "[latency]\ninput_offset = 1\noutput_offset = 2\n"
                         "[device]\nname = \"hw:0\"\n[device.extra]\nkeep = true\nover = 1\n");
    TestWorld::writeFile(w.userRoot / "dev" / "config.toml",
                         "[latency]\ninput_offset = 10\n"
                         "[device.extra]\nover = 2\n"
                         "[mine]\nx = 7\n");
    auto t = parse(reg::readConfig("dev"));
    EXPECT_EQ(t["rate"].value<int64_t>(), 48000);
    EXPECT_EQ(t["latency"]["input_offset"].value<int64_t>(), 10);
    EXPECT_EQ(t["latency"]["output_offset"].value<int64_t>(), 2);
    EXPECT_EQ(t["device"]["name"].value<std::string>(), "hw:0");
    EXPECT_EQ(t["device"]["extra"]["keep"].value<bool>(), true);
    EXPECT_EQ(t["device"]["extra"]["over"].value<int64_t>(), 2);
    EXPECT_EQ(t["mine"]["x"].value<int64_t>(), 7);
    // The overlay directory is not an entry: resolution still finds the real one.
    auto e = reg::find("dev");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->dir, dir);
    EXPECT_EQ(names(listInWorld(w)), (std::vector<std::string>{"dev"}));
}

TEST(RegistryConfig, OverlayWithoutEntryIsNotAnInstance) {
    TestWorld w;
    TestWorld::writeFile(w.userRoot / "ghost" / "config.toml", "a = 1\n");
    EXPECT_FALSE(reg::find("ghost"));
    EXPECT_TRUE(listInWorld(w).empty());
    EXPECT_EQ(parse(reg::readConfig("ghost"))["a"].value<int64_t>(), 1);
    EXPECT_THROW(reg::configPathForWrite("ghost"), reg::Error);
}

TEST(RegistryConfig, SetConfigValueKeepsEveryOtherKey) {
    TestWorld w;
    auto so = w.fakeDriver();
    auto dir = TestWorld::writeEntry(w.envA, "dev", so.string() + "\n");
    TestWorld::writeFile(dir / "config.toml",
                         "rate = 48000\nname = \"x\"\n"
                         "[latency]\ninput_offset = 1\noutput_offset = 2\n"
                         "[device]\nchannels = [1, 2]\n");
    EXPECT_EQ(reg::configPathForWrite("dev"), dir / "config.toml");  // our own entry
    reg::setConfigValue("dev", "latency", "input_offset", 12);
    reg::setConfigValue("dev", "", "rate", 96000);
    reg::setConfigValue("dev", "new.nested", "k", -5);

    auto t = toml::parse_file((dir / "config.toml").string());
    EXPECT_EQ(t["latency"]["input_offset"].value<int64_t>(), 12);
    EXPECT_EQ(t["latency"]["output_offset"].value<int64_t>(), 2);
    EXPECT_EQ(t["rate"].value<int64_t>(), 96000);
    EXPECT_EQ(t["name"].value<std::string>(), "x");
    ASSERT_TRUE(t["device"]["channels"].is_array());
    EXPECT_EQ(t["device"]["channels"].as_array()->size(), 2u);
    EXPECT_EQ(t["new"]["nested"]["k"].value<int64_t>(), -5);
    EXPECT_FALSE(fs::exists(w.userRoot / "dev"));  // no overlay was needed
    for (const auto& f : fs::directory_iterator(dir))
        EXPECT_EQ(f.path().filename().string().rfind(".config.toml.tmp", 0), std::string::npos);
}

TEST(RegistryConfig, SetConfigValueCreatesTheFile) {
    TestWorld w;
    auto so = w.fakeDriver();
    auto dir = reg::registerInstance("fresh", so, "f");
    reg::setConfigValue("fresh", "latency", "output_offset", 7);
    auto t = toml::parse_file((dir / "config.toml").string());
    EXPECT_EQ(t["latency"]["output_offset"].value<int64_t>(), 7);
}

TEST(RegistryConfig, SetConfigValueRefusesToReplaceAValueWithATable) {
    TestWorld w;
    auto so = w.fakeDriver();
    auto dir = TestWorld::writeEntry(w.envA, "dev", so.string() + "\n");
    TestWorld::writeFile(dir / "config.toml", "latency = 3\n");
    try {
        reg::setConfigValue("dev", "latency", "input_offset", 1);
        FAIL();
    } catch (const reg::Error& err) {
        EXPECT_THAT(err.what(), HasSubstr("is a value, not a table"));
    }
    EXPECT_EQ(TestWorld::readFile(dir / "config.toml"), "latency = 3\n");
}

TEST(RegistryConfig, EntryNotOwnedByTheUserGetsSettingsInTheOverlay) {
    TestWorld w;
    auto so = w.fakeDriver();
    auto dir = TestWorld::writeEntry(w.envA, "sys", so.string() + "\n");
    const std::string defaults = "[latency]\ninput_offset = 1\noutput_offset = 2\n";
    TestWorld::writeFile(dir / "config.toml", defaults);
    // Make the entry someone else's: as root, give it to another user; otherwise take
    // away write permission.
    if (::geteuid() == 0) {
        ASSERT_EQ(::chown(dir.c_str(), 65534, 65534), 0);
        ASSERT_EQ(::chown((dir / "config.toml").c_str(), 65534, 65534), 0);
    } else {
        ::chmod(dir.c_str(), 0555);
    }
    auto path = reg::configPathForWrite("sys");
    EXPECT_EQ(path, w.userRoot / "sys" / "config.toml");
    EXPECT_TRUE(fs::is_directory(w.userRoot / "sys"));

    reg::setConfigValue("sys", "latency", "input_offset", 42);
    EXPECT_EQ(TestWorld::readFile(dir / "config.toml"), defaults);  // untouched
    auto t = parse(reg::readConfig("sys"));
    EXPECT_EQ(t["latency"]["input_offset"].value<int64_t>(), 42);
    EXPECT_EQ(t["latency"]["output_offset"].value<int64_t>(), 2);
    auto e = reg::find("sys");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->dir, dir);
}

TEST(RegistryConfig, BrokenTomlSaysWhereAndWhat) {
    TestWorld w;
    auto so = w.fakeDriver();
    auto dir = TestWorld::writeEntry(w.envA, "dev", so.string() + "\n");
    TestWorld::writeFile(dir / "config.toml", "ok = 1\n[latency\n");
    try {
        reg::readConfig("dev");
        FAIL();
    } catch (const reg::Error& err) {
        EXPECT_THAT(err.what(), HasSubstr((dir / "config.toml").string()));
        EXPECT_THAT(err.what(), HasSubstr("line 2"));
        EXPECT_THAT(err.what(), HasSubstr("delete it"));
    }
}

TEST(RegistryConfig, UnknownInstanceCannotBeWritten) {
    TestWorld w;
    try {
        reg::setConfigValue("nosuch", "latency", "input_offset", 1);
        FAIL();
    } catch (const reg::Error& err) {
        EXPECT_THAT(err.what(), HasSubstr("not found in any root"));
        EXPECT_THAT(err.what(), HasSubstr(w.envA.string()));
        EXPECT_THAT(err.what(), HasSubstr("foldback register nosuch"));
    }
    EXPECT_FALSE(fs::exists(w.userRoot / "nosuch"));
}
