// docs/errors.md §3: the streaming checks, on real runs of the driver. One run in
// time-info mode (timed: T4, T5, T6, T8), one in bufferSwitch mode (T1-T3, T6, T7 again),
// short ones for A20, T9 and the injected faults.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include "samples.hpp"
#include "suite.hpp"

namespace foldback::conformance::detail {

namespace {

void sleepSeconds(double s) {
    if (s > 0) std::this_thread::sleep_for(std::chrono::duration<double>(s));
}

struct RunSpec {
    std::string label;
    long timeInfoAnswer = 1;
    double seconds = 1;
    bool pings = false;
    bool nullAsioMessage = false;
    bool releaseWhileRunning = false;
    long faultKind = 0;  // kFoldbackInjectFault kind, 0 = none
    long faultValue = 0;
};

struct RunResult {
    bool ok = false;
    std::string problem;
    Slot* slot = nullptr;
    long inputLatency = -1, outputLatency = -1;
    long long startNs = 0, stopNs = 0;
    std::optional<long> endCode;  // stop() or release(); nullopt = hung
    long long lateAfterEnd = 0;
    bool countersOk = false;
    FoldbackCounters counters{};
    long faultAnswer = 0;
    std::vector<SwitchEvent> events;
};

std::string at(std::size_t k) {
    return "switch " + std::to_string(k);
}

}  // namespace

void Suite::streaming() {
    const Facts& f = facts_;
    const long n = f.bufferSize;
    const bool haveLoop = !settings_.loop.empty();

    auto run = [&](const RunSpec& spec) {
        RunResult res;
        Instance i(*this, spec.label);
        i.channels = allChannels();
        SlotSetup setup = standardSlot(spec.label);
        setup.timeInfoAnswer = spec.timeInfoAnswer;
        setup.eventCapacity = std::size_t((spec.seconds + 3) * f.rate / double(n)) + 512;
        if (spec.pings) {
            for (auto [out, in] : settings_.loop) {
                if (out < 0 || out >= f.outputs || in < 0 || in >= f.inputs) continue;
                PingPath p;
                p.out = out;
                p.in = in;
                setup.pings.push_back(p);
            }
            setup.maxPings = 8;
            setup.firstPingAt = 16LL * n;
            setup.pingTimeout = std::max<long long>(static_cast<long long>(f.rate * 2), 64LL * n);
            setup.pingGap = 2LL * n;
        }
        i.slotSetup = setup;
        i.nullAsioMessage = spec.nullAsioMessage;
        if (!i.bringTo(State::P)) {
            res.problem = i.problem();
            return res;
        }
        res.slot = i.slot();
        i.vt().getLatencies(i.driver(), &res.inputLatency, &res.outputLatency);
        i.rebase();
        res.startNs = monotonicNs();
        if (!i.bringTo(State::R)) {
            res.problem = i.problem();
            return res;
        }
        if (spec.faultKind != 0) {
            i.waitSwitches(20, 2.0);
            FoldbackFault fault{spec.faultKind, spec.faultValue};
            res.faultAnswer = i.vt().future(i.driver(), kFoldbackInjectFault, &fault);
            i.rebase();
            long long now = res.slot->switches();
            i.waitSwitches(now + 30, 3.0);
        } else {
            sleepSeconds(spec.seconds - double(monotonicNs() - res.startNs) * 1e-9);
        }
        res.stopNs = monotonicNs();
        auto readCounters = [&] {
            FoldbackCounters c{};
            res.countersOk = i.vt().future(i.driver(), kFoldbackGetCounters, &c) == ASE_SUCCESS;
            if (res.countersOk) res.counters = c;
            i.rebase();
        };
        const long long lateBefore = res.slot->lateCalls();
        if (spec.releaseWhileRunning) {
            readCounters();
            auto r = i.release();
            res.endCode = r ? std::optional<long>(long(*r)) : std::nullopt;
        } else {
            res.endCode = i.stop();
        }
        if (res.endCode) {
            sleepSeconds(watchSeconds());
            res.lateAfterEnd = res.slot->lateCalls() - lateBefore;
            if (!spec.releaseWhileRunning) readCounters();
        }
        res.events = res.slot->events();
        res.ok = true;
        return res;
    };

    // --- T1, T2, T3 on a run's events ------------------------------------------------
    auto jumpAllowed = [](const std::vector<SwitchEvent>& ev, std::size_t k) {
        bool before = ev[k].resyncsBefore > ev[k - 1].resyncsBefore;
        bool after = k + 1 < ev.size() && ev[k + 1].resyncsBefore > ev[k].resyncsBefore;
        return before || after;
    };
    auto sequenceChecks = [&](const RunResult& r, const std::string& mode) {
        const auto& ev = r.events;
        std::string why;
        for (std::size_t k = 0; k < ev.size() && why.empty(); ++k) {
            if (ev[k].index != long(k % 2)) {
                why = at(k) + " had index " + std::to_string(ev[k].index) + ", expected " +
                      std::to_string(k % 2);
            }
        }
        if (ev.empty()) why = "no switches";
        record("T1." + mode, "buffer index alternates 0, 1, 0, ... from 0 (" + mode + ")", true,
               why.empty(), why.empty() ? std::to_string(ev.size()) + " switches" : why);

        why.clear();
        for (std::size_t k = 0; k < ev.size() && why.empty(); ++k) {
            if (ev[k].position < 0) {
                why = at(k) + (mode == "timeinfo"
                                   ? ": kSamplePositionValid not set"
                                   : ": getSamplePosition returned " + codeName(ev[k].spError));
            } else if (k == 0 && ev[k].position != 0) {
                why = "the first switch had position " + std::to_string(ev[k].position);
            } else if (k > 0 && ev[k].position != ev[k - 1].position + n) {
                if (!(ev[k].position > ev[k - 1].position && jumpAllowed(ev, k))) {
                    why = at(k) + ": position " + std::to_string(ev[k].position) + " after " +
                          std::to_string(ev[k - 1].position) + " (buffer " + std::to_string(n) +
                          ", no kAsioResyncRequest)";
                }
            }
        }
        if (ev.empty()) why = "no switches";
        record("T2." + mode,
               std::string("position 0 first, then + buffer size per switch (") +
                   (mode == "timeinfo" ? "samplePosition" : "getSamplePosition in bufferSwitch") +
                   ")",
               true, why.empty(), why);

        why.clear();
        for (std::size_t k = 0; k < ev.size() && why.empty(); ++k) {
            if (mode == "timeinfo" && !(ev[k].flags & kSystemTimeValid)) {
                why = at(k) + ": kSystemTimeValid not set";
            } else if (ev[k].position < 0) {
                why = at(k) + ": no time stamp";
            } else if (std::llabs(ev[k].hostNs - ev[k].systemTime) > 1000000000LL) {
                why = at(k) + ": systemTime " + std::to_string(ev[k].systemTime) + " is " +
                      std::to_string((ev[k].hostNs - ev[k].systemTime) / 1000000) +
                      " ms from CLOCK_MONOTONIC";
            } else if (k > 0 && ev[k - 1].position >= 0 &&
                       ev[k].systemTime <= ev[k - 1].systemTime) {
                why = at(k) + ": systemTime " + std::to_string(ev[k].systemTime) + " after " +
                      std::to_string(ev[k - 1].systemTime);
            }
        }
        if (ev.empty()) why = "no switches";
        record("T3." + mode,
               "systemTime strictly increasing CLOCK_MONOTONIC ns, within 1 s of the host (" +
                   mode + ")",
               true, why.empty(), why);
    };
    auto failRun = [&](const std::vector<std::string>& ids, const std::string& title,
                       const RunResult& r) {
        for (const auto& id : ids)
            record(id, title, true, false, "the run did not start: " + r.problem);
    };

    // --- the timed run, time-info mode ------------------------------------------------
    RunSpec mainSpec;
    mainSpec.label = "timed run (time info)";
    mainSpec.seconds = options_.streamSeconds;
    mainSpec.pings = haveLoop;
    RunResult timed = run(mainSpec);
    if (!timed.ok) {
        failRun({"T1.timeinfo", "T2.timeinfo", "T3.timeinfo", "T4.switches", "T4.rate", "T5",
                 "T7.timeinfo"},
                "timed run", timed);
    } else {
        report.inputLatency = timed.inputLatency;
        report.outputLatency = timed.outputLatency;
        report.reportedRoundTrip = timed.inputLatency + timed.outputLatency;
        report.switches = timed.slot->switches();
        sequenceChecks(timed, "timeinfo");

        // T4: count and long-run rate.
        double elapsed = double(timed.stopNs - timed.startNs) * 1e-9;
        double nominal = elapsed * f.rate / double(n);
        double fraction = nominal > 0 ? double(report.switches) / nominal : 0;
        char buf[200];
        std::snprintf(buf, sizeof buf, "%lld switches in %.3f s, nominal %.1f (%.1f %%)",
                      report.switches, elapsed, nominal, fraction * 100);
        record("T4.switches", "at least 90 % of the nominal switches arrive", true, fraction >= 0.9,
               buf);

        // The rate from positions against CLOCK_MONOTONIC. Callbacks can only be late, never
        // early, so the lower envelope of (host time - position / rate) is the driver's clock:
        // take its minimum in the first and in the last quarter of the run.
        std::vector<const SwitchEvent*> pts;
        for (const auto& e : timed.events) {
            if (e.position >= 0) pts.push_back(&e);
        }
        if (pts.size() >= 16) {
            std::size_t q = pts.size() / 4;
            auto offset = [&](const SwitchEvent* e) {
                return double(e->hostNs) - double(e->position) * 1e9 / f.rate;
            };
            auto best = [&](std::size_t from, std::size_t to) {
                const SwitchEvent* b = pts[from];
                for (std::size_t k = from; k < to; ++k) {
                    if (offset(pts[k]) < offset(b)) b = pts[k];
                }
                return b;
            };
            const SwitchEvent* a = best(0, q);
            const SwitchEvent* b = best(pts.size() - q, pts.size());
            double dt = double(b->hostNs - a->hostNs) * 1e-9;
            report.measuredRate = dt > 0 ? double(b->position - a->position) / dt : 0;
            double rel = report.measuredRate / f.rate - 1;
            std::snprintf(buf, sizeof buf,
                          "%.3f Hz against %.0f Hz nominal: %+.4f %% (tolerance %.4f %%, %s)",
                          report.measuredRate, f.rate, rel * 100, settings_.rateTolerance * 100,
                          settings_.rateSource.c_str());
            record("T4.rate", "long-run rate within the driver's tolerance", true,
                   std::fabs(rel) <= settings_.rateTolerance, buf);
        } else {
            record("T4.rate", "long-run rate within the driver's tolerance", true, false,
                   "too few switches with a valid position (" + std::to_string(pts.size()) + ")");
        }

        // T5: after stop returns.
        std::string why;
        if (!timed.endCode) {
            why = "stop did not return within 5 s";
        } else if (*timed.endCode != ASE_OK) {
            why = "stop returned " + codeName(*timed.endCode);
        } else if (timed.lateAfterEnd > 0) {
            why = std::to_string(timed.lateAfterEnd) + " callbacks after stop returned";
        }
        std::snprintf(buf, sizeof buf, "watched %.0f ms (%.1f periods)", watchSeconds() * 1000,
                      watchSeconds() / periodSeconds());
        record("T5", "no callback after stop() returns", true, why.empty(),
               why.empty() ? buf : why);

        // T7 in time-info mode, and what the ASIOTime carried.
        long long sw = timed.slot->switchCalls(), ti = timed.slot->timeInfoCalls();
        record("T7.timeinfo", "host answers kAsioSupportsTimeInfo = 1: only bufferSwitchTimeInfo",
               true, sw == 0 && ti > 0,
               std::to_string(ti) + " bufferSwitchTimeInfo, " + std::to_string(sw) +
                   " bufferSwitch; asked " +
                   std::to_string(timed.slot->messages(kAsioSupportsTimeInfo)) + " times");
        why.clear();
        const unsigned long need = kSystemTimeValid | kSamplePositionValid | kSampleRateValid;
        for (std::size_t k = 0; k < timed.events.size() && why.empty(); ++k) {
            const auto& e = timed.events[k];
            if (!e.timeInfo) continue;
            if (e.nullTime)
                why = at(k) + ": ASIOTime* is NULL";
            else if (e.reservedNonZero)
                why = at(k) + ": ASIOTime.reserved is not 0";
            else if ((e.flags & need) != need)
                why = at(k) + ": flags " + std::to_string(e.flags) + " lack a *Valid bit";
            else if (e.speed != 1.0)
                why = at(k) + ": speed " + std::to_string(e.speed);
            else if (e.rate != f.rate)
                why = at(k) + ": sampleRate " + std::to_string(e.rate);
        }
        record("T7.fields", "ASIOTime: reserved 0, speed 1, rate, time and position valid", true,
               why.empty(), why);

        // T8 on the timed run.
        long long overloads = timed.slot->messages(kAsioOverload);
        long long resyncs = timed.slot->messages(kAsioResyncRequest);
        report.overloads = timed.countersOk ? timed.counters.overloads : overloads;
        if (timed.countersOk) {
            std::string d = "counted " + std::to_string(timed.counters.overloads) + ", sent " +
                            std::to_string(overloads);
            record("T8.overload", "every xrun the driver counts is sent as kAsioOverload", true,
                   timed.counters.overloads == overloads, d);
        } else {
            skip("T8.overload", "every xrun the driver counts is sent as kAsioOverload", true,
                 "the driver does not give FoldbackCounters (future(kFoldbackGetCounters))");
        }
        why.clear();
        const auto& ev = timed.events;
        for (std::size_t k = 1; k < ev.size() && why.empty(); ++k) {
            if (ev[k].resyncsBefore == ev[k - 1].resyncsBefore) continue;
            bool jumpHere = ev[k].position != ev[k - 1].position + n;
            bool jumpNext = k + 1 < ev.size() && ev[k + 1].position != ev[k].position + n;
            if (!jumpHere && !jumpNext)
                why = "kAsioResyncRequest before " + at(k) + " without a position jump";
        }
        if (why.empty() && timed.countersOk && timed.counters.resyncs != resyncs) {
            why = "counted " + std::to_string(timed.counters.resyncs) + " resyncs, sent " +
                  std::to_string(resyncs);
        }
        record("T8.resync", "kAsioResyncRequest only with a position jump", true, why.empty(),
               why.empty() ? std::to_string(resyncs) + " resync requests" : why);
    }

    // --- bufferSwitch mode ------------------------------------------------------------
    RunSpec bsSpec;
    bsSpec.label = "run (bufferSwitch)";
    bsSpec.timeInfoAnswer = 0;
    bsSpec.seconds = std::min(options_.streamSeconds, std::max(1.0, options_.streamSeconds / 3));
    bsSpec.pings = haveLoop;
    RunResult bs = run(bsSpec);
    if (!bs.ok) {
        failRun({"T1.bufferswitch", "T2.bufferswitch", "T3.bufferswitch", "T7.bufferswitch"},
                "bufferSwitch run", bs);
    } else {
        sequenceChecks(bs, "bufferswitch");
        long long sw = bs.slot->switchCalls(), ti = bs.slot->timeInfoCalls();
        record(
            "T7.bufferswitch", "host answers kAsioSupportsTimeInfo = 0: only bufferSwitch", true,
            ti == 0 && sw > 0,
            std::to_string(sw) + " bufferSwitch, " + std::to_string(ti) + " bufferSwitchTimeInfo");
    }

    // --- T6: the round trip ---------------------------------------------------------
    if (!haveLoop) {
        skip("T6", "output comes back on the mapped input after input + output latency", true,
             "no loop map: pass Options::loop or set [certify] loop = [[out, in], ...] in the "
             "instance's config");
        skip("T6.stable", "the round trip is the same for every impulse", true, "no loop map");
    } else {
        std::vector<long long> all;
        int typeSkipped = 0;
        for (auto [out, in] : settings_.loop) {
            std::string id = "T6.o" + std::to_string(out) + ".i" + std::to_string(in);
            std::string title = "output " + std::to_string(out) + " comes back on input " +
                                std::to_string(in) + " after input + output latency";
            if (out < 0 || out >= f.outputs || in < 0 || in >= f.inputs) {
                record(id, title, true, false,
                       "the loop map names a channel the driver does not have (" +
                           std::to_string(f.outputs) + " outputs, " + std::to_string(f.inputs) +
                           " inputs)");
                continue;
            }
            ASIOSampleType ot = f.outputTypes[std::size_t(out)], it = f.inputTypes[std::size_t(in)];
            if (!impulseSupported(ot) || !impulseSupported(it)) {
                skip(id, title, true,
                     "sample type " + sampleTypeName(impulseSupported(ot) ? it : ot) +
                         " is not handled by the impulse check yet");
                ++typeSkipped;
                continue;
            }
            if (!timed.ok) {
                record(id, title, true, false, "the timed run did not start: " + timed.problem);
                continue;
            }
            long long reported = timed.inputLatency + timed.outputLatency;
            std::vector<long long> got;
            int emitted = 0, timeouts = 0, spurious = 0;
            for (const RunResult* r : {&timed, &bs}) {
                if (!r->ok) continue;
                for (const auto& p : r->slot->pings()) {
                    if (p.out != out || p.in != in) continue;
                    emitted += p.emitted;
                    timeouts += p.timeouts;
                    spurious += p.spurious;
                    for (int k = 0; k < p.results; ++k) got.push_back(p.roundTrip[std::size_t(k)]);
                }
            }
            all.insert(all.end(), got.begin(), got.end());
            std::string why;
            if (emitted == 0)
                why = "no impulse was sent (run too short?)";
            else if (got.empty())
                why = std::to_string(emitted) + " impulses sent, none came back";
            else if (timeouts > 0)
                why = std::to_string(timeouts) + " of " + std::to_string(emitted) +
                      " impulses did not come back";
            for (long long m : got) {
                if (why.empty() && std::fabs(double(m - reported)) > settings_.latencyTolerance) {
                    why = "measured " + std::to_string(m) + " frames, reported " +
                          std::to_string(reported) + " (input " +
                          std::to_string(timed.inputLatency) + " + output " +
                          std::to_string(timed.outputLatency) + ")";
                }
            }
            if (report.measuredRoundTrip < 0 && !got.empty()) {
                auto sorted = got;
                std::sort(sorted.begin(), sorted.end());
                report.measuredRoundTrip = sorted[sorted.size() / 2];
            }
            std::string detail = std::to_string(got.size()) + " impulses, measured " +
                                 (got.empty() ? std::string("-") : std::to_string(got.front())) +
                                 ", reported " + std::to_string(reported) + " frames (tolerance " +
                                 std::to_string(long(settings_.latencyTolerance)) + ")";
            if (spurious > 0) detail += ", " + std::to_string(spurious) + " unexpected peaks";
            record(id, title, true, why.empty(), why.empty() ? detail : why);
        }
        if (typeSkipped == int(settings_.loop.size())) {
            skip("T6.stable", "the round trip is the same for every impulse", true,
                 "no loop path has a sample type the impulse check handles");
        } else if (all.size() < 3) {
            record("T6.stable", "the round trip is the same for every impulse", true, false,
                   std::to_string(all.size()) + " impulses measured, at least 3 needed");
        } else {
            auto [mn, mx] = std::minmax_element(all.begin(), all.end());
            record("T6.stable", "the round trip is the same for every impulse", true,
                   double(*mx - *mn) <= settings_.latencyTolerance,
                   std::to_string(all.size()) + " impulses, " + std::to_string(*mn) + ".." +
                       std::to_string(*mx) + " frames");
        }
    }

    // --- A20: no asioMessage --------------------------------------------------------
    {
        RunSpec spec;
        spec.label = "A20 (asioMessage NULL)";
        spec.seconds = 0.3;
        spec.nullAsioMessage = true;
        RunResult r = run(spec);
        if (!r.ok) {
            record("A20", "createBuffers with asioMessage NULL works, with bufferSwitch", true,
                   false, r.problem);
        } else {
            long long sw = r.slot->switchCalls(), ti = r.slot->timeInfoCalls();
            record("A20", "createBuffers with asioMessage NULL works, with bufferSwitch", true,
                   sw > 0 && ti == 0,
                   std::to_string(sw) + " bufferSwitch, " + std::to_string(ti) +
                       " bufferSwitchTimeInfo");
        }
    }

    // --- T9: release while running ------------------------------------------------------
    {
        RunSpec spec;
        spec.label = "T9 (release while running)";
        spec.seconds = std::max(0.1, 8 * periodSeconds());
        spec.releaseWhileRunning = true;
        RunResult r = run(spec);
        std::string why;
        if (!r.ok)
            why = "the run did not start: " + r.problem;
        else if (!r.endCode)
            why = "release did not return within 5 s";
        else if (r.lateAfterEnd > 0)
            why = std::to_string(r.lateAfterEnd) + " callbacks after release returned";
        record("T9", "release() while running returns, and no callback runs afterwards", true,
               why.empty(), why.empty() ? "release returned " + std::to_string(*r.endCode) : why);
    }

    // --- T8 with injected faults (drivers that support kFoldbackInjectFault) ------------
    struct Inject {
        const char* id;
        const char* title;
        long kind, value;
    };
    const long lateMs = std::max(1L, long(std::ceil(3 * periodSeconds() * 1000)));
    for (const Inject& in :
         {Inject{"T8.inject_drop", "frames lost: kAsioResyncRequest with the position jump",
                 kFoldbackFaultDropFrames, 2 * n},
          Inject{"T8.inject_late", "a late wake-up: every counted xrun is sent, positions hold",
                 kFoldbackFaultLatePeriod, lateMs}}) {
        RunSpec spec;
        spec.label = in.id;
        spec.seconds = 1;
        spec.faultKind = in.kind;
        spec.faultValue = in.value;
        RunResult r = run(spec);
        if (!r.ok) {
            record(in.id, in.title, true, false, "the run did not start: " + r.problem);
            continue;
        }
        if (r.faultAnswer != ASE_SUCCESS) {
            skip(in.id, in.title, true,
                 "future(kFoldbackInjectFault) returned " + codeName(r.faultAnswer) +
                     " (no fault injection)");
            continue;
        }
        const auto& ev = r.events;
        long long overloads = r.slot->messages(kAsioOverload),
                  resyncs = r.slot->messages(kAsioResyncRequest);
        std::string why;
        int jumps = 0;
        for (std::size_t k = 1; k < ev.size() && why.empty(); ++k) {
            if (ev[k].position < 0 || ev[k - 1].position < 0) {
                why = at(k) + ": no valid position";
            } else if (ev[k].position != ev[k - 1].position + n) {
                ++jumps;
                if (!(ev[k].position > ev[k - 1].position && jumpAllowed(ev, k))) {
                    why = at(k) + ": position " + std::to_string(ev[k].position) + " after " +
                          std::to_string(ev[k - 1].position) + " without kAsioResyncRequest";
                }
            }
            if (why.empty() && ev[k].index != long(k % 2))
                why = at(k) + ": index " + std::to_string(ev[k].index);
        }
        if (why.empty() && r.countersOk && r.counters.overloads != overloads) {
            why = "counted " + std::to_string(r.counters.overloads) + " overloads, sent " +
                  std::to_string(overloads);
        }
        if (why.empty() && r.countersOk && r.counters.resyncs != resyncs) {
            why = "counted " + std::to_string(r.counters.resyncs) + " resyncs, sent " +
                  std::to_string(resyncs);
        }
        if (why.empty() && in.kind == kFoldbackFaultDropFrames && (jumps == 0 || resyncs == 0)) {
            why = "after losing " + std::to_string(in.value) + " frames: " + std::to_string(jumps) +
                  " position jumps, " + std::to_string(resyncs) + " resync requests";
        }
        if (why.empty() && in.kind == kFoldbackFaultLatePeriod && r.countersOk &&
            r.counters.latePeriods + r.counters.overloads + r.counters.resyncs == 0) {
            why =
                "a wake-up " + std::to_string(in.value) + " ms late left no trace in the counters";
        }
        record(in.id, in.title, true, why.empty(),
               why.empty() ? std::to_string(overloads) + " overloads, " + std::to_string(resyncs) +
                                 " resyncs, " + std::to_string(jumps) + " jumps" +
                                 (r.countersOk ? ", " + std::to_string(r.counters.latePeriods) +
                                                     " late periods"
                                               : "")
                           : why);
    }
}

}  // namespace foldback::conformance::detail
