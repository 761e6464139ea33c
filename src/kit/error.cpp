#include "kit/error.hpp"

#include "common/asio_names.hpp"

namespace foldback::kit {

const char* errorName(ASIOError code) noexcept {
    return asioErrorName(code);
}

}  // namespace foldback::kit
