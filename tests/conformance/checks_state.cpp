// docs/errors.md §1: every method in every state (L, I, P, R), one fresh instance per
// state for the queries and one per cell for the calls that change the state.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <thread>

#include "suite.hpp"

namespace foldback::conformance::detail {

namespace {

struct Row {
    const char* call;
    bool spec[4];  // basis per state L, I, P, R
};

// The "basis" column of errors.md §1, per state.
const Row kRows[26] = {
    {"", {}},
    {"init(NULL)", {true, false, false, false}},                             // S1
    {"init without an instance name", {false, false, false, false}},         // S2
    {"getDriverName(buf)", {true, true, true, true}},                        // S3
    {"getDriverVersion()", {false, false, false, false}},                    // S4
    {"getErrorMessage(buf)", {true, true, true, true}},                      // S5
    {"getChannels(&in, &out)", {false, true, true, true}},                   // S6
    {"getLatencies(&in, &out)", {false, false, true, true}},                 // S7
    {"getBufferSize(&min, &max, &pref, &gran)", {false, true, true, true}},  // S8
    {"canSampleRate(current rate)", {false, true, true, true}},              // S9
    {"getSampleRate(&r)", {false, true, true, true}},                        // S10
    {"setSampleRate(current rate)", {false, true, true, true}},              // S11
    {"setSampleRate(other supported rate)", {false, true, true, false}},     // S12
    {"getClockSources(arr, &cap)", {false, true, true, true}},               // S13
    {"setClockSource(0)", {false, true, true, true}},                        // S14
    {"getSamplePosition(&p, &t)", {false, true, true, true}},                // S15
    {"getChannelInfo(valid channel)", {false, true, true, true}},            // S16
    {"createBuffers(valid)", {false, true, false, false}},                   // S17
    {"disposeBuffers()", {false, true, true, true}},                         // S18
    {"start()", {false, false, true, false}},                                // S19
    {"stop()", {false, false, false, true}},                                 // S20
    {"controlPanel()", {false, false, false, false}},                        // S21
    {"outputReady()", {false, true, true, true}},                            // S22
    {"future(kAsioCanTimeInfo)", {true, true, true, true}},                  // S23
    {"future(kAsioCanReportOverload)", {true, true, true, true}},            // S24
    {"release()", {true, true, true, true}},                                 // S25
};

std::string cellId(int row, State s) {
    return "S" + std::to_string(row) + "." + stateName(s);
}
std::string cellTitle(int row, State s) {
    return std::string(kRows[row].call) + " in " + stateName(s);
}
bool cellSpec(int row, State s) {
    return kRows[row].spec[int(s)];
}

void sleepSeconds(double s) {
    std::this_thread::sleep_for(std::chrono::duration<double>(s));
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    return s;
}

const long kCanSelectors[] = {kAsioCanInputMonitor, kAsioCanTimeInfo,   kAsioCanTimeCode,
                              kAsioCanTransport,    kAsioCanInputGain,  kAsioCanInputMeter,
                              kAsioCanOutputGain,   kAsioCanOutputMeter};

}  // namespace

bool Suite::gatherFacts() {
    Instance ref(*this, "facts");
    auto fail = [&](const std::string& why) {
        record("setup", "a reference instance initializes and answers the basic queries", true,
               false, why);
        return false;
    };
    if (!ref.ok()) return fail(ref.problem());
    if (!ref.bringTo(State::I)) return fail(ref.problem());
    FoldbackDriver* d = ref.driver();
    const auto& v = ref.vt();
    Facts& f = facts_;
    long r = v.getChannels(d, &f.inputs, &f.outputs);
    if (r != ASE_OK || f.inputs < 0 || f.outputs < 0 || f.inputs + f.outputs == 0) {
        return fail("getChannels returned " + codeName(r) + " with " + std::to_string(f.inputs) +
                    " inputs and " + std::to_string(f.outputs) + " outputs");
    }
    r = v.getBufferSize(d, &f.minSize, &f.maxSize, &f.preferredSize, &f.granularity);
    if (r != ASE_OK || f.preferredSize <= 0) {
        return fail("getBufferSize returned " + codeName(r) + ", preferred size " +
                    std::to_string(f.preferredSize));
    }
    f.bufferSize = options_.bufferSize > 0 ? options_.bufferSize : f.preferredSize;
    r = v.getSampleRate(d, &f.rate);
    if (r != ASE_OK || !(f.rate > 0)) return fail("getSampleRate returned " + codeName(r));
    ASIOClockSource clocks[32] = {};
    f.clockSources = 32;
    r = v.getClockSources(d, clocks, &f.clockSources);
    if (r != ASE_OK) f.clockSources = 0;
    for (int dir = 0; dir < 2; ++dir) {
        long count = dir == 0 ? f.inputs : f.outputs;
        auto& types = dir == 0 ? f.inputTypes : f.outputTypes;
        for (long ch = 0; ch < count; ++ch) {
            ASIOChannelInfo info{};
            info.channel = ch;
            info.isInput = dir == 0 ? ASIOTrue : ASIOFalse;
            r = v.getChannelInfo(d, &info);
            types.push_back(r == ASE_OK ? info.type : ASIOSampleType(-1));
        }
    }
    f.outputReadyAnswer = v.outputReady(d);
    for (long sel : kCanSelectors) f.canAnswer[sel] = v.future(d, sel, nullptr);
    f.canTimeCode = f.canAnswer[kAsioCanTimeCode] == ASE_SUCCESS;
    for (double rate : {48000.0, 44100.0, 96000.0, 88200.0, 192000.0, 176400.0, 32000.0, 22050.0,
                        16000.0, 8000.0}) {
        if (rate != f.rate && v.canSampleRate(d, rate) == ASE_OK) {
            f.otherRate = rate;
            break;
        }
    }
    report.nominalRate = f.rate;
    report.bufferSize = f.bufferSize;
    log_ << "driver: " << f.inputs << " in / " << f.outputs << " out, buffer sizes " << f.minSize
         << ".." << f.maxSize << " (preferred " << f.preferredSize << ", granularity "
         << f.granularity << "), using " << f.bufferSize << " frames at " << f.rate << " Hz\n";
    return true;
}

void Suite::stateCells() {
    for (State s : kStates) queryCell(s);
    for (State s : kStates) mutatingCells(s);
}

void Suite::queryCell(State s) {
    const Facts& f = facts_;
    Instance q(*this, std::string("query ") + stateName(s));
    const bool L = s == State::L;
    if (!q.bringTo(s)) {
        unreachable[int(s)] = q.problem();
        for (int row : {3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 21, 22, 23}) {
            skip(cellId(row, s), cellTitle(row, s), cellSpec(row, s),
                 std::string("the instance could not be brought to ") + stateName(s) + ": " +
                     q.problem());
        }
        return;
    }
    FoldbackDriver* d = q.driver();
    const auto& v = q.vt();
    auto expectS = [&](int row, long got, std::initializer_list<long> want,
                       std::string extra = {}) {
        q.observe(kRows[row].call, got != ASE_OK && got != ASE_SUCCESS);
        expectCode(cellId(row, s), cellTitle(row, s), cellSpec(row, s), got, want,
                   std::move(extra));
    };

    // S3: the instance name, at most 31 bytes + NUL, nothing written past 32 bytes.
    {
        BoundedText name = readBounded(v.getDriverName, d, 32);
        std::string why;
        if (!name.terminated) why = "no NUL within 32 bytes";
        if (name.overflow)
            why += (why.empty() ? "" : "; ") + std::string("wrote byte ") +
                   std::to_string(name.firstChanged);
        if (name.terminated && !options_.instanceName.empty() &&
            name.text != options_.instanceName) {
            why += (why.empty() ? "" : "; ") + std::string("\"") + name.text +
                   "\" is not the instance name \"" + options_.instanceName + "\"";
        }
        record(cellId(3, s), cellTitle(3, s), true, why.empty(),
               why.empty() ? "\"" + name.text + "\"" : why);
    }
    // S4
    {
        long version = v.getDriverVersion(d);
        record(cellId(4, s), cellTitle(4, s), false, version > 0,
               "returned " + std::to_string(version));
    }
    // S5
    {
        BoundedText msg = readBounded(v.getErrorMessage, d, 124);
        std::string why;
        if (!msg.terminated) why = "no NUL within 124 bytes";
        if (msg.overflow)
            why += (why.empty() ? "" : "; ") + std::string("wrote byte ") +
                   std::to_string(msg.firstChanged);
        record(cellId(5, s), cellTitle(5, s), true, why.empty(),
               why.empty() ? "\"" + msg.text + "\"" : why);
    }
    // S6
    {
        long in = -1, out = -1;
        long r = v.getChannels(d, &in, &out);
        std::string extra;
        if (!L && r == ASE_OK && (in != f.inputs || out != f.outputs)) {
            extra = "counts changed to " + std::to_string(in) + "/" + std::to_string(out);
        }
        expectS(6, r, {L ? ASE_NotPresent : ASE_OK}, extra);
    }
    // S7
    {
        long in = -1, out = -1;
        long r = v.getLatencies(d, &in, &out);
        std::string extra;
        if (!L && r == ASE_OK && (in < 0 || out < 0)) {
            extra = "negative latency " + std::to_string(in) + "/" + std::to_string(out);
        }
        expectS(7, r, {L ? ASE_NotPresent : ASE_OK}, extra);
    }
    // S8
    {
        long mn = 0, mx = 0, pref = 0, gran = 0;
        long r = v.getBufferSize(d, &mn, &mx, &pref, &gran);
        std::string extra;
        if (!L && r == ASE_OK && !(mn > 0 && mn <= pref && pref <= mx && gran >= -1)) {
            extra = "sizes do not make sense: min " + std::to_string(mn) + ", max " +
                    std::to_string(mx) + ", preferred " + std::to_string(pref) + ", granularity " +
                    std::to_string(gran);
        }
        expectS(8, r, {L ? ASE_NotPresent : ASE_OK}, extra);
    }
    // S9, S10, S11
    expectS(9, v.canSampleRate(d, f.rate), {L ? ASE_NotPresent : ASE_OK});
    {
        double rate = -1;
        long r = v.getSampleRate(d, &rate);
        std::string extra;
        if (!L && r == ASE_OK && rate != f.rate)
            extra = "rate " + std::to_string(rate) + " is not the current one";
        expectS(10, r, {L ? ASE_NotPresent : ASE_OK}, extra);
    }
    expectS(11, v.setSampleRate(d, f.rate), {L ? ASE_NotPresent : ASE_OK});
    // S13
    {
        ASIOClockSource clocks[32] = {};
        long n = 32;
        long r = v.getClockSources(d, clocks, &n);
        std::string extra;
        if (!L && r == ASE_OK && (n < 1 || n > 32))
            extra = "*num = " + std::to_string(n) + ", expected >= 1";
        expectS(13, r, {L ? ASE_NotPresent : ASE_OK}, extra);
    }
    expectS(14, v.setClockSource(d, 0), {L ? ASE_NotPresent : ASE_OK});
    // S15
    {
        ASIOSamples pos = -1;
        ASIOTimeStamp ts = -1;
        long r = v.getSamplePosition(d, &pos, &ts);
        std::string extra;
        if (s == State::R && r == ASE_OK && (pos < 0 || ts <= 0)) {
            extra = "position " + std::to_string(pos) + ", time " + std::to_string(ts);
        }
        expectS(15, r, {L ? ASE_NotPresent : s == State::R ? ASE_OK : ASE_SPNotAdvancing}, extra);
    }
    // S16: isActive 0 before createBuffers, as created after.
    {
        bool useInput = f.inputs > 0;
        ASIOChannelInfo info{};
        info.channel = 0;
        info.isInput = useInput ? ASIOTrue : ASIOFalse;
        info.isActive = 77;
        long r = v.getChannelInfo(d, &info);
        std::string extra;
        if (r == ASE_OK && s == State::I && info.isActive != ASIOFalse) {
            extra = "isActive " + std::to_string(info.isActive) + " before createBuffers";
        }
        if (r == ASE_OK && s == State::P) {
            if (info.isActive != ASIOTrue)
                extra = "isActive " + std::to_string(info.isActive) + " for a created channel";
            // The standard set leaves the last input (or output) out.
            bool lastIn = f.inputs >= 2;
            long count = lastIn ? f.inputs : f.outputs;
            if (count >= 2) {
                ASIOChannelInfo other{};
                other.channel = count - 1;
                other.isInput = lastIn ? ASIOTrue : ASIOFalse;
                other.isActive = 77;
                long r2 = v.getChannelInfo(d, &other);
                if (r2 != ASE_OK || other.isActive != ASIOFalse) {
                    extra += (extra.empty() ? "" : "; ") + std::string("channel not created: ") +
                             codeName(r2) + ", isActive " + std::to_string(other.isActive);
                }
            }
        }
        if (r == ASE_OK && info.name[31] != 0 &&
            std::find(info.name, info.name + 32, '\0') == info.name + 32) {
            extra += (extra.empty() ? "" : "; ") + std::string("name not NUL-terminated");
        }
        expectS(16, r, {L ? ASE_NotPresent : ASE_OK}, extra);
    }
    expectS(21, v.controlPanel(d), {ASE_NotPresent});
    // S22: the same answer in every state >= I.
    {
        long r = v.outputReady(d);
        if (L) {
            expectS(22, r, {ASE_NotPresent});
        } else {
            std::string extra;
            if (r != f.outputReadyAnswer) {
                extra =
                    "the answer differs from the first one (" + codeName(f.outputReadyAnswer) + ")";
            }
            expectS(22, r, {ASE_OK, ASE_NotPresent}, extra);
        }
    }
    expectS(23, v.future(d, kAsioCanTimeInfo, nullptr), {ASE_SUCCESS});
    canReportOverloadAnswer[int(s)] = v.future(d, kAsioCanReportOverload, nullptr);
    q.observe("future(kAsioCanReportOverload)", canReportOverloadAnswer[int(s)] != ASE_SUCCESS);
}

void Suite::mutatingCells(State s) {
    const Facts& f = facts_;
    const bool L = s == State::L;
    auto skipCell = [&](int row, const std::string& why) {
        skip(cellId(row, s), cellTitle(row, s), cellSpec(row, s), why);
    };
    auto unreach = [&](const Instance& i) {
        return std::string("the instance could not be brought to ") + stateName(s) + ": " +
               i.problem();
    };
    // Stays running? (after a call that must not stop the stream)
    auto stillRunning = [&](Instance& i) -> std::string {
        long long before = i.slot() ? i.slot()->switches() : 0;
        if (!i.waitSwitches(before + 2, 1.0 + 4 * periodSeconds())) return "the stream stopped";
        return "";
    };

    // S1: init(NULL)
    {
        Instance i(*this, cellId(1, s));
        if (!i.bringTo(s)) {
            skipCell(1, unreach(i));
        } else {
            long r = i.vt().init(i.driver(), nullptr);
            i.observe("init(NULL)", r != ASIOTrue);
            std::string extra;
            if (s == State::I) {
                long in = 0, out = 0;
                if (i.vt().getChannels(i.driver(), &in, &out) != ASE_OK)
                    extra = "getChannels fails afterwards";
                i.rebase();
            }
            if (s == State::R && (r == 0)) extra = stillRunning(i);
            expectCode(cellId(1, s), cellTitle(1, s), cellSpec(1, s), r, {s <= State::I ? 1L : 0L},
                       extra);
            if (s <= State::I && r == 1) i.setState(State::I);
        }
    }
    // S2: only L.
    if (L) {
        Instance i(*this, "S2.L", false);
        if (!i.ok()) {
            skipCell(2, i.problem());
        } else {
            long r = i.vt().init(i.driver(), nullptr);
            i.observe("init without an instance name", r != ASIOTrue);
            std::string extra;
            std::string msg = lower(i.lastMessage());
            if (r == 0 && msg.find("7f000001") == std::string::npos) {
                extra = "the message \"" + i.lastMessage() + "\" does not name selector 0x7F000001";
            }
            if (r == 1) i.setState(State::I);
            expectCode("S2.L", cellTitle(2, s), false, r, {0}, extra);
        }
    }
    // S12: setSampleRate(other supported rate)
    {
        if (!L && f.otherRate == 0) {
            skipCell(12, "canSampleRate accepts no rate besides " + std::to_string(f.rate) +
                             " among 8000..192000 Hz");
        } else {
            Instance i(*this, cellId(12, s));
            if (!i.bringTo(s)) {
                skipCell(12, unreach(i));
            } else {
                double other = f.otherRate > 0 ? f.otherRate : (f.rate == 44100 ? 48000 : 44100);
                long r = i.vt().setSampleRate(i.driver(), other);
                i.observe("setSampleRate(other)", r != ASE_OK);
                std::string extra;
                if (!L && s != State::R && r == ASE_OK) {
                    double now = 0;
                    i.vt().getSampleRate(i.driver(), &now);
                    i.rebase();
                    if (now != other) extra = "getSampleRate then says " + std::to_string(now);
                }
                if (s == State::R && r != ASE_OK) extra = stillRunning(i);
                expectCode(cellId(12, s),
                           cellTitle(12, s) + " (" + std::to_string(long(other)) + " Hz)",
                           cellSpec(12, s), r,
                           {L               ? ASE_NotPresent
                            : s == State::R ? ASE_InvalidMode
                                            : ASE_OK},
                           extra);
            }
        }
    }
    // S17: createBuffers(valid)
    {
        Instance i(*this, cellId(17, s));
        if (!i.bringTo(s)) {
            skipCell(17, unreach(i));
        } else {
            long r = i.createBuffersOwn(makeInfos(standardChannels()), f.bufferSize);
            i.observe("createBuffers(valid)", r != ASE_OK);
            std::string extra;
            if (s == State::R) extra = stillRunning(i);
            expectCode(cellId(17, s), cellTitle(17, s), cellSpec(17, s), r,
                       {s == State::I ? ASE_OK : ASE_InvalidMode}, extra);
        }
    }
    // S18: disposeBuffers()
    {
        Instance i(*this, cellId(18, s));
        if (!i.bringTo(s)) {
            skipCell(18, unreach(i));
        } else {
            Slot* slot = i.slot();
            // Late calls are counted only once the call returned: count from here.
            const long long before = slot != nullptr ? slot->lateCalls() : 0;
            auto r = i.disposeBuffers();
            if (!r) {
                record(cellId(18, s), cellTitle(18, s), cellSpec(18, s), false,
                       "did not return within 5 s");
            } else {
                std::string extra;
                if (s == State::R && slot != nullptr) {
                    sleepSeconds(watchSeconds());
                    long long late = slot->lateCalls() - before;
                    if (late > 0) extra = std::to_string(late) + " callbacks after it returned";
                }
                expectCode(cellId(18, s), cellTitle(18, s), cellSpec(18, s), *r,
                           {s >= State::P ? ASE_OK : ASE_InvalidMode}, extra);
            }
        }
    }
    // S19: start()
    {
        Instance i(*this, cellId(19, s));
        if (!i.bringTo(s)) {
            skipCell(19, unreach(i));
        } else {
            long long lastPos = -1;
            if (s == State::R) {
                auto ev = i.slot()->events();
                if (!ev.empty()) lastPos = ev.back().position;
            }
            long r = i.vt().start(i.driver());
            i.observe("start", r != ASE_OK);
            std::string extra;
            if (s == State::P && r == ASE_OK) {
                i.setState(State::R);
                if (!i.waitSwitches(1, 3.0)) extra = "no buffer switch within 3 s";
            }
            if (s == State::R) {
                extra = stillRunning(i);
                auto ev = i.slot()->events();
                if (extra.empty() && !ev.empty() && lastPos >= 0 && ev.back().position >= 0 &&
                    ev.back().position <= lastPos) {
                    extra = "the stream restarted (position " + std::to_string(ev.back().position) +
                            " after " + std::to_string(lastPos) + ")";
                }
            }
            expectCode(cellId(19, s), cellTitle(19, s), cellSpec(19, s), r,
                       {s >= State::P ? ASE_OK : ASE_InvalidMode}, extra);
        }
    }
    // S20: stop()
    {
        Instance i(*this, cellId(20, s));
        if (!i.bringTo(s)) {
            skipCell(20, unreach(i));
        } else {
            Slot* slot = i.slot();
            // Late calls are counted only once the call returned: count from here.
            const long long before = slot != nullptr ? slot->lateCalls() : 0;
            auto r = i.stop();
            if (!r) {
                record(cellId(20, s), cellTitle(20, s), cellSpec(20, s), false,
                       "did not return within 5 s");
            } else {
                std::string extra;
                if (s == State::R && slot != nullptr) {
                    sleepSeconds(watchSeconds());
                    long long late = slot->lateCalls() - before;
                    if (late > 0) extra = std::to_string(late) + " callbacks after it returned";
                }
                expectCode(cellId(20, s), cellTitle(20, s), cellSpec(20, s), *r,
                           {L ? ASE_InvalidMode : ASE_OK}, extra);
            }
        }
    }
    // S25: release()
    {
        Instance i(*this, cellId(25, s));
        if (!i.bringTo(s)) {
            skipCell(25, unreach(i));
        } else {
            Slot* slot = i.slot();
            // Late calls are counted only once the call returned: count from here.
            const long long before = slot != nullptr ? slot->lateCalls() : 0;
            auto r = i.release();
            if (!r) {
                record(cellId(25, s), cellTitle(25, s), true, false, "did not return within 5 s");
            } else {
                std::string why;
                if (*r != 0)
                    why = "returned reference count " + std::to_string(*r) + ", expected 0";
                if (slot != nullptr && s >= State::P) {
                    sleepSeconds(watchSeconds());
                    long long late = slot->lateCalls() - before;
                    if (late > 0)
                        why += (why.empty() ? "" : "; ") + std::to_string(late) +
                               " callbacks after it returned";
                }
                record(cellId(25, s), cellTitle(25, s), true, why.empty(),
                       why.empty() ? "returned 0" : why);
            }
        }
    }
}

}  // namespace foldback::conformance::detail
