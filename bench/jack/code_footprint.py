#!/usr/bin/env python3
"""Lines and pages of code a period runs, from a callgrind profile.

    code_footprint.py PROFILE PERIODS [--detail]

PROFILE: callgrind's output with --dump-instr=yes, collected from the process callback
down (bench/jack/instructions.sh makes it). PERIODS: how many times the callback ran.
An instruction counts when it ran in at least half of the periods and its function was
called in at least half of them (an instruction repeated in a loop, such as a `rep stos`,
runs many times in one call), so code that only an xrun, the first period or a clock check
every 64 periods runs is left out. Prints, per
object file and in all, the distinct 64-byte lines and 4 KiB pages of code: between two
periods this VM lets caches and TLBs go cold, and each of them is a miss (src/kit/hot.hpp).
"""
import collections
import re
import sys

POSITION = r"(0x[0-9a-f]+|[+-]\d+|\*)"
COST = re.compile(r"^" + POSITION + r"\s+(?:\d+|[+-]\d+|\*)\s+(\d+)")
NAME = re.compile(r"^(c?)(ob|fn)=\((\d+)\)(?: (.*))?")


def parse(path):
    """Executions per (object, instruction address), and the function of each."""
    names = {"ob": {}, "fn": {}}
    ob = fn = None
    last = 0
    after_call = False
    count = collections.Counter()
    where = {}
    calls = collections.Counter()  # function -> calls from inside the profile
    callee = None
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            m = NAME.match(line)
            if m:
                kind, ident, text = m.group(2), m.group(3), m.group(4)
                if text:
                    names[kind][ident] = text
                if m.group(1) and kind == "fn":
                    callee = names["fn"][ident]
                if not m.group(1):
                    if kind == "ob":
                        ob = names["ob"][ident]
                    else:
                        fn = names["fn"][ident]
                continue
            if line.startswith("calls="):
                after_call = True  # the next cost line is the call's inclusive cost
                calls[callee] += int(line[6:].split()[0])
                continue
            m = COST.match(line)
            if not m or ob is None:
                continue
            pos = m.group(1)
            if pos.startswith("0x"):
                last = int(pos, 16)
            elif pos != "*":
                last += int(pos)
            key = (ob.rsplit("/", 1)[-1], last)
            where[key] = fn
            count[key] += 0 if after_call else int(m.group(2))
            after_call = False
    return count, where, calls


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: code_footprint.py PROFILE PERIODS [--detail]")
    count, where, calls = parse(sys.argv[1])
    periods = int(sys.argv[2])

    def every_period(key, n):
        # Functions never called from inside the profile: the callback itself.
        fn = where[key]
        return n * 2 >= periods and (fn not in calls or calls[fn] * 2 >= periods)

    lines = collections.defaultdict(set)
    pages = collections.defaultdict(set)
    for (obj, addr), n in count.items():
        if every_period((obj, addr), n):
            lines[obj].add(addr >> 6)
            pages[obj].add(addr >> 12)
    total_lines = sum(len(v) for v in lines.values())
    total_pages = sum(len(v) for v in pages.values())
    print(f"{total_lines} {total_pages}")
    if "--detail" in sys.argv:
        for obj in sorted(lines):
            fns = sorted({(where[(o, a)] or "?").replace("(anonymous namespace)::", "")
                          .split("(")[0] for (o, a), n in count.items()
                          if o == obj and every_period((o, a), n)})
            print(f"  {obj:28s} {len(lines[obj]):4d} lines {len(pages[obj]):3d} pages  "
                  + ", ".join(fns), file=sys.stderr)


if __name__ == "__main__":
    main()
