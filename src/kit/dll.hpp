// A second-order delay-locked loop that turns jittery wake-up times into steady period
// time stamps (the technique of F. Adriaensen, "Using a DLL to filter time", 2005).
// Used only where the kit owns the audio thread; engines (JACK, PipeWire) hand over
// their own filtered times.
#pragma once

#include <cmath>
#include <cstdint>

namespace foldback::kit {

class DelayLockedLoop {
  public:
    // periodNs: nominal period; bandwidthHz: loop bandwidth (lower = smoother, slower).
    void reset(std::int64_t firstNs, double periodNs, double bandwidthHz = 1.0) noexcept {
        base_ = firstNs;
        const double omega = 2.0 * M_PI * bandwidthHz * periodNs * 1e-9;
        b_ = std::sqrt(2.0) * omega;
        c_ = omega * omega;
        t0_ = 0.0;
        e2_ = periodNs;
        t1_ = periodNs;
        last_ = firstNs;
        started_ = true;
    }
    bool started() const noexcept { return started_; }

    // The period after the current one was observed to begin at measuredNs. Returns the
    // filtered time of that period; strictly increasing.
    std::int64_t update(std::int64_t measuredNs) noexcept {
        const double e = static_cast<double>(measuredNs - base_) - t1_;
        t0_ = t1_;
        t1_ += b_ * e + e2_;
        e2_ += c_ * e;
        return emit();
    }
    // The next period without a measurement (periods delivered back to back, or skipped).
    std::int64_t advance() noexcept {
        t0_ = t1_;
        t1_ += e2_;
        return emit();
    }
    std::int64_t current() const noexcept { return last_; }
    double periodNs() const noexcept { return e2_; }

  private:
    std::int64_t emit() noexcept {
        auto t = base_ + static_cast<std::int64_t>(std::llround(t0_));
        if (t <= last_) t = last_ + 1;
        last_ = t;
        return t;
    }
    std::int64_t base_ = 0, last_ = 0;
    double b_ = 0, c_ = 0, t0_ = 0, t1_ = 0, e2_ = 0;
    bool started_ = false;
};

}  // namespace foldback::kit
