// Shared pieces of the foldback subcommands.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace toml {
inline namespace v3 {
class table;
}
}  // namespace toml

namespace foldback::cli {

// Exit codes (documented in --help and docs/cli.md).
enum Exit : int {
    kOk = 0,          // success
    kCheckFailed = 1, // the command ran and found a failure (certify)
    kUsage = 2,       // bad command line
    kDriverError = 3, // the instance could not be loaded, initialized or used
};

void addList(CLI::App& app);
void addInfo(CLI::App& app);
void addRegister(CLI::App& app);
void addCertify(CLI::App& app);

// Prints "foldback: <message>" to stderr.
void error(const std::string& message);
// A toml table as pretty JSON on stdout.
void printJson(const toml::table& t);

}  // namespace foldback::cli
