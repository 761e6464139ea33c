// Where the period's code goes. At 256 frames (5.3 ms between periods) a busy machine lets
// the core's caches and TLBs go cold, and code a period runs comes back cold: measured on
// the CI VM, a few tens of ns per extra line and over 100 ns per extra page of code
// (bench_jack's floor+linesN / floor+pagesN, docs/drivers/jack.md). So the period's path
// is kept in few lines, side by side; what that gains Foldback as a whole is a few per cent
// at most, below what that noisy VM resolves.
//
//   FOLDBACK_HOT          on the path every period runs: GCC and Clang put these
//                         functions together (.text.hot) and optimise them for speed
//   FOLDBACK_HOT_ENTRY    the first function of a driver's period path (its engine
//                         callback): hot, and it starts a page, so the path that follows
//                         it in .text.hot (about 2 KB in the JACK driver) lies on one
//                         page, not across two
//   FOLDBACK_OUT_OF_LINE  a branch that some periods or some devices take (conversions,
//                         the FIFO adapter): its own function, so its code is not
//                         interleaved with the path's
//   FOLDBACK_COLD         rare (losses, messages, rate changes): out of line and away
//                         from the path (.text.unlikely)
//
// The state every period reads is laid out the same way: its members first in their
// object (the JACK driver's, StreamCore, the host's Stream::Impl), a few lines, not a dozen;
// those objects are 64-byte aligned, so those lines are whole ones, and the tables a period
// walks (ports, channels, buffer pointers) are one aligned block each. And the period reads
// no static data of the driver module, each of which is a page of its own: no vtable (the
// kit's period entry is not virtual), no GOT entry (the functions it calls, libjack's,
// memcpy and clock_gettime, are copied into those objects at open), no static (the RT-safety
// hooks are a flag in the object), no constant from .rodata.
//
// bench/jack/instructions.sh counts the lines and pages of code a period runs, and the
// lines of heap data it touches.
#pragma once

#define FOLDBACK_HOT [[gnu::hot]]
#define FOLDBACK_HOT_ENTRY [[gnu::hot, gnu::aligned(4096)]]
#define FOLDBACK_OUT_OF_LINE [[gnu::noinline]]
#define FOLDBACK_COLD [[gnu::cold, gnu::noinline]]
