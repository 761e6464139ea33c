#!/usr/bin/env python3
"""Lines of heap data a period reads or writes, from a DHAT profile.

    data_footprint.py PROFILE PERIODS [--detail]

PROFILE: `valgrind --tool=dhat` output (JSON) of a bench_jack client that ran PERIODS
periods (bench/jack/instructions.sh makes it). DHAT counts the accesses to every byte of
each heap block of at most 1 KiB; a byte counts when it was accessed at least 0.4 x PERIODS
times, so state that only start-up or some periods touch is left out, while state a
double-buffered period reads every other period (the two halves' pointer tables) is in (a
byte a period reads several times counts once). Prints the distinct 64-byte lines of such
bytes, in all blocks (lines counted from each block's start: malloc aligns blocks to 16
bytes, so a block's lines may straddle one more line in memory). Larger blocks (the audio
buffers, libjack's shared tables) carry no per-byte counts and are left out; they are the
same for every client. DHAT keeps no per-byte counts either where the blocks allocated at
one place differ in size (a vector grown by push_back): keep period state in blocks of
one size, allocated once. With --detail, the blocks on stderr, by where they were
allocated.
"""
import json
import sys


def expand(acc):
    """DHAT's run-length coded access counts: a negative n then a value = n copies."""
    out = []
    i = 0
    while i < len(acc):
        if acc[i] < 0:
            out += [acc[i + 1]] * -acc[i]
            i += 2
        else:
            out.append(acc[i])
            i += 1
    return out


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    profile = json.load(open(sys.argv[1]))
    periods = int(sys.argv[2])
    detail = "--detail" in sys.argv[3:]
    frames = profile["ftbl"]
    total = 0
    rows = []
    for pp in profile["pps"]:
        acc = pp.get("acc")
        if not acc:
            continue
        blocks = pp["tbk"]  # counts are summed over the blocks allocated at this point
        hot = {off // 64 for off, n in enumerate(expand(acc)) if n * 5 >= periods * blocks * 2}
        if not hot:
            continue
        total += len(hot)
        where = [frames[f] for f in pp["fs"]]
        where = [w for w in where if not any(k in w for k in ("malloc", "operator new",
                                                              "allocat", "make_unique"))]
        rows.append((len(hot), pp["tb"] // blocks, where[:2]))
    print(total)
    if detail:
        for lines, size, where in sorted(rows, key=lambda r: -r[0]):
            print(f"  {lines:3d} lines of a {size}-byte block  {' | '.join(where)}",
                  file=sys.stderr)


if __name__ == "__main__":
    main()
