// foldback record / play: stream every chosen input to a file, a file to chosen outputs, or
// both at once (record --play: overdub, or measure a loop bit for bit).
#include <fmt/format.h>

#include "common.hpp"
#include "take.hpp"

namespace foldback::cli {

namespace {

void addCommonStreamOptions(CLI::App* cmd, TakeSpec& s, const std::string& until) {
    cmd->add_option("--seconds", s.seconds, "Stop after this much audio (default: " + until + ")")
        ->check(CLI::Range(0.001, 1e7));
    cmd->add_option("-b,--buffer-size", s.bufferSize,
                    "Frames per period (default: the driver's preferred size)");
    cmd->add_option("-r,--rate", s.rate, "Run the device at this rate (default: leave it)");
    cmd->add_flag("--json", s.json, "Print the summary as JSON on stdout (no live line)");
    cmd->add_flag("-q,--quiet", s.quiet, "No live line");
}

}  // namespace

void addRecord(CLI::App& app) {
    static TakeSpec s;
    static std::string name = "loopback";
    s.command = "record";
    auto* cmd = app.add_subcommand("record", "Record inputs to a file, without losing a sample");
    cmd->footer(fmt::format(
        "The audio thread only copies into a lock-free ring; a disk thread writes the file. A "
        "slow\n"
        "disk costs nothing until the ring is full; every frame lost after that (and every frame "
        "the\n"
        "driver dropped) is reported with its exact position on stderr and in the sidecar\n"
        "(FILE.json), and the file keeps its timeline (silence where frames were lost).\n"
        "The file type follows the name: .wav (RF64 beyond 4 GiB), .w64, .flac, .aiff, .caf.\n"
        "Ctrl-C stops and finalizes the file (exit 0 when nothing was lost).\n"
        "With --play FILE --to CH the file plays while the inputs record (overdub, or loop "
        "tests);\n"
        "the recording then stops when the played file has come back (or at --seconds).\n"
        "Examples:\n"
        "  foldback record -c 1-2 -o take.wav\n"
        "  foldback record studio -c 1-16 -o session.w64 --buffer-size 64 --seconds 600\n"
        "  foldback record studio -c 1-2 -o vocal.flac --format s24 --play backing.wav --to 1-2\n"
        "{}",
        kExitHelp));
    cmd->add_option("name", name, "Instance (default: loopback)");
    cmd->add_option("-o,--output", s.recordPath, "The file to write")->required();
    cmd->add_option("-c,--channels", s.recordChannels,
                    "Inputs to record, from 1: 1-16, 1,3,5-8 (default: all)");
    cmd->add_option("--format", s.sampleFormat,
                    "Samples in the file: float, s16, s24, s32 (default float; FLAC s24)");
    cmd->add_option("--ring-seconds", s.recordRingSeconds,
                    "Ring between the audio and the disk thread (default 4)")
        ->check(CLI::Range(0.01, 600.0));
    cmd->add_option("--sidecar", s.sidecar,
                    "Where the gap/xrun list goes (default FILE.json; - for none)");
    cmd->add_option("--play", s.playPath, "Play this file while recording");
    cmd->add_option("--to", s.playChannels,
                    "Outputs for --play, from 1 (default 1..file channels)");
    cmd->add_flag("--resample", s.resample,
                  "Resample --play's file to the device rate (libsamplerate)");
    addCommonStreamOptions(cmd, s, "Ctrl-C, or when --play's file has come back");
    // Test only (docs/cli.md): make the disk thread stall once, to exercise the ring.
    cmd->add_option("--test-stall-ms", s.stallMs, "")->group("");
    cmd->add_option("--test-stall-at", s.stallAt, "")->group("");
    cmd->callback([] {
        s.name = name;
        throw static_cast<Exit>(runTake(s));
    });
}

void addPlay(CLI::App& app) {
    static TakeSpec s;
    static std::vector<std::string> args;
    s.command = "play";
    auto* cmd = app.add_subcommand("play", "Play a file to chosen outputs");
    cmd->footer(fmt::format(
        "A disk thread reads (and, with --resample, converts) the file into a lock-free ring; the\n"
        "audio thread only copies from it. A file at another rate than the device is refused\n"
        "unless --resample (libsamplerate, best quality) or --rate switches the device.\n"
        "A mono file plays on every output named by --to. Plays to the end (and until the last\n"
        "frame has left the output latency), or for --seconds.\n"
        "Examples:\n"
        "  foldback play take.wav                       (loopback, outputs 1..channels)\n"
        "  foldback play studio mix.flac --to 3-4\n"
        "  foldback play studio click-44k.wav --to 1 --resample\n"
        "{}",
        kExitHelp));
    cmd->add_option("args", args, "[NAME] FILE: instance (default loopback) and the file to play")
        ->required()
        ->expected(1, 2);
    cmd->add_option("--to", s.playChannels, "Outputs, from 1: 1-2, 3,4 (default 1..file channels)");
    cmd->add_flag("--resample", s.resample, "Resample the file to the device rate (libsamplerate)");
    cmd->add_option("--ring-seconds", s.playRingSeconds, "Read-ahead ring (default 2)")
        ->check(CLI::Range(0.05, 600.0));
    addCommonStreamOptions(cmd, s, "the end of the file");
    cmd->callback([] {
        if (args.size() == 2) {
            s.name = args[0];
            s.playPath = args[1];
        } else {
            s.name = "loopback";
            s.playPath = args[0];
        }
        throw static_cast<Exit>(runTake(s));
    });
}

}  // namespace foldback::cli
