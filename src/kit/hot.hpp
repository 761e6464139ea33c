// Where the period's code goes. Between two periods this VM (and any busy machine) lets
// the core's caches and TLBs go cold, so each distinct line and page of code a period
// runs costs a miss: the period's path is kept in few lines, side by side.
//
//   FOLDBACK_HOT          on the path every period runs: GCC and Clang put these
//                         functions together (.text.hot) and optimise them for speed
//   FOLDBACK_OUT_OF_LINE  a branch that some periods or some devices take (conversions,
//                         the FIFO adapter): its own function, so its code is not
//                         interleaved with the path's
//   FOLDBACK_COLD         rare (losses, messages, rate changes): out of line and away
//                         from the path (.text.unlikely)
//
// bench/jack/instructions.sh counts the lines and pages of code a period runs.
#pragma once

#define FOLDBACK_HOT [[gnu::hot]]
#define FOLDBACK_OUT_OF_LINE [[gnu::noinline]]
#define FOLDBACK_COLD [[gnu::cold, gnu::noinline]]
