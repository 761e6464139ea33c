// Internals of the conformance run: the context every check group writes into, the
// instance wrapper that brings a fresh driver instance to a state, and the helpers that
// watch what a call did to getErrorMessage.
#pragma once

#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "conformance.hpp"
#include "recorder.hpp"

namespace foldback::conformance::detail {

enum class State { L = 0, I = 1, P = 2, R = 3 };
inline constexpr State kStates[] = {State::L, State::I, State::P, State::R};
const char* stateName(State s);

// "ASE_InvalidMode (-997)", "ASE_SUCCESS", "1234".
std::string codeName(long code);

// What the suite reads from Options and the instance's config.
struct Settings {
    std::vector<std::pair<long, long>> loop;
    std::string loopSource;  // "options", "config" or "" (none)
    double rateTolerance = 0.001;
    std::string rateSource = "default";
    double latencyTolerance = 0;
    std::string latencySource = "default";
    std::string problem;  // config could not be read; "" when fine
};
Settings resolveSettings(const Options& options);

// A fixed-size text the driver wrote into a 512-byte buffer filled with a canary.
struct BoundedText {
    std::string text;
    bool terminated = false;  // a NUL within the limit
    bool overflow = false;    // a byte at or past the limit changed
    std::size_t firstChanged = 0;
};
BoundedText readBounded(void (*fn)(FoldbackDriver*, char*), FoldbackDriver* driver,
                        std::size_t limit);

// Runs fn on a helper thread and waits up to `seconds`. nullopt = it did not return (the
// thread is left behind, and so is the instance).
std::optional<long> timedCall(std::function<long()> fn, double seconds);

// Facts learned once, from a reference instance in state I.
struct Facts {
    long inputs = 0, outputs = 0;
    long minSize = 0, maxSize = 0, preferredSize = 0, granularity = 0;
    long bufferSize = 0;  // what the suite uses
    double rate = 0;
    long clockSources = 0;
    long outputReadyAnswer = ASE_NotPresent;
    std::vector<ASIOSampleType> inputTypes, outputTypes;
    bool canTimeCode = false;
    long canAnswer[17] = {};  // future(kAsioCan..., NULL) answers, by selector
    double otherRate = 0;     // another supported rate, 0 = none found
};

class Suite;

// One driver instance, released (stop, disposeBuffers, release as needed) when it goes
// out of scope, unless a call hung.
class Instance {
  public:
    Instance(Suite& suite, std::string label, bool setName = true);
    ~Instance();
    Instance(const Instance&) = delete;
    Instance& operator=(const Instance&) = delete;

    FoldbackDriver* driver() const { return drv_; }
    const FoldbackDriverVtbl& vt() const { return *drv_->lpVtbl; }
    bool ok() const { return drv_ != nullptr && !hung_; }
    State state() const { return state_; }
    const std::string& problem() const { return problem_; }
    Slot* slot() const { return slot_; }
    const std::vector<ASIOBufferInfo>& infos() const { return infos_; }

    // Brings the instance to `target` from where it is; false (with problem()) if a step
    // failed. Each step uses the standard setup unless configured before.
    bool bringTo(State target);

    // Channel list and slot settings for the next createBuffers through bringTo.
    std::vector<std::pair<bool, long>> channels;  // (isInput, channel)
    SlotSetup slotSetup;
    bool nullAsioMessage = false;

    // A createBuffers call with everything chosen by the caller, on a fresh slot. On ASE_OK
    // the state becomes P.
    long createBuffers(ASIOBufferInfo* infos, long count, long size, const ASIOCallbacks* cb);
    // createBuffers with a copy of the standard callbacks of a fresh slot.
    long createBuffersOwn(std::vector<ASIOBufferInfo> infos, long size);
    Slot& freshSlot(SlotSetup setup);

    // Waits until the slot has seen `count` switches; false on timeout.
    bool waitSwitches(long long count, double seconds);

    // Control calls that may hang, with the state bookkeeping of the slot.
    std::optional<long> stop();
    std::optional<long> disposeBuffers();
    std::optional<unsigned long> release();  // the instance is gone afterwards

    // Reads getErrorMessage after a call and records what the call did to it.
    void observe(const std::string& call, bool failed);
    // Takes the current text as the new reference without judging it (after calls whose
    // outcome is not the point, e.g. probing for optional selectors).
    void rebase();
    const std::string& lastMessage() const { return lastMessage_; }

    void setState(State s) { state_ = s; }
    void markHung() { hung_ = true; }

  private:
    Suite& suite_;
    std::string label_;
    FoldbackDriver* drv_ = nullptr;
    State state_ = State::L;
    bool hung_ = false;
    bool released_ = false;
    std::string problem_;
    Slot* slot_ = nullptr;
    std::vector<ASIOBufferInfo> infos_;
    std::string lastMessage_;
};

class Suite {
  public:
    Suite(const Options& options, std::ostream& log);
    Report run();

    // Check recording.
    void record(std::string id, std::string title, bool spec, bool passed, std::string detail = {});
    void skip(std::string id, std::string title, bool spec, std::string why);
    // Expects `got` to be one of `want`; extra must be "" (else it is the failure detail).
    void expectCode(std::string id, std::string title, bool spec, long got,
                    std::initializer_list<long> want, std::string extra = {});

    const Options& options() const { return options_; }
    const Settings& settings() const { return settings_; }
    Facts& facts() { return facts_; }
    double callTimeout() const { return 5.0; }
    double periodSeconds() const;
    double watchSeconds() const;

    // Standard channels for the state cells: every channel except the last input (or the
    // last output when there is one input), so that an inactive channel exists.
    std::vector<std::pair<bool, long>> standardChannels() const;
    std::vector<std::pair<bool, long>> allChannels() const;
    SlotSetup standardSlot(const std::string& label) const;
    std::vector<ASIOBufferInfo> makeInfos(const std::vector<std::pair<bool, long>>& ch) const;

    // Message bookkeeping (observe()).
    void noteMessage(const std::string& call, bool failed, const BoundedText& msg,
                     const std::string& before);

    // Check groups (checks_*.cpp).
    bool gatherFacts();
    void stateCells();
    void argumentClasses();
    void streaming();
    void finish();

    Report report;
    static constexpr long kNotAsked = -0x7fffffffL;
    long canReportOverloadAnswer[4] = {kNotAsked, kNotAsked, kNotAsked,
                                       kNotAsked};  // S24, judged at the end
    std::string unreachable[4];  // why a state could not be reached, for S24's skip

  private:
    void queryCell(State s);
    void mutatingCells(State s);
    void createBuffersHostile();

    const Options& options_;
    std::ostream& log_;
    Settings settings_;
    Facts facts_;
    std::size_t slotMark_ = 0;
    // getErrorMessage over the whole run.
    long messageReads_ = 0;
    std::vector<std::string> boundsProblems_, emptyMessages_, changedMessages_;
};

}  // namespace foldback::conformance::detail
