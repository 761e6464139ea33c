#include "drivers/alsa/reserve.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>

#include "drivers/alsa/devices.hpp"
#include "kit/error.hpp"

#ifdef FOLDBACK_ALSA_DBUS
#include <dbus/dbus.h>
#endif

namespace foldback::alsa {

std::string sessionBusAddress() {
    if (const char* a = std::getenv("DBUS_SESSION_BUS_ADDRESS"); a && *a) return a;
    // No variable: the systemd user bus where it exists. Never "autolaunch:", which would
    // start a bus daemon for us.
    if (const char* run = std::getenv("XDG_RUNTIME_DIR"); run && *run) {
        const std::string path = std::string(run) + "/bus";
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) return "unix:path=" + path;
    }
    return "";
}

std::string reservationNameFor(const std::string& pcmName) {
    const int card = pcmCard(pcmName);
    return card < 0 ? "" : fmt::format("Audio{}", card);
}

#ifdef FOLDBACK_ALSA_DBUS

namespace {

constexpr const char* kInterface = "org.freedesktop.ReserveDevice1";
constexpr const char* kServicePrefix = "org.freedesktop.ReserveDevice1.";
constexpr const char* kPathPrefix = "/org/freedesktop/ReserveDevice1/";
constexpr const char* kProperties = "org.freedesktop.DBus.Properties";

void initThreads() {
    static const bool once = [] { return dbus_threads_init_default() != 0; }();
    (void)once;
}

// A DBusError freed on scope exit.
struct Err {
    DBusError e;
    Err() { dbus_error_init(&e); }
    ~Err() { dbus_error_free(&e); }
    Err(const Err&) = delete;
    Err& operator=(const Err&) = delete;
    bool set() const { return dbus_error_is_set(&e) != 0; }
    std::string name() const { return e.name ? e.name : ""; }
    std::string text() const { return e.message ? e.message : (e.name ? e.name : "error"); }
};

struct MsgDel {
    void operator()(DBusMessage* m) const noexcept {
        if (m) dbus_message_unref(m);
    }
};
using Msg = std::unique_ptr<DBusMessage, MsgDel>;

// A private connection to the session bus: never shared with anything else in the process
// (a host may use libdbus itself), closed by us.
struct ConnDel {
    void operator()(DBusConnection* c) const noexcept {
        if (!c) return;
        dbus_connection_close(c);
        dbus_connection_unref(c);
    }
};
using Conn = std::unique_ptr<DBusConnection, ConnDel>;

Conn connect(std::string* why) {
    const std::string address = sessionBusAddress();
    if (address.empty()) return nullptr;
    initThreads();
    Err err;
    Conn c(dbus_connection_open_private(address.c_str(), &err.e));
    if (!c) {
        if (why) *why = err.text();
        return nullptr;
    }
    dbus_connection_set_exit_on_disconnect(c.get(), FALSE);
    if (!dbus_bus_register(c.get(), &err.e)) {
        if (why) *why = err.text();
        return nullptr;
    }
    return c;
}

// A blocking call; null with `err` set on an error reply, a timeout or no reply.
Msg call(DBusConnection* c, DBusMessage* m, int timeoutMs, Err& err) {
    if (!m) return nullptr;
    Msg owned(m);
    return Msg(dbus_connection_send_with_reply_and_block(c, m, timeoutMs, &err.e));
}

DBusMessage* busMethod(const char* member) {
    return dbus_message_new_method_call("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                        "org.freedesktop.DBus", member);
}

// RequestName's reply (DBUS_REQUEST_NAME_REPLY_*), or -1 with `err` set.
int requestName(DBusConnection* c, const std::string& name, std::uint32_t flags, int timeoutMs,
                Err& err) {
    DBusMessage* m = busMethod("RequestName");
    const char* n = name.c_str();
    if (m)
        dbus_message_append_args(m, DBUS_TYPE_STRING, &n, DBUS_TYPE_UINT32, &flags,
                                 DBUS_TYPE_INVALID);
    Msg reply = call(c, m, timeoutMs, err);
    if (!reply) return -1;
    std::uint32_t result = 0;
    if (!dbus_message_get_args(reply.get(), &err.e, DBUS_TYPE_UINT32, &result, DBUS_TYPE_INVALID))
        return -1;
    return static_cast<int>(result);
}

std::string nameOwner(DBusConnection* c, const std::string& name, int timeoutMs) {
    Err err;
    DBusMessage* m = busMethod("GetNameOwner");
    const char* n = name.c_str();
    if (m) dbus_message_append_args(m, DBUS_TYPE_STRING, &n, DBUS_TYPE_INVALID);
    Msg reply = call(c, m, timeoutMs, err);
    const char* owner = nullptr;
    if (!reply ||
        !dbus_message_get_args(reply.get(), &err.e, DBUS_TYPE_STRING, &owner, DBUS_TYPE_INVALID))
        return "";
    return owner ? owner : "";
}

// "pid N (comm)" of the connection that owns `name`, or "".
std::string ownerProcess(DBusConnection* c, const std::string& name, int timeoutMs) {
    Err err;
    DBusMessage* m = busMethod("GetConnectionUnixProcessID");
    const char* n = name.c_str();
    if (m) dbus_message_append_args(m, DBUS_TYPE_STRING, &n, DBUS_TYPE_INVALID);
    Msg reply = call(c, m, timeoutMs, err);
    std::uint32_t pid = 0;
    if (!reply ||
        !dbus_message_get_args(reply.get(), &err.e, DBUS_TYPE_UINT32, &pid, DBUS_TYPE_INVALID) ||
        pid == 0)
        return "";
    std::ifstream comm(fmt::format("/proc/{}/comm", pid));
    std::string command;
    std::getline(comm, command);
    return command.empty() ? fmt::format("pid {}", pid) : fmt::format("{} (pid {})", command, pid);
}

// The holder's ApplicationName (Properties.Get); else its process; else "".
std::string holderName(DBusConnection* c, const std::string& device, int timeoutMs) {
    const std::string service = kServicePrefix + device;
    const std::string path = kPathPrefix + device;
    Err err;
    DBusMessage* m =
        dbus_message_new_method_call(service.c_str(), path.c_str(), kProperties, "Get");
    const char* iface = kInterface;
    const char* prop = "ApplicationName";
    if (m)
        dbus_message_append_args(m, DBUS_TYPE_STRING, &iface, DBUS_TYPE_STRING, &prop,
                                 DBUS_TYPE_INVALID);
    if (Msg reply = call(c, m, timeoutMs, err)) {
        DBusMessageIter it, v;
        if (dbus_message_iter_init(reply.get(), &it) &&
            dbus_message_iter_get_arg_type(&it) == DBUS_TYPE_VARIANT) {
            dbus_message_iter_recurse(&it, &v);
            if (dbus_message_iter_get_arg_type(&v) == DBUS_TYPE_STRING) {
                const char* s = nullptr;
                dbus_message_iter_get_basic(&v, &s);
                if (s && *s) return s;
            }
        }
    }
    return ownerProcess(c, service, timeoutMs);
}

// How to make a holder let go, by what it calls itself.
std::string howToFree(const std::string& app) {
    std::string lower = app;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    if (lower.find("pulseaudio") != std::string::npos ||
        lower.find("pipewire") != std::string::npos ||
        lower.find("wireplumber") != std::string::npos)
        return "set the card's profile to Off (pavucontrol)";
    if (lower.find("jack") != std::string::npos) return "stop JACK or use the JACK driver";
    return "quit it and try again";
}

}  // namespace

struct Reservation::State {
    Conn conn;
    std::string device, service, path;
    std::string appName, appDeviceName;
    int priority = 0;
    std::thread serve;
    std::atomic<bool> stop{false};
    std::atomic<bool> held{false};
    std::atomic<bool> lost{false};
    std::atomic<long> refused{0};
    bool registered = false;
    bool filtering = false;
};

namespace {

void appendVariant(DBusMessageIter* it, int type, const void* value) {
    const char sig[2] = {static_cast<char>(type), '\0'};
    DBusMessageIter v;
    dbus_message_iter_open_container(it, DBUS_TYPE_VARIANT, sig, &v);
    dbus_message_iter_append_basic(&v, type, value);
    dbus_message_iter_close_container(it, &v);
}

// Appends property `name` as a variant; false when there is no such property.
bool appendProperty(DBusMessageIter* it, const Reservation::State& s, const std::string& name);

DBusHandlerResult reply(DBusConnection* c, DBusMessage* r) {
    if (!r) return DBUS_HANDLER_RESULT_NEED_MEMORY;
    dbus_connection_send(c, r, nullptr);
    dbus_message_unref(r);
    return DBUS_HANDLER_RESULT_HANDLED;
}

const char* const kIntrospection =
    "<!DOCTYPE node PUBLIC \"-//freedesktop//DTD D-BUS Object Introspection 1.0//EN\"\n"
    " \"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd\">\n"
    "<node>\n"
    " <interface name=\"org.freedesktop.ReserveDevice1\">\n"
    "  <method name=\"RequestRelease\">\n"
    "   <arg name=\"priority\" type=\"i\" direction=\"in\"/>\n"
    "   <arg name=\"result\" type=\"b\" direction=\"out\"/>\n"
    "  </method>\n"
    "  <property name=\"Priority\" type=\"i\" access=\"read\"/>\n"
    "  <property name=\"ApplicationName\" type=\"s\" access=\"read\"/>\n"
    "  <property name=\"ApplicationDeviceName\" type=\"s\" access=\"read\"/>\n"
    " </interface>\n"
    " <interface name=\"org.freedesktop.DBus.Properties\">\n"
    "  <method name=\"Get\"><arg name=\"interface\" direction=\"in\" type=\"s\"/>"
    "<arg name=\"property\" direction=\"in\" type=\"s\"/>"
    "<arg name=\"value\" direction=\"out\" type=\"v\"/></method>\n"
    "  <method name=\"GetAll\"><arg name=\"interface\" direction=\"in\" type=\"s\"/>"
    "<arg name=\"props\" direction=\"out\" type=\"a{sv}\"/></method>\n"
    " </interface>\n"
    " <interface name=\"org.freedesktop.DBus.Introspectable\">\n"
    "  <method name=\"Introspect\"><arg name=\"data\" type=\"s\" direction=\"out\"/></method>\n"
    " </interface>\n"
    "</node>\n";

// Calls to our object, on the serving thread.
DBusHandlerResult onMessage(DBusConnection* c, DBusMessage* m, void* data) {
    auto& s = *static_cast<Reservation::State*>(data);
    if (dbus_message_is_method_call(m, kInterface, "RequestRelease")) {
        dbus_int32_t priority = 0;
        Err err;
        if (!dbus_message_get_args(m, &err.e, DBUS_TYPE_INT32, &priority, DBUS_TYPE_INVALID))
            return reply(c, dbus_message_new_error(m, DBUS_ERROR_INVALID_ARGS, err.text().c_str()));
        // Policy: the device is open (we hold the name only from open to close), and a DAW
        // in the middle of a take must not lose it, whatever the asker's priority.
        s.refused.fetch_add(1, std::memory_order_relaxed);
        const dbus_bool_t no = FALSE;
        DBusMessage* r = dbus_message_new_method_return(m);
        if (r) dbus_message_append_args(r, DBUS_TYPE_BOOLEAN, &no, DBUS_TYPE_INVALID);
        return reply(c, r);
    }
    if (dbus_message_is_method_call(m, kProperties, "Get")) {
        const char* iface = nullptr;
        const char* prop = nullptr;
        Err err;
        if (!dbus_message_get_args(m, &err.e, DBUS_TYPE_STRING, &iface, DBUS_TYPE_STRING, &prop,
                                   DBUS_TYPE_INVALID))
            return reply(c, dbus_message_new_error(m, DBUS_ERROR_INVALID_ARGS, err.text().c_str()));
        DBusMessage* r = dbus_message_new_method_return(m);
        if (!r) return DBUS_HANDLER_RESULT_NEED_MEMORY;
        DBusMessageIter it;
        dbus_message_iter_init_append(r, &it);
        if ((*iface && std::strcmp(iface, kInterface) != 0) || !appendProperty(&it, s, prop)) {
            dbus_message_unref(r);
            return reply(c, dbus_message_new_error_printf(m, DBUS_ERROR_UNKNOWN_PROPERTY,
                                                          "no property %s.%s", iface, prop));
        }
        return reply(c, r);
    }
    if (dbus_message_is_method_call(m, kProperties, "GetAll")) {
        const char* iface = nullptr;
        Err err;
        if (!dbus_message_get_args(m, &err.e, DBUS_TYPE_STRING, &iface, DBUS_TYPE_INVALID))
            return reply(c, dbus_message_new_error(m, DBUS_ERROR_INVALID_ARGS, err.text().c_str()));
        DBusMessage* r = dbus_message_new_method_return(m);
        if (!r) return DBUS_HANDLER_RESULT_NEED_MEMORY;
        DBusMessageIter it, dict;
        dbus_message_iter_init_append(r, &it);
        dbus_message_iter_open_container(&it, DBUS_TYPE_ARRAY, "{sv}", &dict);
        if (!*iface || std::strcmp(iface, kInterface) == 0)
            for (const char* name : {"Priority", "ApplicationName", "ApplicationDeviceName"}) {
                DBusMessageIter entry;
                dbus_message_iter_open_container(&dict, DBUS_TYPE_DICT_ENTRY, nullptr, &entry);
                dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &name);
                appendProperty(&entry, s, name);
                dbus_message_iter_close_container(&dict, &entry);
            }
        dbus_message_iter_close_container(&it, &dict);
        return reply(c, r);
    }
    if (dbus_message_is_method_call(m, DBUS_INTERFACE_PROPERTIES, "Set"))
        return reply(c, dbus_message_new_error(m, DBUS_ERROR_PROPERTY_READ_ONLY,
                                               "the reservation's properties are read-only"));
    if (dbus_message_is_method_call(m, "org.freedesktop.DBus.Introspectable", "Introspect")) {
        DBusMessage* r = dbus_message_new_method_return(m);
        if (r) dbus_message_append_args(r, DBUS_TYPE_STRING, &kIntrospection, DBUS_TYPE_INVALID);
        return reply(c, r);
    }
    return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
}

bool appendProperty(DBusMessageIter* it, const Reservation::State& s, const std::string& name) {
    if (name == "Priority") {
        const dbus_int32_t p = s.priority;
        appendVariant(it, DBUS_TYPE_INT32, &p);
    } else if (name == "ApplicationName") {
        const char* v = s.appName.c_str();
        appendVariant(it, DBUS_TYPE_STRING, &v);
    } else if (name == "ApplicationDeviceName") {
        const char* v = s.appDeviceName.c_str();
        appendVariant(it, DBUS_TYPE_STRING, &v);
    } else {
        return false;
    }
    return true;
}

// NameLost for our name: someone took it by force (REPLACE_EXISTING without asking).
DBusHandlerResult onSignal(DBusConnection*, DBusMessage* m, void* data) {
    auto& s = *static_cast<Reservation::State*>(data);
    if (dbus_message_is_signal(m, "org.freedesktop.DBus", "NameLost")) {
        const char* name = nullptr;
        Err err;
        if (dbus_message_get_args(m, &err.e, DBUS_TYPE_STRING, &name, DBUS_TYPE_INVALID) && name &&
            s.service == name)
            s.lost.store(true, std::memory_order_release);
    }
    return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
}

void unregisterHandlers(Reservation::State& s) {
    if (!s.conn) return;
    if (s.registered) dbus_connection_unregister_object_path(s.conn.get(), s.path.c_str());
    if (s.filtering) dbus_connection_remove_filter(s.conn.get(), &onSignal, &s);
    s.registered = s.filtering = false;
}

}  // namespace

Reservation::Reservation() : s_(std::make_unique<State>()) {}

Reservation::~Reservation() {
    release();
}

bool Reservation::held() const noexcept {
    return s_->held.load(std::memory_order_acquire);
}
const std::string& Reservation::device() const noexcept {
    return s_->device;
}
long Reservation::refusedRequests() const noexcept {
    return s_->refused.load(std::memory_order_relaxed);
}
bool Reservation::lostName() const noexcept {
    return s_->lost.load(std::memory_order_acquire);
}

ReserveResult Reservation::acquire(const ReserveRequest& q) {
    release();
    ReserveResult out;
    State& s = *s_;
    s.device = q.device;
    s.service = kServicePrefix + q.device;
    s.path = kPathPrefix + q.device;
    s.appName = q.appName;
    s.appDeviceName = q.appDeviceName;
    s.priority = q.priority;
    s.lost = false;
    s.refused = 0;
    std::string why;
    s.conn = connect(&why);
    if (!s.conn) {
        out.outcome = ReserveResult::Outcome::NoBus;
        out.text = why;
        return out;
    }
    DBusConnection* c = s.conn.get();
    // Serve the object before owning the name: a RequestRelease may come at once.
    static const DBusObjectPathVTable vtable = {nullptr, &onMessage, nullptr,
                                                nullptr, nullptr,    nullptr};
    s.registered = dbus_connection_register_object_path(c, s.path.c_str(), &vtable, &s) != 0;
    s.filtering = dbus_connection_add_filter(c, &onSignal, &s, nullptr) != 0;

    const std::uint32_t replace = q.priority < INT32_MAX ? DBUS_NAME_FLAG_ALLOW_REPLACEMENT : 0u;
    Err err;
    int r = requestName(c, s.service, DBUS_NAME_FLAG_DO_NOT_QUEUE | replace, q.timeoutMs, err);
    if (r == DBUS_REQUEST_NAME_REPLY_EXISTS) {
        // Who it is, asked briefly (a holder that does not answer costs the timeout once).
        out.holder = holderName(c, q.device, std::min(q.timeoutMs, 1000));
        std::string app = out.holder.empty() ? "another program" : out.holder;
        if (app.size() > 40) app = app.substr(0, 37) + "...";
        DBusMessage* m = dbus_message_new_method_call(s.service.c_str(), s.path.c_str(), kInterface,
                                                      "RequestRelease");
        const dbus_int32_t priority = q.priority;
        if (m) dbus_message_append_args(m, DBUS_TYPE_INT32, &priority, DBUS_TYPE_INVALID);
        Err callErr;
        Msg answer = call(c, m, q.timeoutMs, callErr);
        dbus_bool_t yes = FALSE;
        if (answer)
            dbus_message_get_args(answer.get(), &callErr.e, DBUS_TYPE_BOOLEAN, &yes,
                                  DBUS_TYPE_INVALID);
        // UnknownMethod, NoReply, TimedOut: negative answers (the spec's words).
        if (!answer || !yes) {
            const bool silent =
                callErr.name() == DBUS_ERROR_NO_REPLY || callErr.name() == DBUS_ERROR_TIMED_OUT;
            out.outcome = ReserveResult::Outcome::Refused;
            // Short: getErrorMessage holds 123 characters, "init: " included.
            out.text = silent ? fmt::format("{} holds {}, did not answer in {} ms; {}", app,
                                            q.device, q.timeoutMs, howToFree(app))
                              : fmt::format("{} holds {} and refused to release it; {}", app,
                                            q.device, howToFree(app));
            release();
            return out;
        }
        Err again;
        r = requestName(c, s.service,
                        DBUS_NAME_FLAG_DO_NOT_QUEUE | DBUS_NAME_FLAG_REPLACE_EXISTING | replace,
                        q.timeoutMs, again);
        if (r != DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER &&
            r != DBUS_REQUEST_NAME_REPLY_ALREADY_OWNER) {
            out.outcome = ReserveResult::Outcome::Refused;
            out.text = fmt::format("{} released {} but its name could not be taken: {}", app,
                                   q.device, again.set() ? again.text() : "it is owned again");
            release();
            return out;
        }
    } else if (r != DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER &&
               r != DBUS_REQUEST_NAME_REPLY_ALREADY_OWNER) {
        out.outcome = ReserveResult::Outcome::Error;
        out.text = fmt::format("D-Bus: reserving {} failed: {}", q.device,
                               err.set() ? err.text() : fmt::format("RequestName said {}", r));
        release();
        return out;
    }
    s.held.store(true, std::memory_order_release);
    s.stop.store(false, std::memory_order_release);
    // Answers RequestRelease and the properties until release(): a plain thread, never the
    // audio thread.
    s.serve = std::thread([&s] {
        while (!s.stop.load(std::memory_order_acquire))
            if (!dbus_connection_read_write_dispatch(s.conn.get(), 50)) break;
    });
    out.outcome = ReserveResult::Outcome::Acquired;
    return out;
}

void Reservation::release() noexcept {
    State& s = *s_;
    s.stop.store(true, std::memory_order_release);
    if (s.serve.joinable()) s.serve.join();
    if (s.conn && s.held.load(std::memory_order_acquire)) {
        // Give the name back at once (the bus announces it with NameOwnerChanged, which a
        // sound server watches to take the device back). Closing would too, a little later.
        Err err;
        DBusMessage* m = busMethod("ReleaseName");
        const char* n = s.service.c_str();
        if (m) dbus_message_append_args(m, DBUS_TYPE_STRING, &n, DBUS_TYPE_INVALID);
        (void)call(s.conn.get(), m, 1000, err);
    }
    unregisterHandlers(s);
    s.conn.reset();
    s.held.store(false, std::memory_order_release);
}

std::string reservationHolder(const std::string& device, int timeoutMs) {
    Conn c = connect(nullptr);
    if (!c) return "";
    if (nameOwner(c.get(), kServicePrefix + device, timeoutMs).empty()) return "";
    const std::string h = holderName(c.get(), device, timeoutMs);
    return h.empty() ? "another program" : h;
}

#else  // built without libdbus-1: no reservation, as without a session bus

struct Reservation::State {
    std::string device;
};
Reservation::Reservation() : s_(std::make_unique<State>()) {}
Reservation::~Reservation() = default;
ReserveResult Reservation::acquire(const ReserveRequest& q) {
    s_->device = q.device;
    ReserveResult r;
    r.text = "built without libdbus-1";
    return r;
}
void Reservation::release() noexcept {}
bool Reservation::held() const noexcept {
    return false;
}
const std::string& Reservation::device() const noexcept {
    return s_->device;
}
long Reservation::refusedRequests() const noexcept {
    return 0;
}
bool Reservation::lostName() const noexcept {
    return false;
}
std::string reservationHolder(const std::string&, int) {
    return "";
}

#endif

}  // namespace foldback::alsa
