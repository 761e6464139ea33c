#include "take.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <cmath>
#include <fstream>
#include <iostream>

#include "session.hpp"

namespace foldback::cli {

namespace {

toml::array gapArray(const std::vector<Gap>& gaps, double rate) {
    toml::array a;
    for (const Gap& g : gaps)
        a.push_back(toml::table{{"position", g.position},
                                {"frames", g.frames},
                                {"seconds", static_cast<double>(g.position) / rate},
                                {"cause", std::string(gapCauseName(g.cause))}});
    return a;
}

toml::array channelArray(const std::vector<long>& zeroBased) {
    toml::array a;
    for (long c : zeroBased) a.push_back(c + 1);
    return a;
}

std::string whatToDo(GapCause c) {
    switch (c) {
        case GapCause::RingOverflow:
            return "the disk did not keep up; raise --ring-seconds or record to a faster disk";
        case GapCause::RingUnderrun:
            return "the file could not be read fast enough; raise --ring-seconds or play from a "
                   "faster disk";
        case GapCause::DeviceDrop:
            return "the driver skipped periods (the system was too busy); allow real-time "
                   "scheduling "
                   "(`foldback info` warns when it is refused) or use a larger --buffer-size";
    }
    return "";
}

}  // namespace

int runTake(const TakeSpec& spec) {
    Driver driver = loadDriver(spec.name);
    applyRate(driver, spec.rate);
    const long frames = chooseBufferSize(driver, spec.bufferSize);
    const double rate = driver.sampleRate();
    const bool recording = !spec.recordPath.empty();
    const bool playing = !spec.playPath.empty();

    Session session;
    std::vector<long> ins, outs;
    if (recording) {
        if (driver.inputCount() < 1) {
            error(fmt::format("{} has no inputs to record", spec.name));
            throw kUsage;
        }
        ins = spec.recordChannels.empty()
                  ? parseChannels(fmt::format("1-{}", driver.inputCount()), "-c",
                                  driver.inputCount(), "input")
                  : parseChannels(spec.recordChannels, "-c", driver.inputCount(), "input");
    }
    if (playing) {
        // Check the file before anything is created.
        SoundFile probe = SoundFile::openRead(spec.playPath);
        if (driver.outputCount() < 1) {
            error(fmt::format("{} has no outputs to play to", spec.name));
            throw kUsage;
        }
        if (spec.playChannels.empty()) {
            if (probe.channels() > driver.outputCount()) {
                error(fmt::format(
                    "{} has {} channels but {} has {} outputs; choose outputs with --to "
                    "(a mono file can go to any number of them)",
                    spec.playPath, probe.channels(), spec.name, driver.outputCount()));
                throw kUsage;
            }
            outs = parseChannels(fmt::format("1-{}", probe.channels()), "--to",
                                 driver.outputCount(), "output");
        } else {
            outs = parseChannels(spec.playChannels, "--to", driver.outputCount(), "output");
        }
        if (probe.channels() != 1 && static_cast<std::size_t>(probe.channels()) != outs.size()) {
            error(fmt::format(
                "{} has {} channels but --to names {} outputs; name {} outputs (e.g. --to 1-{}), "
                "or play a mono file to any number of outputs",
                spec.playPath, probe.channels(), outs.size(), probe.channels(), probe.channels()));
            throw kUsage;
        }
        if (probe.rate() != static_cast<int>(std::lround(rate)) && !spec.resample) {
            const bool can = driver.canSampleRate(probe.rate());
            error(
                fmt::format("{} is {} Hz but {} runs at {:g} Hz; add --resample to convert it "
                            "(libsamplerate){}",
                            spec.playPath, probe.rate(), spec.name, rate,
                            can ? fmt::format(", or --rate {} to run the device at the file's rate",
                                              probe.rate())
                                : ""));
            throw kUsage;
        }
        PlayerOptions po;
        po.path = spec.playPath;
        po.resample = spec.resample;
        po.ringSeconds = spec.playRingSeconds;
        po.minFrames = 4 * static_cast<std::size_t>(frames);
        session.player = std::make_unique<Player>(po, rate, outs.size(), session.reports);
    }
    if (recording) {
        RecorderOptions ro;
        ro.path = spec.recordPath;
        ro.format = writeFormat(spec.recordPath, spec.sampleFormat);
        ro.ringSeconds = spec.recordRingSeconds;
        ro.minFrames =
            4 * static_cast<std::size_t>(frames);  // a ring smaller than a period never fits one
        ro.stallMs = spec.stallMs;
        ro.stallAtSeconds = spec.stallAt;
        session.recorder = std::make_unique<Recorder>(ro, rate, ins.size(), session.reports);
    }
    session.recordMeters.resize(ins.size(), rate);
    session.playMeters.resize(outs.size(), rate);

    Request req;
    req.inputs = ins;
    req.outputs = outs;
    req.bufferSize = frames;
    Stream stream = openStream(driver, req, session);
    const Latencies lat = stream.latencies();
    const std::int64_t stopAt = spec.seconds > 0 ? std::llround(spec.seconds * rate) : 0;
    // After the file's last frame: until it has left the output (and come back, when the
    // loop is being recorded).
    const std::int64_t tail = playing ? lat.output + (recording ? lat.input : 0) : 0;
    session.configure(stopAt, tail);

    const std::string sidecar =
        !recording || spec.sidecar == "-"
            ? ""
            : (spec.sidecar.empty() ? spec.recordPath + ".json" : spec.sidecar);
    if (!spec.json) {
        if (playing) {
            const auto& f = session.player->file();
            std::cout << fmt::format(
                "playing {} ({} ch, {} Hz, {:.3f} s{}) to {} outputs {}\n", spec.playPath,
                f.channels(), f.rate(), static_cast<double>(f.frames()) / f.rate(),
                session.player->resampling() ? fmt::format(", resampled to {:g} Hz", rate) : "",
                spec.name, formatChannels(outs));
        }
        if (recording)
            std::cout << fmt::format("recording {} inputs {} to {} ({}, {} channels, {:g} Hz)\n",
                                     spec.name, formatChannels(ins), spec.recordPath,
                                     formatName(session.recorder->file().info().format), ins.size(),
                                     rate);
        std::cout << fmt::format(
            "  {} frames at {:g} Hz; latency input {} + output {} frames; {}\n", frames, rate,
            lat.input, lat.output,
            stopAt > 0 ? fmt::format("stops after {:.3f} s, Ctrl-C stops earlier", spec.seconds)
                       : (playing ? "stops at the end of the file, Ctrl-C stops earlier"
                                  : "Ctrl-C stops and finalizes the file"));
        std::cout << std::flush;
    }

    installStopSignals();
    if (session.recorder) session.recorder->startDisk();
    if (session.player) session.player->startDisk();
    try {
        stream.start();
    } catch (const std::exception& e) {
        error(e.what());
        if (session.recorder) session.recorder->finish();
        throw kDriverError;
    }

    StatusLine status(!spec.quiet && !spec.json);
    std::vector<Gap> gaps;
    std::size_t printed = 0;
    std::int64_t lastPos = -1, lastMove = nowNs();
    bool stalled = false;
    // Each gap on stderr as it happens (the first 100; all of them go to the sidecar).
    constexpr std::size_t kMaxLines = 100;
    auto printGaps = [&] {
        session.collect(gaps);
        for (; printed < gaps.size(); ++printed) {
            if (printed > kMaxLines) continue;
            status.clear();
            if (printed == kMaxLines)
                error(fmt::format("more gaps follow{}",
                                  sidecar.empty() ? "" : fmt::format(": see {}", sidecar)));
            else
                error(describeGap(gaps[printed], rate));
        }
    };
    for (int tick = 0;; ++tick) {
        sleepMs(20);
        if (session.done() || stopRequested() || session.resetRequested()) break;
        if (session.recorder && session.recorder->diskFailed()) break;
        const std::int64_t pos = session.position();
        if (pos != lastPos) {
            lastPos = pos;
            lastMove = nowNs();
        } else if (nowNs() - lastMove > 3'000'000'000LL) {
            stalled = true;
            break;
        }
        printGaps();
        if (status.enabled() && tick % 5 == 0) {
            std::string line =
                fmt::format("{} {}", recording ? "REC " : "PLAY", clockText(pos / rate));
            if (playing && !recording)
                line += fmt::format(" / {}",
                                    clockText(session.player->fileFramesAtDeviceRate() / rate));
            if (recording) line += "  " + session.recordMeters.bars(ins);
            if (playing && !recording) line += "  " + session.playMeters.bars(outs);
            line += fmt::format("  xruns {}", session.overloads());
            std::int64_t lost = session.deviceDropFrames();
            if (session.recorder) lost = session.recorder->lostFrames();
            if (session.player) lost += session.player->underrunFrames();
            line += fmt::format("  lost {}", lost);
            if (session.recorder)
                line += fmt::format("  ring {}%", session.recorder->ringFill() * 100 /
                                                      session.recorder->ringFrames());
            status.show(line);
        }
    }
    stream.stop();
    status.clear();
    std::string fileProblem;
    if (session.recorder) fileProblem = session.recorder->finish();
    if (session.player) {
        session.player->finish();
        if (!session.player->diskError().empty()) fileProblem = session.player->diskError();
    }
    printGaps();
    const StreamEvents ev = stream.events();

    // ---- the report -------------------------------------------------------------------------
    std::int64_t lostTotal = 0, overflow = 0, underrun = 0, drop = 0;
    for (const Gap& g : gaps) {
        lostTotal += g.frames;
        (g.cause == GapCause::RingOverflow   ? overflow
         : g.cause == GapCause::RingUnderrun ? underrun
                                             : drop) += g.frames;
    }
    // Frames the take lost that the list could not hold (only with > 65536 gaps).
    if (session.recorder) lostTotal = std::max(lostTotal, session.recorder->lostFrames());
    const std::int64_t taken = session.recorder ? session.recorder->framesTaken() : 0;
    const std::int64_t written = session.recorder ? session.recorder->framesWritten() : 0;
    const std::vector<std::int64_t> overloadAt = session.overloadPositions();
    const bool lost = lostTotal > 0 || session.unlistedGaps() > 0;

    toml::table t{{"command", spec.command},
                  {"instance", spec.name},
                  {"driver", driver.driverName()},
                  {"rate", rate},
                  {"buffer_size", frames},
                  {"latency", toml::table{{"input", lat.input}, {"output", lat.output}}},
                  {"frames", session.takeFrames()},
                  {"seconds", static_cast<double>(session.takeFrames()) / rate},
                  {"stopped_by", stopRequested()            ? "signal"
                                 : session.resetRequested() ? "driver reset request"
                                 : stalled                  ? "driver stalled"
                                                            : "end"},
                  {"lost_frames", lostTotal},
                  {"lost", toml::table{{"ring_overflow", overflow},
                                       {"ring_underrun", underrun},
                                       {"device_drop", drop}}},
                  {"gaps", gapArray(gaps, rate)},
                  {"unlisted_gaps", session.unlistedGaps()},
                  {"overloads", ev.overloads},
                  {"resyncs", ev.resyncs}};
    toml::array ovl;
    for (std::int64_t p : overloadAt) ovl.push_back(p);
    t.insert("overload_positions", std::move(ovl));
    if (session.recorder) {
        t.insert("record",
                 toml::table{
                     {"file", spec.recordPath},
                     {"format", formatName(session.recorder->file().info().format)},
                     {"channels", channelArray(ins)},
                     {"frames", written},
                     {"peak_db", std::isfinite(toDb(session.recordMeters.maxPeak()))
                                     ? toDb(session.recordMeters.maxPeak())
                                     : -1000.0},
                     {"ring_frames", static_cast<std::int64_t>(session.recorder->ringFrames())},
                     {"ring_max_fill", static_cast<std::int64_t>(session.recorder->maxRingFill())},
                     {"sidecar", sidecar}});
    }
    if (session.player) {
        const auto& f = session.player->file();
        t.insert("play", toml::table{{"file", spec.playPath},
                                     {"channels", channelArray(outs)},
                                     {"file_rate", f.rate()},
                                     {"resampled", session.player->resampling()},
                                     {"frames", session.player->played()},
                                     {"file_frames", session.player->fileFramesAtDeviceRate()}});
    }
    if (!sidecar.empty()) {
        std::ofstream side(sidecar);
        side << jsonText(t);
        if (!side) {
            error(fmt::format("{}: cannot write the sidecar; the gap list is only on stderr",
                              sidecar));
            fileProblem = fileProblem.empty() ? "sidecar not written" : fileProblem;
        }
    }
    if (spec.json) {
        printJson(t);
    } else {
        if (session.recorder)
            std::cout << fmt::format(
                "{}: {} frames ({:.3f} s), {} channels, peak {}; {}\n", spec.recordPath, written,
                static_cast<double>(written) / rate, ins.size(),
                dbText(session.recordMeters.maxPeak()),
                lostTotal ? fmt::format("{} frames LOST in {} gap{} (silence in the file)",
                                        lostTotal, gaps.size(), gaps.size() == 1 ? "" : "s")
                          : "no frame lost");
        if (session.player)
            std::cout << fmt::format(
                "{}: played {}{}\n", spec.playPath,
                session.player->resampling()
                    ? fmt::format("{} frames (resampled from {} at {} Hz)",
                                  session.player->played(), session.player->file().frames(),
                                  session.player->file().rate())
                    : fmt::format("{} of {} frames", session.player->played(),
                                  session.player->fileFramesAtDeviceRate()),
                underrun ? fmt::format(", {} frames of silence where the file was late", underrun)
                         : "");
        std::cout << fmt::format(
            "  {} overload{} reported by the driver{}\n", ev.overloads,
            ev.overloads == 1 ? "" : "s",
            ev.overloads && !drop ? " (late periods caught up: nothing lost)" : "");
        if (session.recorder)
            std::cout << fmt::format("  ring: {:.1f} s, fullest {:.0f}%\n",
                                     session.recorder->ringFrames() / rate,
                                     100.0 * static_cast<double>(session.recorder->maxRingFill()) /
                                         static_cast<double>(session.recorder->ringFrames()));
        if (!sidecar.empty()) std::cout << fmt::format("  sidecar: {}\n", sidecar);
    }
    if (lost) {
        GapCause worst = overflow   ? GapCause::RingOverflow
                         : underrun ? GapCause::RingUnderrun
                                    : GapCause::DeviceDrop;
        error(fmt::format(
            "{} frames lost ({} ring overflow, {} ring underrun, {} device drop-out){}; {}",
            lostTotal, overflow, underrun, drop,
            sidecar.empty() ? "" : fmt::format(", listed in {}", sidecar), whatToDo(worst)));
    }
    if (session.recorder && written != taken && fileProblem.empty())
        fileProblem = fmt::format("{} frames taken but {} written", taken, written);
    if (!fileProblem.empty()) {
        error(fmt::format("{}: {}; check free space and permissions",
                          recording ? spec.recordPath : spec.playPath, fileProblem));
        return kFileError;
    }
    if (session.resetRequested()) {
        error(fmt::format(
            "{} asked to be reset (device lost or reconfigured); the {} stopped at {:.3f} s. "
            "Check the device and run again",
            spec.name, spec.command == "record" ? "recording" : "playback",
            session.position() / rate));
        return kDriverError;
    }
    if (stalled) {
        error(
            fmt::format("{} delivered no period for 3 s; the {} stopped. Check the device "
                        "(`foldback certify {}`)",
                        spec.name, spec.command, spec.name));
        return kDriverError;
    }
    return lost ? kAudioLost : kOk;
}

}  // namespace foldback::cli
