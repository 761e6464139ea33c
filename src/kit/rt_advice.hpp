// What the kit tells people when its audio thread cannot get SCHED_FIFO, shared with
// `foldback doctor` so that both give the same advice. Header only: the CLI does not link
// the kit.
#pragma once

namespace foldback::kit {

// The kit's audio threads ask for SCHED_FIFO at this priority unless [kit] rt_priority says
// otherwise (KitSettings::rtPriority).
inline constexpr int kDefaultRtPriority = 70;

// The fix, one sentence (follows "real-time scheduling refused (...); audio may drop out
// under load. ").
inline constexpr const char* kRtAdvice =
    "Allow it: join the audio group and give it `@audio - rtprio 95` in "
    "/etc/security/limits.d/audio.conf, then log in again";

}  // namespace foldback::kit
