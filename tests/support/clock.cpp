#include "support/clock.hpp"

#include <time.h>

namespace foldback::testsupport {

std::int64_t nowNs() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void sleepMs(double ms) {
    const std::int64_t until = nowNs() + static_cast<std::int64_t>(ms * 1e6);
    timespec ts{static_cast<time_t>(until / 1'000'000'000),
                static_cast<long>(until % 1'000'000'000)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) != 0) {
    }
}

}  // namespace foldback::testsupport
