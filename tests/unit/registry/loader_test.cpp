// The loader against real fixture drivers (fixtures/fixture_driver.c): success, the shared
// handle and its lifetime, and the exact kind of message for every failure.
#include <dlfcn.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstring>

#include "host/loader.hpp"
#include "test_env.hpp"

namespace host = foldback::host;
namespace reg = foldback::registry;
using foldback::test::TestWorld;
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

// Registers a copy of a fixture under name in the first FOLDBACK_DRIVER_PATH root.
fs::path addFixture(TestWorld& w, const std::string& name, const char* fixture,
                    const std::string& filename) {
    auto so = w.installFixture(fixture, filename);
    TestWorld::writeEntry(w.envA, name, so.string() + "\n", name + " fixture\n");
    return so;
}

std::string loadError(std::string_view name) {
    try {
        auto inst = host::loadInstance(name);
        inst.driver->lpVtbl->release(inst.driver);
    } catch (const host::LoadError& e) {
        return e.what();
    }
    return "(no error)";
}

bool isLoaded(const fs::path& so) {
    void* h = ::dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
    if (!h) return false;
    ::dlclose(h);
    return true;
}

// The fixture's own counters, read through a handle the test holds itself.
struct FixtureProbe {
    explicit FixtureProbe(const fs::path& so)
        : handle(::dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL)) {
        if (handle) {
            live = reinterpret_cast<int (*)()>(::dlsym(handle, "fixtureLiveInstances"));
            made = reinterpret_cast<int (*)()>(::dlsym(handle, "fixtureInstancesMade"));
        }
    }
    ~FixtureProbe() {
        if (handle) ::dlclose(handle);
    }
    void* handle;
    int (*live)() = nullptr;
    int (*made)() = nullptr;
};

}  // namespace

TEST(Loader, LoadsAnInstanceWithItsNameSet) {
    TestWorld w;
    addFixture(w, "good one", FIXTURE_GOOD_SO, "good.so");
    auto inst = host::loadInstance("good one");
    ASSERT_NE(inst.driver, nullptr);
    ASSERT_TRUE(inst.library);
    char name[32];
    std::memset(name, 0x55, sizeof name);
    inst.driver->lpVtbl->getDriverName(inst.driver, name);
    EXPECT_STREQ(name, "good one");
    EXPECT_EQ(inst.driver->lpVtbl->init(inst.driver, nullptr), ASIOTrue);
    EXPECT_EQ(inst.driver->lpVtbl->release(inst.driver), 0u);
}

TEST(Loader, OpenLibraryChecksEntryPointsAndFillsTheEntry) {
    TestWorld w;
    auto so = addFixture(w, "good", FIXTURE_GOOD_SO, "good.so");
    auto lib = host::openLibrary("good");
    ASSERT_TRUE(lib.handle);
    ASSERT_NE(lib.instantiate, nullptr);
    EXPECT_EQ(lib.entry.name, "good");
    EXPECT_EQ(lib.entry.driverPath, so.string());
    EXPECT_EQ(lib.entry.description, "good fixture");
}

TEST(Loader, SamePathSharesTheHandleAndDlcloseWaitsForTheLastHolder) {
    TestWorld w;
    auto so = addFixture(w, "first", FIXTURE_GOOD_SO, "shared.so");
    TestWorld::writeEntry(w.envA, "second", so.string() + "\n");  // multi-instance
    ASSERT_FALSE(isLoaded(so));

    auto a = host::openLibrary("first");
    auto b = host::openLibrary("second");
    EXPECT_EQ(a.handle.get(), b.handle.get());
    // One owner group, not two dlopen references.
    EXPECT_FALSE(a.handle.owner_before(b.handle) || b.handle.owner_before(a.handle));
    EXPECT_TRUE(isLoaded(so));

    auto inst = host::instantiate(b);
    a = {};
    b = {};
    EXPECT_TRUE(isLoaded(so)) << "the instance's holder must keep the library mapped";
    inst.driver->lpVtbl->release(inst.driver);
    inst.library.reset();
    EXPECT_FALSE(isLoaded(so)) << "dlclose must run when the last holder lets go";

    // And it opens again afterwards.
    auto again = host::loadInstance("first");
    EXPECT_TRUE(isLoaded(so));
    again.driver->lpVtbl->release(again.driver);
}

TEST(Loader, LegacyDriverWithoutTheNameSelectorIsAccepted) {
    TestWorld w;
    addFixture(w, "legacy", FIXTURE_LEGACY_SO, "legacy.so");
    auto inst = host::loadInstance("legacy");
    ASSERT_NE(inst.driver, nullptr);
    inst.driver->lpVtbl->release(inst.driver);
}

TEST(Loader, RefusedNameReleasesTheInstanceAndQuotesTheAnswer) {
    TestWorld w;
    auto so = addFixture(w, "refuser", FIXTURE_REFUSE_SO, "refuse.so");
    FixtureProbe probe(so);
    ASSERT_TRUE(probe.live && probe.made) << ::dlerror();
    auto msg = loadError("refuser");
    EXPECT_THAT(msg, HasSubstr("refused its instance name"));
    EXPECT_THAT(msg, HasSubstr("future(0x7F000001, \"refuser\")"));
    EXPECT_THAT(msg, HasSubstr("ASE_NotPresent (-1000)"));
    // cwASIO-built drivers accept only /etc/cwASIO names: the message says so.
    EXPECT_THAT(msg,
                HasSubstr("copy " + (w.envA / "refuser").string() + " to /etc/cwASIO/refuser"));
    EXPECT_EQ(probe.made(), 1);
    EXPECT_EQ(probe.live(), 0) << "the refused instance was not released";
}

TEST(Loader, NullInstance) {
    TestWorld w;
    addFixture(w, "null", FIXTURE_NULL_SO, "null.so");
    auto msg = loadError("null");
    EXPECT_THAT(msg, HasSubstr("returned no instance from instantiateDriver"));
}

TEST(Loader, MissingEntryPointIsNamed) {
    TestWorld w;
    auto so = addFixture(w, "noreg", FIXTURE_NOREGISTER_SO, "noregister.so");
    auto msg = loadError("noreg");
    EXPECT_THAT(msg, HasSubstr("does not export `registerDriver`"));
    EXPECT_THAT(msg, Not(HasSubstr("`instantiateDriver`")));
    EXPECT_THAT(msg, Not(HasSubstr("`unregisterDriver`")));
    EXPECT_THAT(msg, HasSubstr(so.string()));
    EXPECT_FALSE(isLoaded(so)) << "a refused library must be closed again";
}

TEST(Loader, DlopenFailureKeepsDlerrorText) {
    TestWorld w;
    auto so = addFixture(w, "unresolved", FIXTURE_UNRESOLVED_SO, "unresolved.so");
    auto msg = loadError("unresolved");
    EXPECT_THAT(msg, HasSubstr("cannot load the driver of 'unresolved'"));
    EXPECT_THAT(msg, HasSubstr("undefined symbol: foldback_fixture_missing_symbol"));
    EXPECT_THAT(msg, HasSubstr("ldd " + so.string()));
}

TEST(Loader, NotAnElfFile) {
    TestWorld w;
    auto so = w.fakeDriver("text.so");
    TestWorld::writeEntry(w.envA, "text", so.string() + "\n");
    auto msg = loadError("text");
    EXPECT_THAT(msg, HasSubstr("cannot load the driver of 'text'"));
    EXPECT_THAT(msg, HasSubstr(so.string() + ": "));  // glibc names the file, then the reason
}

TEST(Loader, UnknownNameListsTheRootsAndHowToRegister) {
    TestWorld w;
    auto msg = loadError("nosuch");
    EXPECT_THAT(msg, HasSubstr("instance 'nosuch' not found in any root ("));
    EXPECT_THAT(msg, HasSubstr(w.envA.string() + ", " + w.envB.string() + ", " +
                               w.userRoot.string() + ", /etc/foldback/drivers, /etc/cwASIO"));
    EXPECT_THAT(msg, HasSubstr("register it with `foldback register nosuch /abs/path/driver.so`"));
}

TEST(Loader, InvalidNamesAreRefusedBeforeAnyLookup) {
    TestWorld w;
    const std::string n32(32, 'x');
    addFixture(w, n32, FIXTURE_GOOD_SO, "long.so");
    EXPECT_THAT(loadError(n32), HasSubstr("32 bytes"));
    EXPECT_THAT(loadError("../envA/x"), HasSubstr("'/'"));
    EXPECT_THAT(loadError(""), HasSubstr("empty"));
    auto msg = loadError("bell\x07");
    EXPECT_THAT(msg, HasSubstr("'bell\\x07'"));  // shown escaped, never raw
    EXPECT_THAT(msg, HasSubstr("control character 0x07"));
}

TEST(Loader, UnsafeEntriesAreRefusedWithWhatToDo) {
    TestWorld w;
    TestWorld::writeEntry(w.envA, "relative", "lib/good.so\n");
    EXPECT_THAT(loadError("relative"), HasSubstr("is refused: the driver path 'lib/good.so' is "
                                                 "relative"));

    auto so = w.installFixture(FIXTURE_GOOD_SO, "good.so");
    TestWorld::writeEntry(w.envA, "dotdot", (w.lib / ".." / "lib" / "good.so").string() + "\n");
    EXPECT_THAT(loadError("dotdot"), HasSubstr("contains '..'"));

    TestWorld::writeEntry(w.envA, "ww", so.string() + "\n");
    ::chmod(so.c_str(), 0757);
    auto msg = loadError("ww");
    EXPECT_THAT(msg, HasSubstr("is refused"));
    EXPECT_THAT(msg, HasSubstr("world-writable"));
    EXPECT_THAT(msg, HasSubstr("chmod o-w " + so.string()));
    EXPECT_FALSE(isLoaded(so)) << "a refused entry must never be dlopened";

    ::chmod(so.c_str(), 0755);
    ::chmod(w.lib.c_str(), 0777);
    msg = loadError("ww");
    EXPECT_THAT(msg, HasSubstr("directory " + w.lib.string()));
    EXPECT_THAT(msg, HasSubstr("chmod o-w " + w.lib.string()));

    ::chmod(w.lib.c_str(), 0755);
    TestWorld::writeEntry(w.envA, "gone", (w.lib / "gone.so").string() + "\n");
    EXPECT_THAT(loadError("gone"), HasSubstr("No such file or directory"));

    // The same entry loads once the problem is fixed: the refusals are the only obstacle.
    auto inst = host::loadInstance("ww");
    inst.driver->lpVtbl->release(inst.driver);
}

TEST(Loader, OpenLibraryFileSharesTheHandleWithTheRegisteredPath) {
    TestWorld w;
    auto so = addFixture(w, "byname", FIXTURE_GOOD_SO, "byfile.so");
    auto byFile = host::openLibraryFile(so.string(), "byfile");
    EXPECT_EQ(byFile.entry.name, "byfile");
    EXPECT_EQ(byFile.entry.driverPath, so.string());
    auto byName = host::openLibrary("byname");
    EXPECT_EQ(byFile.handle.get(), byName.handle.get());
    auto inst = host::instantiate(byFile);
    char name[32] = {};
    inst.driver->lpVtbl->getDriverName(inst.driver, name);
    EXPECT_STREQ(name, "byfile");
    inst.driver->lpVtbl->release(inst.driver);

    auto refuser = w.installFixture(FIXTURE_REFUSE_SO, "refuse.so");
    auto lib = host::openLibraryFile(refuser.string(), "loose");
    try {
        host::instantiate(lib);
        FAIL();
    } catch (const host::LoadError& e) {
        EXPECT_THAT(e.what(), HasSubstr("ASE_NotPresent"));
        EXPECT_THAT(e.what(), HasSubstr("load it through a registered instance"));
    }
    EXPECT_THROW(host::openLibraryFile((w.lib / "none.so").string(), "none"), host::LoadError);
}
