// The one way errors travel inside the kit: an exception carrying the exact ASIOError and
// a sentence for getErrorMessage. The vtable boundary (instance.cpp) turns it into the
// return value; nothing else catches it.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>

#include "foldback/asio.h"

namespace foldback::kit {

class Error : public std::runtime_error {
  public:
    Error(ASIOError code, std::string message)
        : std::runtime_error(std::move(message)), code_(code) {}
    ASIOError code() const noexcept { return code_; }

  private:
    ASIOError code_;
};

template <typename... Args>
[[noreturn]] void fail(ASIOError code, fmt::format_string<Args...> format, Args&&... args) {
    throw Error(code, fmt::format(format, std::forward<Args>(args)...));
}

// "ASE_InvalidMode" etc., for messages and logs.
const char* errorName(ASIOError code) noexcept;

}  // namespace foldback::kit
