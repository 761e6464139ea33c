// foldback: list, inspect, register and certify ASIO-compatible driver instances; measure,
// record, play and monitor through any of them.
#include <CLI/CLI.hpp>

#include "common.hpp"

int main(int argc, char** argv) {
    CLI::App app{"foldback: ASIO-compatible low-latency audio drivers for Linux"};
    app.footer(
        "Exit status: 0 success, 1 a check failed, 2 bad usage, 3 driver could not be used,\n"
        "4 a file could not be read or written, 5 audio was lost (every gap listed).\n"
        "Channels are numbered from 1 in latency/record/play/monitor, as on the interface.\n"
        "Examples:\n"
        "  foldback list\n"
        "  foldback info loopback --json\n"
        "  foldback certify loopback\n"
        "  foldback register my-loop "
        "/usr/lib/x86_64-linux-gnu/foldback/drivers/foldback-loopback.so\n"
        "  foldback latency loopback --buffer-size 32 --plot loop.svg\n"
        "  foldback record loopback -c 1-8 -o take.wav\n"
        "  foldback play loopback take.wav --to 1-8\n"
        "  foldback monitor loopback --in 1-2 --out 1-2 --gain -6\n"
        "  foldback doctor\n"
        "Instances are looked up in $FOLDBACK_DRIVER_PATH, ~/.config/foldback/drivers,\n"
        "/etc/foldback/drivers, /etc/cwASIO and the built-in root (docs/registry.md).\n"
        "Each command has --help with examples (docs/cli.md).");
    app.require_subcommand(1);
    foldback::cli::addList(app);
    foldback::cli::addInfo(app);
    foldback::cli::addRegister(app);
    foldback::cli::addCertify(app);
    foldback::cli::addLatency(app);
    foldback::cli::addRecord(app);
    foldback::cli::addPlay(app);
    foldback::cli::addMonitor(app);
    foldback::cli::addDoctor(app);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return foldback::cli::kUsage;
    } catch (const foldback::cli::Exit& code) {
        return code;
    }
    return foldback::cli::kOk;
}
