// The SDK-style C API: no driver loaded, load failures, init failures, and ASIOExit.
#include <gtest/gtest.h>

#include <cstring>

#include "foldback/compat/asiodrivers.h"
#include "foldback/sdk.h"
#include "sandbox.hpp"

namespace {

TEST(SdkApi, WithoutADriverEveryCallSaysNotPresent) {
    ASIOUnloadDriver();
    long a = 7, b = 7;
    EXPECT_EQ(ASIOGetChannels(&a, &b), ASE_NotPresent);
    EXPECT_EQ(a, 0);
    EXPECT_EQ(b, 0);
    ASIOChannelInfo info{};
    EXPECT_EQ(ASIOGetChannelInfo(&info), ASE_NotPresent);
    EXPECT_STREQ(info.name, "None");
    EXPECT_EQ(info.channelGroup, -1);
    ASIOBufferInfo bi{ASIOTrue, 0, {reinterpret_cast<void*>(1), reinterpret_cast<void*>(1)}};
    EXPECT_EQ(ASIOCreateBuffers(&bi, 1, 64, nullptr), ASE_NotPresent);
    EXPECT_EQ(bi.buffers[0], nullptr);
    EXPECT_EQ(ASIOStart(), ASE_NotPresent);
    EXPECT_EQ(ASIOOutputReady(), ASE_NotPresent);
    EXPECT_EQ(ASIOExit(), ASE_OK);
}

TEST(SdkApi, LoadFailureKeepsTheReason) {
    Sandbox box;
    EXPECT_EQ(ASIOLoadDriver("nothing-here"), ASE_NotPresent);
    EXPECT_NE(std::string(ASIOLastLoadError()).find("not found"), std::string::npos)
        << ASIOLastLoadError();
    ASIODriverInfo info{};
    EXPECT_EQ(ASIOInit(&info), ASE_NotPresent);
    EXPECT_STREQ(info.name, "No ASIO Driver");
}

TEST(SdkApi, InitFailureFillsTheErrorMessageAndUnloads) {
    Sandbox box;
    box.add("broken", "[loopback]\nrate = 12345\n");
    ASSERT_EQ(ASIOLoadDriver("broken"), ASE_OK);
    ASIODriverInfo info{};
    std::memset(info.errorMessage, 'x', sizeof info.errorMessage);
    EXPECT_EQ(ASIOInit(&info), ASE_NotPresent);
    EXPECT_NE(std::string(info.errorMessage).find("12345"), std::string::npos) << info.errorMessage;
    EXPECT_LT(std::strlen(info.errorMessage), sizeof info.errorMessage);
    long a = 0, b = 0;
    EXPECT_EQ(ASIOGetChannels(&a, &b), ASE_NotPresent) << "the failed driver was unloaded";
}

TEST(SdkApi, DriverListAndExitDisposeAndRelease) {
    Sandbox box;
    box.add("one");
    box.add("two");
    AsioDrivers drivers;
    char a[32], b[32], c[32];
    char* names[] = {a, b, c};
    EXPECT_GE(drivers.getDriverNames(names, 3), 2);
    char name[] = "two";
    ASSERT_TRUE(loadAsioDriver(name));
    ASIODriverInfo info{};
    ASSERT_EQ(ASIOInit(&info), ASE_OK);
    EXPECT_STREQ(info.name, "two");
    EXPECT_EQ(info.asioVersion, 2);
    ASIOBufferInfo bi{ASIOFalse, 0, {nullptr, nullptr}};
    static long switches = 0;
    ASIOCallbacks cb{[](long, ASIOBool) { ++switches; }, nullptr, nullptr, nullptr};
    ASSERT_EQ(ASIOCreateBuffers(&bi, 1, 64, &cb), ASE_OK);
    ASSERT_EQ(ASIOStart(), ASE_OK);
    // ASIOExit while running: stops, disposes and releases (the SDK glue's is a no-op).
    EXPECT_EQ(ASIOExit(), ASE_OK);
    const long n = switches;
    EXPECT_EQ(ASIOStart(), ASE_NotPresent);
    EXPECT_EQ(switches, n);
}

}  // namespace
