// CLOCK_MONOTONIC for tests: readings, sleeps and polls. nowNs() is safe on the audio
// thread (a vDSO call, no allocation, no lock); the others are for the control thread.
#pragma once

#include <cstdint>

namespace foldback::testsupport {

std::int64_t nowNs() noexcept;
void sleepMs(double ms);

// Polls `done(context)` every pollMs until it is true (true) or timeoutMs passed (false).
template <typename Done>
bool waitFor(Done done, double timeoutMs, double pollMs = 2) {
    const std::int64_t until = nowNs() + static_cast<std::int64_t>(timeoutMs * 1e6);
    while (!done()) {
        if (nowNs() > until) return false;
        sleepMs(pollMs);
    }
    return true;
}

}  // namespace foldback::testsupport
