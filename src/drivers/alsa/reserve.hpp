// The org.freedesktop.ReserveDevice1 device reservation protocol (the scheme PulseAudio,
// PipeWire/WirePlumber and JACK use to share a sound card), on the session bus, with
// libdbus-1 on a private connection. docs/drivers/alsa.md says how the driver uses it.
//
// Per device (kernel card N: "AudioN") the bus name org.freedesktop.ReserveDevice1.AudioN,
// at /org/freedesktop/ReserveDevice1/AudioN the interface org.freedesktop.ReserveDevice1:
// RequestRelease(i priority) -> b, and the read-only properties Priority (i),
// ApplicationName (s), ApplicationDeviceName (s) through org.freedesktop.DBus.Properties.
// Acquire: RequestName with DO_NOT_QUEUE (| ALLOW_REPLACEMENT below INT32_MAX); when the
// name has an owner, RequestRelease(our priority) on it; when it answers true (it has let
// go of the device), RequestName again with REPLACE_EXISTING. A refusal, an error or no
// answer within the timeout is a refusal.
//
// Nothing here runs on the audio thread: acquire and release run on the control thread,
// requests to us are answered on a thread of the Reservation's own.
#pragma once

#include <atomic>
#include <memory>
#include <string>

namespace foldback::alsa {

// The session bus's address: $DBUS_SESSION_BUS_ADDRESS, else $XDG_RUNTIME_DIR/bus when that
// socket exists; "" when there is none (never autolaunched).
std::string sessionBusAddress();

// "AudioN" for a PCM on kernel card N ("hw:N", "hw:N,D", "hw:CARD=id,DEV=D", "plughw:…"),
// "" for any other PCM or an unknown card id.
std::string reservationNameFor(const std::string& pcmName);

struct ReserveRequest {
    std::string device;         // "Audio1"
    std::string appName;        // our ApplicationName
    std::string appDeviceName;  // our ApplicationDeviceName (the PCM name)
    int priority = 0;
    int timeoutMs = 3000;  // for each call to the bus and to the current holder
};

struct ReserveResult {
    enum class Outcome { Acquired, NoBus, Refused, Error };
    Outcome outcome = Outcome::NoBus;
    std::string holder;  // the previous holder's ApplicationName (or its process), if any
    std::string text;    // Refused/Error: what happened and how to free the device
};

// The current holder of a device's reservation: its ApplicationName (else "pid N (comm)"
// of the owning connection); "" when nobody holds it or there is no session bus.
std::string reservationHolder(const std::string& device, int timeoutMs = 500);

// One held reservation; released (the bus name given back) on release() or destruction.
// While held, RequestRelease is answered false (the device is open: a recording must not
// lose its device) and the properties are served.
class Reservation {
  public:
    Reservation();
    ~Reservation();
    Reservation(const Reservation&) = delete;
    Reservation& operator=(const Reservation&) = delete;

    ReserveResult acquire(const ReserveRequest& request);
    void release() noexcept;
    bool held() const noexcept;
    const std::string& device() const noexcept;
    // RequestRelease calls refused while held, and whether the name was taken away from us
    // by force (a REPLACE_EXISTING without asking; we keep the device until close).
    long refusedRequests() const noexcept;
    bool lostName() const noexcept;

    struct State;  // reserve.cpp (public for its D-Bus callbacks)

  private:
    std::unique_ptr<State> s_;
};

}  // namespace foldback::alsa
