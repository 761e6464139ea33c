#include "suite.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "report_format.hpp"

namespace foldback::conformance {

std::size_t Report::failedSpec() const {
    return std::size_t(std::count_if(checks.begin(), checks.end(), [](const Check& c) {
        return !c.passed && !c.skipped && c.spec;
    }));
}

std::size_t Report::failedPolicy() const {
    return std::size_t(std::count_if(checks.begin(), checks.end(), [](const Check& c) {
        return !c.passed && !c.skipped && !c.spec;
    }));
}

std::size_t Report::passedCount() const {
    return std::size_t(std::count_if(checks.begin(), checks.end(),
                                     [](const Check& c) { return c.passed && !c.skipped; }));
}

std::size_t Report::skippedCount() const {
    return std::size_t(
        std::count_if(checks.begin(), checks.end(), [](const Check& c) { return c.skipped; }));
}

Report run(const Options& options, std::ostream& log) {
    detail::Suite suite(options, log);
    return suite.run();
}

namespace detail {

Suite::Suite(const Options& options, std::ostream& log)
    : options_(options), log_(log), settings_(resolveSettings(options)) {}

double Suite::periodSeconds() const {
    return facts_.rate > 0 && facts_.bufferSize > 0 ? double(facts_.bufferSize) / facts_.rate
                                                    : 0.01;
}

double Suite::watchSeconds() const {
    return std::max(4 * periodSeconds(), options_.stopWatchSeconds);
}

void Suite::record(std::string id, std::string title, bool spec, bool passed, std::string detail) {
    Check c;
    c.id = std::move(id);
    c.title = std::move(title);
    c.spec = spec;
    c.passed = passed;
    c.detail = std::move(detail);
    log_ << checkLine(c, options_.verbose) << '\n' << std::flush;
    report.checks.push_back(std::move(c));
}

void Suite::skip(std::string id, std::string title, bool spec, std::string why) {
    Check c;
    c.id = std::move(id);
    c.title = std::move(title);
    c.spec = spec;
    c.skipped = true;
    c.detail = std::move(why);
    log_ << checkLine(c, true) << '\n' << std::flush;
    report.checks.push_back(std::move(c));
}

void Suite::expectCode(std::string id, std::string title, bool spec, long got,
                       std::initializer_list<long> want, std::string extra) {
    bool codeOk = std::find(want.begin(), want.end(), got) != want.end();
    std::string detail;
    if (!codeOk) {
        detail = "returned " + codeName(got) + ", expected ";
        bool first = true;
        for (long w : want) {
            detail += (first ? "" : " or ") + codeName(w);
            first = false;
        }
    }
    if (!extra.empty()) detail += (detail.empty() ? "" : "; ") + extra;
    record(std::move(id), std::move(title), spec, codeOk && extra.empty(),
           codeOk && extra.empty() ? ("returned " + codeName(got)) : detail);
}

std::vector<std::pair<bool, long>> Suite::allChannels() const {
    std::vector<std::pair<bool, long>> ch;
    for (long i = 0; i < facts_.inputs; ++i) ch.emplace_back(true, i);
    for (long i = 0; i < facts_.outputs; ++i) ch.emplace_back(false, i);
    return ch;
}

std::vector<std::pair<bool, long>> Suite::standardChannels() const {
    std::vector<std::pair<bool, long>> ch;
    long ins = facts_.inputs >= 2 ? facts_.inputs - 1 : facts_.inputs;
    long outs = facts_.inputs < 2 && facts_.outputs >= 2 ? facts_.outputs - 1 : facts_.outputs;
    for (long i = 0; i < ins; ++i) ch.emplace_back(true, i);
    for (long i = 0; i < outs; ++i) ch.emplace_back(false, i);
    return ch;
}

SlotSetup Suite::standardSlot(const std::string& label) const {
    SlotSetup s;
    s.label = label;
    s.timeInfoAnswer = 1;
    s.positionInSwitch = true;
    s.callOutputReady = facts_.outputReadyAnswer == ASE_OK;
    s.bufferSize = facts_.bufferSize;
    s.eventCapacity = 4096;
    return s;
}

std::vector<ASIOBufferInfo> Suite::makeInfos(const std::vector<std::pair<bool, long>>& ch) const {
    std::vector<ASIOBufferInfo> infos;
    for (auto [input, channel] : ch) {
        ASIOBufferInfo bi{};
        bi.isInput = input ? ASIOTrue : ASIOFalse;
        bi.channelNum = channel;
        infos.push_back(bi);
    }
    return infos;
}

void Suite::noteMessage(const std::string& call, bool failed, const BoundedText& msg,
                        const std::string& before) {
    ++messageReads_;
    if (!msg.terminated || msg.overflow) {
        std::string what = call + ": ";
        if (!msg.terminated) what += "no NUL within 124 bytes";
        if (msg.overflow) {
            what += std::string(msg.terminated ? "" : ", ") + "byte " +
                    std::to_string(msg.firstChanged) + " of the buffer was written";
        }
        boundsProblems_.push_back(what);
    }
    if (failed && msg.text.empty()) emptyMessages_.push_back(call);
    if (!failed && msg.text != before) {
        changedMessages_.push_back(call + ": \"" + printable(before) + "\" became \"" +
                                   printable(msg.text) + "\"");
    }
}

namespace {

std::string firstFew(const std::vector<std::string>& items, std::size_t n = 4) {
    std::string out;
    for (std::size_t i = 0; i < items.size() && i < n; ++i) out += (i ? "; " : "") + items[i];
    if (items.size() > n) out += "; ... (" + std::to_string(items.size()) + " in all)";
    return out;
}

}  // namespace

void Suite::finish() {
    record("S5.bounds", "every getErrorMessage text is NUL-terminated within 124 bytes", true,
           boundsProblems_.empty(),
           boundsProblems_.empty() ? std::to_string(messageReads_) + " texts read"
                                   : firstFew(boundsProblems_));
    record("S5.text", "every failing call leaves a text in getErrorMessage", false,
           emptyMessages_.empty(),
           emptyMessages_.empty() ? "" : "no text after: " + firstFew(emptyMessages_, 8));
    record("S5.keep", "a successful call does not change getErrorMessage", false,
           changedMessages_.empty(), firstFew(changedMessages_));

    // Late callbacks and messages, per instance.
    std::vector<std::string> late;
    std::map<long, MessageCount> messages;
    for (Slot* s : slotsSince(slotMark_)) {
        if (s->lateCalls() > 0) {
            late.push_back(s->setup().label + ": " + std::to_string(s->lateCalls()));
            report.lateCallbacks += s->lateCalls();
        }
        for (int k = 0; k < kMessageKinds; ++k) {
            long long n = s->messagesKind(k);
            if (n == 0) continue;
            MessageCount& m = messages[k == kMessageKinds - 1 ? -1 : k];
            m.selector = k == kMessageKinds - 1 ? -1 : k;
            m.count += n;
            m.onControlThread += s->messagesOnControl(k);
            m.onOtherThreads += n - s->messagesOnControl(k);
        }
    }
    for (auto& [sel, m] : messages) report.messages.push_back(m);
    record("T5.all", "no callback after stop, disposeBuffers or release returned (every instance)",
           true, late.empty(),
           late.empty() ? std::to_string(slotsSince(slotMark_).size()) + " instances watched"
                        : "late callbacks: " + firstFew(late, 8));

    // S24: a "no" is fine for a driver that never sends kAsioOverload.
    long long overloadMessages = 0;
    for (auto& m : report.messages) {
        if (m.selector == kAsioOverload) overloadMessages += m.count;
    }
    for (State s : kStates) {
        long got = canReportOverloadAnswer[int(s)];
        std::string id = std::string("S24.") + stateName(s);
        std::string title = std::string("future(kAsioCanReportOverload) in ") + stateName(s);
        if (got == kNotAsked) {
            skip(id, title, true,
                 "the instance could not be brought to " + std::string(stateName(s)) + ": " +
                     unreachable[int(s)]);
        } else if (got == ASE_SUCCESS) {
            record(id, title, true, true, "returned ASE_SUCCESS");
        } else if (overloadMessages > 0) {
            record(id, title, true, false,
                   "returned " + codeName(got) + " but the driver sent kAsioOverload " +
                       std::to_string(overloadMessages) + " times");
        } else {
            record(id, title, false, false,
                   "returned " + codeName(got) +
                       " (allowed for a driver that never sends kAsioOverload; Foldback drivers "
                       "answer ASE_SUCCESS)");
        }
    }
}

Report Suite::run() {
    bool wasControl = tlControlThread;
    tlControlThread = true;
    slotMark_ = slotMark();
    if (!settings_.problem.empty())
        record("config", "the [certify] settings can be read", true, false, settings_.problem);
    if (gatherFacts()) {
        stateCells();
        argumentClasses();
        streaming();
        finish();
    }
    tlControlThread = wasControl;
    return std::move(report);
}

}  // namespace detail
}  // namespace foldback::conformance
