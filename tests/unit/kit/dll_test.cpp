// The delay-locked loop turns jittery wake-ups into a steady, strictly increasing line.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "kit/dll.hpp"

namespace foldback::kit {
namespace {

TEST(DelayLockedLoop, FiltersWakeUpJitterAndTracksTheTruePeriod) {
    const double period = 32 * 1e9 / 48000;     // 666 667 ns
    const double truePeriod = period * 1.0003;  // the clock runs 300 ppm fast
    DelayLockedLoop dll;
    dll.reset(1'000'000'000, period);
    std::mt19937 rng(7);
    std::exponential_distribution<double> late(1.0 / 60'000);  // wake-ups late by ~60 us
    std::int64_t prev = dll.current();
    double worstError = 0;
    for (int n = 1; n < 48000; ++n) {
        const double ideal = 1e9 + n * truePeriod;
        const auto t = dll.update(static_cast<std::int64_t>(ideal + late(rng)));
        ASSERT_GT(t, prev);
        prev = t;
        if (n > 5000)
            worstError = std::max(worstError, std::abs(static_cast<double>(t) - ideal - 60'000));
    }
    // Raw wake-ups scatter by hundreds of us; the filtered line stays within a few tens.
    EXPECT_LT(worstError, 40'000);
    EXPECT_NEAR(dll.periodNs() / truePeriod, 1.0, 2e-5);
}

TEST(DelayLockedLoop, AdvanceContinuesTheLine) {
    DelayLockedLoop dll;
    dll.reset(0, 1000.0);
    const auto a = dll.advance();
    const auto b = dll.advance();
    EXPECT_EQ(b - a, 1000);
}

}  // namespace
}  // namespace foldback::kit
