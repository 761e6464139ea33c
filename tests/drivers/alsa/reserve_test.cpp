// org.freedesktop.ReserveDevice1 in the ALSA driver, on a real private session bus (a
// dbus-daemon per test, stopped by PID) with a real holder: a small D-Bus service written
// here with libdbus ("FakeServer") that owns org.freedesktop.ReserveDevice1.Audio7 the way
// a sound server does and answers RequestRelease as told (let go to a higher priority,
// refuse, or never answer). No kernel sound card exists here, so the instances name the
// reservation themselves ([alsa] reserve = "Audio7") and open userspace PCMs: `null`, or
// the JACK ioplug on a private jackd when the test streams.
#include <dbus/dbus.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "drivers/alsa/devices.hpp"
#include "drivers/alsa/reserve.hpp"
#include "support.hpp"

extern char** environ;

namespace at = foldback::alsatest;
namespace fa = foldback::alsa;

namespace {

constexpr const char* kName = "org.freedesktop.ReserveDevice1.Audio7";
constexpr const char* kPath = "/org/freedesktop/ReserveDevice1/Audio7";
constexpr const char* kIface = "org.freedesktop.ReserveDevice1";

// libdbus: threads on, and its process-wide allocations freed at exit (LeakSanitizer).
class DbusEnvironment : public ::testing::Environment {
  public:
    void SetUp() override { dbus_threads_init_default(); }
    void TearDown() override { dbus_shutdown(); }
};
[[maybe_unused]] auto* const gEnv = ::testing::AddGlobalTestEnvironment(new DbusEnvironment);

// A private session bus: dbus-daemon --session --nofork, by PID.
class BusDaemon {
  public:
    bool start() {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) != 0) return false;
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
        const char* argv[] = {"dbus-daemon", "--session", "--nofork", "--print-address=1", nullptr};
        const int r = posix_spawnp(&pid_, "dbus-daemon", &fa, nullptr,
                                   const_cast<char* const*>(argv), environ);
        posix_spawn_file_actions_destroy(&fa);
        ::close(fds[1]);
        if (r != 0) {
            ::close(fds[0]);
            pid_ = -1;
            return false;
        }
        std::string line;
        pollfd p{fds[0], POLLIN, 0};
        while (line.find('\n') == std::string::npos && poll(&p, 1, 5000) > 0) {
            char buf[256];
            const ssize_t n = ::read(fds[0], buf, sizeof buf);
            if (n <= 0) break;
            line.append(buf, static_cast<std::size_t>(n));
        }
        ::close(fds[0]);
        if (const auto nl = line.find('\n'); nl != std::string::npos) line.resize(nl);
        address_ = line;
        return !address_.empty();
    }
    void stop() {
        if (pid_ > 0) {
            kill(pid_, SIGTERM);
            int status = 0;
            waitpid(pid_, &status, 0);
        }
        pid_ = -1;
    }
    ~BusDaemon() { stop(); }
    const std::string& address() const { return address_; }

  private:
    pid_t pid_ = -1;
    std::string address_;
};

DBusConnection* connectTo(const std::string& address) {
    DBusError e;
    dbus_error_init(&e);
    DBusConnection* c = dbus_connection_open_private(address.c_str(), &e);
    if (c && !dbus_bus_register(c, &e)) {
        dbus_connection_close(c);
        dbus_connection_unref(c);
        c = nullptr;
    }
    dbus_error_free(&e);
    if (c) dbus_connection_set_exit_on_disconnect(c, FALSE);
    return c;
}

void disconnect(DBusConnection* c) {
    if (!c) return;
    dbus_connection_close(c);
    dbus_connection_unref(c);
}

// RequestName's reply, or -1.
int requestName(DBusConnection* c, const char* name, unsigned flags) {
    DBusError e;
    dbus_error_init(&e);
    const int r = dbus_bus_request_name(c, name, flags, &e);
    dbus_error_free(&e);
    return r;
}

// The other side of the protocol, as a sound server does it.
class FakeHolder {
  public:
    enum class Mode { Yield, Refuse, Silent };
    FakeHolder(const std::string& address, int priority, Mode mode,
               std::string appName = "FakeServer")
        : priority_(priority), mode_(mode), appName_(std::move(appName)), c_(connectTo(address)) {
        static const DBusObjectPathVTable vt = {
            nullptr, &FakeHolder::onMessage, nullptr, nullptr, nullptr, nullptr};
        if (c_) dbus_connection_register_object_path(c_, kPath, &vt, this);
    }
    ~FakeHolder() {
        stopServing();
        disconnect(c_);
    }
    bool connected() const { return c_ != nullptr; }
    // RequestName as the spec says: DO_NOT_QUEUE | ALLOW_REPLACEMENT.
    int acquire() {
        return requestName(c_, kName,
                           DBUS_NAME_FLAG_DO_NOT_QUEUE | DBUS_NAME_FLAG_ALLOW_REPLACEMENT);
    }
    void serve() {
        stop_ = false;
        thread_ = std::thread([this] {
            while (!stop_.load()) dbus_connection_read_write_dispatch(c_, 20);
        });
    }
    void stopServing() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
    }
    int asked() const { return asked_.load(); }
    int askedPriority() const { return askedPriority_.load(); }
    bool released() const { return released_.load(); }

  private:
    static DBusHandlerResult onMessage(DBusConnection* c, DBusMessage* m, void* data) {
        auto& self = *static_cast<FakeHolder*>(data);
        if (dbus_message_is_method_call(m, kIface, "RequestRelease")) {
            dbus_int32_t p = 0;
            dbus_message_get_args(m, nullptr, DBUS_TYPE_INT32, &p, DBUS_TYPE_INVALID);
            self.askedPriority_ = p;
            ++self.asked_;
            if (self.mode_ == Mode::Silent) return DBUS_HANDLER_RESULT_HANDLED;  // no answer
            dbus_bool_t yes = self.mode_ == Mode::Yield && p > self.priority_;
            if (yes) {
                // Let go of the device, then of the name, then say so (in this order).
                DBusMessage* rel =
                    dbus_message_new_method_call("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                 "org.freedesktop.DBus", "ReleaseName");
                const char* n = kName;
                dbus_message_append_args(rel, DBUS_TYPE_STRING, &n, DBUS_TYPE_INVALID);
                dbus_connection_send(c, rel, nullptr);
                dbus_message_unref(rel);
                self.released_ = true;
            }
            DBusMessage* r = dbus_message_new_method_return(m);
            dbus_message_append_args(r, DBUS_TYPE_BOOLEAN, &yes, DBUS_TYPE_INVALID);
            dbus_connection_send(c, r, nullptr);
            dbus_message_unref(r);
            return DBUS_HANDLER_RESULT_HANDLED;
        }
        if (dbus_message_is_method_call(m, DBUS_INTERFACE_PROPERTIES, "Get")) {
            const char* iface = nullptr;
            const char* prop = nullptr;
            dbus_message_get_args(m, nullptr, DBUS_TYPE_STRING, &iface, DBUS_TYPE_STRING, &prop,
                                  DBUS_TYPE_INVALID);
            DBusMessage* r = dbus_message_new_method_return(m);
            DBusMessageIter it, v;
            dbus_message_iter_init_append(r, &it);
            if (prop && std::strcmp(prop, "Priority") == 0) {
                const dbus_int32_t p = self.priority_;
                dbus_message_iter_open_container(&it, DBUS_TYPE_VARIANT, "i", &v);
                dbus_message_iter_append_basic(&v, DBUS_TYPE_INT32, &p);
            } else {
                const char* s = prop && std::strcmp(prop, "ApplicationName") == 0
                                    ? self.appName_.c_str()
                                    : "Fake card";
                dbus_message_iter_open_container(&it, DBUS_TYPE_VARIANT, "s", &v);
                dbus_message_iter_append_basic(&v, DBUS_TYPE_STRING, &s);
            }
            dbus_message_iter_close_container(&it, &v);
            dbus_connection_send(c, r, nullptr);
            dbus_message_unref(r);
            return DBUS_HANDLER_RESULT_HANDLED;
        }
        return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
    }

    int priority_;
    Mode mode_;
    std::string appName_;
    DBusConnection* c_;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::atomic<int> asked_{0}, askedPriority_{0};
    std::atomic<bool> released_{false};
};

// A plain client of the bus (not the code under test).
class Client {
  public:
    explicit Client(const std::string& address) : c_(connectTo(address)) {}
    ~Client() { disconnect(c_); }
    DBusConnection* get() const { return c_; }

    std::string owner(const char* name) {
        DBusMessage* m =
            dbus_message_new_method_call("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                         "org.freedesktop.DBus", "GetNameOwner");
        dbus_message_append_args(m, DBUS_TYPE_STRING, &name, DBUS_TYPE_INVALID);
        DBusMessage* r = callBlocking(m, 2000);
        std::string out;
        const char* s = nullptr;
        if (r && dbus_message_get_args(r, nullptr, DBUS_TYPE_STRING, &s, DBUS_TYPE_INVALID))
            out = s;
        if (r) dbus_message_unref(r);
        return out;
    }
    std::string stringProperty(const char* prop) {
        DBusMessage* m =
            dbus_message_new_method_call(kName, kPath, DBUS_INTERFACE_PROPERTIES, "Get");
        const char* iface = kIface;
        dbus_message_append_args(m, DBUS_TYPE_STRING, &iface, DBUS_TYPE_STRING, &prop,
                                 DBUS_TYPE_INVALID);
        DBusMessage* r = callBlocking(m, 2000);
        std::string out;
        DBusMessageIter it, v;
        if (r && dbus_message_iter_init(r, &it) &&
            dbus_message_iter_get_arg_type(&it) == DBUS_TYPE_VARIANT) {
            dbus_message_iter_recurse(&it, &v);
            if (dbus_message_iter_get_arg_type(&v) == DBUS_TYPE_STRING) {
                const char* s = nullptr;
                dbus_message_iter_get_basic(&v, &s);
                out = s;
            } else if (dbus_message_iter_get_arg_type(&v) == DBUS_TYPE_INT32) {
                dbus_int32_t i = 0;
                dbus_message_iter_get_basic(&v, &i);
                out = std::to_string(i);
            }
        }
        if (r) dbus_message_unref(r);
        return out;
    }
    // RequestRelease(priority) on the current holder: its answer, or nullopt (an error).
    std::optional<bool> requestRelease(int priority) {
        DBusMessage* m = dbus_message_new_method_call(kName, kPath, kIface, "RequestRelease");
        const dbus_int32_t p = priority;
        dbus_message_append_args(m, DBUS_TYPE_INT32, &p, DBUS_TYPE_INVALID);
        DBusMessage* r = callBlocking(m, 2000);
        std::optional<bool> out;
        dbus_bool_t b = FALSE;
        if (r && dbus_message_get_args(r, nullptr, DBUS_TYPE_BOOLEAN, &b, DBUS_TYPE_INVALID))
            out = b != FALSE;
        if (r) dbus_message_unref(r);
        return out;
    }
    // Subscribes to NameOwnerChanged for Audio7.
    void watch() {
        dbus_bus_add_match(c_,
                           "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop."
                           "DBus',member='NameOwnerChanged',arg0='org.freedesktop.ReserveDevice1."
                           "Audio7'",
                           nullptr);
        dbus_connection_flush(c_);
    }
    // Waits for NameOwnerChanged(Audio7, old, new) with new == `to`; true when seen.
    bool sawOwnerChange(const std::string& to, int timeoutMs) {
        const std::int64_t end = at::nowNs() + std::int64_t{timeoutMs} * 1'000'000;
        while (at::nowNs() < end) {
            dbus_connection_read_write(c_, 20);
            while (DBusMessage* m = dbus_connection_pop_message(c_)) {
                const char *name = nullptr, *from = nullptr, *now = nullptr;
                const bool match =
                    dbus_message_is_signal(m, "org.freedesktop.DBus", "NameOwnerChanged") &&
                    dbus_message_get_args(m, nullptr, DBUS_TYPE_STRING, &name, DBUS_TYPE_STRING,
                                          &from, DBUS_TYPE_STRING, &now, DBUS_TYPE_INVALID) &&
                    std::strcmp(name, kName) == 0 && to == now;
                dbus_message_unref(m);
                if (match) return true;
            }
        }
        return false;
    }

  private:
    DBusMessage* callBlocking(DBusMessage* m, int timeoutMs) {
        DBusError e;
        dbus_error_init(&e);
        DBusMessage* r = dbus_connection_send_with_reply_and_block(c_, m, timeoutMs, &e);
        dbus_message_unref(m);
        dbus_error_free(&e);
        return r;
    }
    DBusConnection* c_;
};

// Sets (or unsets) an environment variable for one test and restores it.
class ScopedEnv {
  public:
    ScopedEnv(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        if (value)
            setenv(name, value, 1);
        else
            unsetenv(name);
    }
    ~ScopedEnv() {
        if (old_)
            setenv(name_.c_str(), old_->c_str(), 1);
        else
            unsetenv(name_.c_str());
    }

  private:
    std::string name_;
    std::optional<std::string> old_;
};

// A private bus per test; DBUS_SESSION_BUS_ADDRESS points at it for the code under test.
class AlsaReserve : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_TRUE(bus_.start()) << "dbus-daemon --session did not start (package dbus)";
        env_.emplace("DBUS_SESSION_BUS_ADDRESS", bus_.address().c_str());
    }
    void TearDown() override {
        env_.reset();
        bus_.stop();
    }
    const std::string& address() const { return bus_.address(); }

    BusDaemon bus_;
    std::optional<ScopedEnv> env_;
};

// The same, with a private jackd for the instances that stream.
class AlsaReserveJack : public AlsaReserve {
  protected:
    void SetUp() override {
        if (!at::jackAvailable())
            GTEST_SKIP() << "no jackd, rig scripts or ALSA jack plugin (libasound2-plugins)";
        ASSERT_TRUE(at::startJack(64)) << "private jackd did not come up";
        AlsaReserve::SetUp();
    }
};

std::string nullInstance(const std::string& name, const std::string& extra = "") {
    return at::addInstance(name, "[alsa]\ndevice = \"null\"\nreserve = \"Audio7\"\n" + extra);
}

}  // namespace

// ---- names and the bus ---------------------------------------------------------------------

TEST(AlsaReserveNames, KernelCardPcmsMapToAudioN) {
    EXPECT_EQ(fa::reservationNameFor("hw:1,0"), "Audio1");
    EXPECT_EQ(fa::reservationNameFor("hw:3"), "Audio3");
    EXPECT_EQ(fa::reservationNameFor("plughw:2,1"), "Audio2");
    EXPECT_EQ(fa::reservationNameFor("hw:CARD=2,DEV=0"), "Audio2");
    EXPECT_EQ(fa::reservationNameFor("hw:CARD=NoSuchCard,DEV=0"), "");  // unknown id
    EXPECT_EQ(fa::reservationNameFor("fbt_jack_in"), "");
    EXPECT_EQ(fa::reservationNameFor("null"), "");
    EXPECT_EQ(fa::reservationNameFor("default"), "");
}

TEST(AlsaReserveNames, NoSessionBusIsNoReservation) {
    const std::string empty =
        (std::filesystem::temp_directory_path() / ("fb-nobus-" + std::to_string(getpid())))
            .string();
    std::filesystem::create_directories(empty);
    ScopedEnv a("DBUS_SESSION_BUS_ADDRESS", nullptr);
    ScopedEnv b("XDG_RUNTIME_DIR", empty.c_str());
    EXPECT_EQ(fa::sessionBusAddress(), "");
    fa::Reservation r;
    fa::ReserveRequest q;
    q.device = "Audio7";
    EXPECT_EQ(r.acquire(q).outcome, fa::ReserveResult::Outcome::NoBus);
    EXPECT_FALSE(r.held());
    EXPECT_EQ(fa::reservationHolder("Audio7"), "");
    // The instance opens as before (nothing to reserve with).
    nullInstance("alsa-reserve-nobus");
    at::Driver d("alsa-reserve-nobus");
    EXPECT_TRUE(d.init()) << d.errorMessage();
    std::filesystem::remove_all(empty);
}

// ---- the Reservation itself ----------------------------------------------------------------

TEST_F(AlsaReserve, FreeNameIsTakenServedAndGivenBack) {
    Client client(address());
    client.watch();
    fa::Reservation r;
    fa::ReserveRequest q{"Audio7", "Foldback (unit)", "hw:7,0", 10, 1000};
    const auto res = r.acquire(q);
    ASSERT_EQ(res.outcome, fa::ReserveResult::Outcome::Acquired) << res.text;
    EXPECT_TRUE(r.held());
    EXPECT_FALSE(client.owner(kName).empty());
    EXPECT_EQ(client.stringProperty("ApplicationName"), "Foldback (unit)");
    EXPECT_EQ(client.stringProperty("ApplicationDeviceName"), "hw:7,0");
    EXPECT_EQ(client.stringProperty("Priority"), "10");
    EXPECT_EQ(fa::reservationHolder("Audio7"), "Foldback (unit)");
    // Held = open: refused, even to the priority that always wins.
    EXPECT_EQ(client.requestRelease(INT32_MAX), std::optional<bool>(false));
    EXPECT_EQ(r.refusedRequests(), 1);
    r.release();
    EXPECT_FALSE(r.held());
    EXPECT_TRUE(client.sawOwnerChange("", 2000)) << "no NameOwnerChanged to nobody";
    EXPECT_EQ(fa::reservationHolder("Audio7"), "");
}

TEST_F(AlsaReserve, HolderWithHigherPriorityKeepsTheName) {
    FakeHolder holder(address(), 100, FakeHolder::Mode::Yield);
    ASSERT_EQ(holder.acquire(), DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER);
    holder.serve();
    fa::Reservation r;
    fa::ReserveRequest q{"Audio7", "Foldback (unit)", "hw:7,0", 10, 1000};
    const auto res = r.acquire(q);
    EXPECT_EQ(res.outcome, fa::ReserveResult::Outcome::Refused);
    EXPECT_EQ(res.holder, "FakeServer");
    EXPECT_EQ(holder.askedPriority(), 10);
    EXPECT_FALSE(holder.released());
    EXPECT_EQ(fa::reservationHolder("Audio7"), "FakeServer");
}

TEST_F(AlsaReserve, SoundServerHolderGetsItsWayOutWithinTheErrorMessage) {
    // The name PulseAudio gives itself; the text must fit getErrorMessage (123 characters,
    // "init: " in front).
    FakeHolder holder(address(), 0, FakeHolder::Mode::Refuse, "PulseAudio Sound Server");
    ASSERT_EQ(holder.acquire(), DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER);
    holder.serve();
    fa::Reservation r;
    fa::ReserveRequest q{"Audio7", "Foldback (unit)", "hw:7,0", 10, 1000};
    const auto res = r.acquire(q);
    EXPECT_EQ(res.outcome, fa::ReserveResult::Outcome::Refused);
    EXPECT_NE(res.text.find("PulseAudio Sound Server"), std::string::npos) << res.text;
    EXPECT_NE(res.text.find("profile to Off"), std::string::npos) << res.text;
    EXPECT_LE(res.text.size() + 6, 123u) << res.text;
    std::printf("refused: %s\n", res.text.c_str());
}

// ---- the driver ----------------------------------------------------------------------------

TEST_F(AlsaReserveJack, LowerPriorityHolderLetsGoAndTheInstanceStreams) {
    FakeHolder holder(address(), -20, FakeHolder::Mode::Yield);  // WirePlumber's priority
    ASSERT_EQ(holder.acquire(), DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER);
    holder.serve();
    Client client(address());
    client.watch();
    at::addInstance("alsa-reserve-yield",
                    "[alsa]\ncapture = \"fbt_jack_in\"\nplayback = \"fbt_jack_out\"\n"
                    "buffer_size = 64\nreserve = \"Audio7\"\n");
    {
        at::Driver d("alsa-reserve-yield");
        ASSERT_TRUE(d.init()) << d.errorMessage();
        EXPECT_EQ(holder.asked(), 1);
        EXPECT_EQ(holder.askedPriority(), 10);  // the default reserve_priority
        EXPECT_TRUE(holder.released());
        EXPECT_EQ(client.stringProperty("ApplicationName"), "Foldback (alsa-reserve-yield)");
        EXPECT_EQ(client.stringProperty("ApplicationDeviceName"), "fbt_jack_in / fbt_jack_out");
        at::Host host;
        ASSERT_EQ(host.createBuffers(d), ASE_OK) << d.errorMessage();
        ASSERT_EQ(d.v().start(d.get()), ASE_OK) << d.errorMessage();
        EXPECT_TRUE(host.waitSwitches(50, 5000)) << host.switches() << " switches";
        // While it streams, a request to release is refused, whatever the priority.
        EXPECT_EQ(client.requestRelease(1000), std::optional<bool>(false));
        EXPECT_EQ(holder.acquire(), DBUS_REQUEST_NAME_REPLY_EXISTS);
        EXPECT_TRUE(host.waitSwitches(host.switches() + 20, 5000));
        EXPECT_EQ(d.v().stop(d.get()), ASE_OK);
        EXPECT_EQ(d.v().disposeBuffers(d.get()), ASE_OK);
        client.sawOwnerChange("(drain)", 200);  // drop the changes so far (the holder's)
    }
    // Closed: the name goes back to the bus, and the sound server can take the card again.
    EXPECT_TRUE(client.sawOwnerChange("", 3000)) << "no NameOwnerChanged to nobody on close";
    EXPECT_EQ(holder.acquire(), DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER);
}

TEST_F(AlsaReserve, RefusingHolderFailsInitWithItsNameAndTheWayOut) {
    FakeHolder holder(address(), -20, FakeHolder::Mode::Refuse);
    ASSERT_EQ(holder.acquire(), DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER);
    holder.serve();
    nullInstance("alsa-reserve-refused");
    at::Driver d("alsa-reserve-refused");
    EXPECT_FALSE(d.init());
    const std::string m = d.errorMessage();
    EXPECT_NE(m.find("FakeServer"), std::string::npos) << m;
    EXPECT_NE(m.find("refused"), std::string::npos) << m;
    EXPECT_NE(m.find("quit it"), std::string::npos) << m;
    std::printf("init: %s\n", m.c_str());
    EXPECT_EQ(holder.asked(), 1);
    Client client(address());
    EXPECT_EQ(client.stringProperty("ApplicationName"), "FakeServer");  // still its
}

TEST_F(AlsaReserve, HolderThatNeverAnswersFailsWithinTheTimeout) {
    FakeHolder holder(address(), -20, FakeHolder::Mode::Silent);
    ASSERT_EQ(holder.acquire(), DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER);
    holder.serve();
    nullInstance("alsa-reserve-silent", "reserve_timeout_ms = 300\n");
    at::Driver d("alsa-reserve-silent");
    const std::int64_t t0 = at::nowNs();
    EXPECT_FALSE(d.init());
    const double ms = static_cast<double>(at::nowNs() - t0) / 1e6;
    EXPECT_LT(ms, 2000) << "init took " << ms << " ms";
    EXPECT_GE(ms, 250);
    const std::string m = d.errorMessage();
    EXPECT_NE(m.find("FakeServer"), std::string::npos) << m;
    EXPECT_NE(m.find("did not answer in 300 ms; quit it"), std::string::npos) << m;
    std::printf("init after %.0f ms: %s\n", ms, m.c_str());
}

TEST_F(AlsaReserve, OffIgnoresTheReservation) {
    FakeHolder holder(address(), -20, FakeHolder::Mode::Refuse);
    ASSERT_EQ(holder.acquire(), DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER);
    holder.serve();
    at::addInstance("alsa-reserve-off", "[alsa]\ndevice = \"null\"\nreserve = \"off\"\n");
    at::Driver d("alsa-reserve-off");
    EXPECT_TRUE(d.init()) << d.errorMessage();
    EXPECT_EQ(holder.asked(), 0);
    // auto on a PCM that is no kernel card: nothing to reserve either.
    at::addInstance("alsa-reserve-auto", "[alsa]\ndevice = \"null\"\n");
    at::Driver a("alsa-reserve-auto");
    EXPECT_TRUE(a.init()) << a.errorMessage();
    EXPECT_EQ(holder.asked(), 0);
}

TEST_F(AlsaReserve, HigherPriorityConfiguredWinsAndFailedOpenGivesTheNameBack) {
    // reserve_priority above the holder's: it lets go. The PCM then fails to open (no
    // card 9): the name goes back at once.
    FakeHolder holder(address(), 50, FakeHolder::Mode::Yield);
    ASSERT_EQ(holder.acquire(), DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER);
    holder.serve();
    at::addInstance("alsa-reserve-prio",
                    "[alsa]\ndevice = \"hw:9,0\"\nreserve = \"Audio7\"\nreserve_priority = 51\n");
    at::Driver d("alsa-reserve-prio");
    EXPECT_FALSE(d.init());
    EXPECT_NE(d.errorMessage().find("hw:9,0"), std::string::npos) << d.errorMessage();
    EXPECT_EQ(holder.askedPriority(), 51);
    EXPECT_TRUE(holder.released());
    EXPECT_EQ(holder.acquire(), DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER);
}

TEST_F(AlsaReserve, BadReserveSettingNamesTheKey) {
    at::addInstance("alsa-reserve-bad", "[alsa]\ndevice = \"null\"\nreserve = \"7card\"\n");
    at::Driver d("alsa-reserve-bad");
    EXPECT_FALSE(d.init());
    EXPECT_NE(d.errorMessage().find("[alsa] reserve"), std::string::npos) << d.errorMessage();
}
