#include "common.hpp"

#include <toml++/toml.h>

#include <iostream>

namespace foldback::cli {

void error(const std::string& message) { std::cerr << "foldback: " << message << "\n"; }

void printJson(const toml::table& t) {
    std::cout << toml::json_formatter{t} << "\n";
}

}  // namespace foldback::cli
