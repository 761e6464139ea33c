#!/usr/bin/env bash
# Instructions a bench_jack client executes per period, counted by callgrind from the
# client's process callback down (libjack, libc, the driver, the kit and the host included):
# a figure the VM's noise does not move, beside bench_jack's CPU times, which it does.
# For Foldback, per streaming period: the periods before the host's start and after its
# stop (silence, no switch) are left out.
# Also the code a period runs, as distinct 64-byte lines and 4 KiB pages (what runs in at
# least half of the periods; bench/jack/code_footprint.py): on a machine whose caches and
# TLBs go cold between periods, each is a miss (src/kit/hot.hpp). DETAIL=1 lists them per
# library. And the heap data a period touches, as distinct 64-byte lines of blocks up to
# 1 KiB (valgrind's DHAT; bench/jack/data_footprint.py): the objects of the driver, the kit
# and the host, against the few of a plain client.
#
#   bench/jack/instructions.sh [BUILD_DIR] [PERIOD] [CLIENT...]
#     BUILD_DIR  default: build      PERIOD  default: 256
#     CLIENT     foldback, floor, copy3, raw (default: foldback floor raw)
#
# Starts a private jackd (dummy backend) with ../shared/rigs (or $FOLDBACK_RIGS_DIR) under
# a name of its own, runs each client under valgrind for 4 s, stops the server by its
# PID. KEEP=DIR keeps the callgrind and DHAT files. Needs valgrind. Under valgrind glibc's memcpy is the AVX2 one (valgrind does not
# offer AVX-512), the same for every client.
set -eu
BUILD=$(cd "${1:-build}" && pwd)
PERIOD=${2:-256}
shift $(($# > 2 ? 2 : $#))
CLIENTS=${*:-foldback floor raw}
HERE=$(cd "$(dirname "$0")/../.." && pwd)
RIGS=${FOLDBACK_RIGS_DIR:-$HERE/../shared/rigs}
command -v valgrind >/dev/null || { echo "instructions.sh: install valgrind" >&2; exit 2; }

NAME=foldback-instr-$$
REG=$(mktemp -d)
trap 'bash "$RIGS/jack-down.sh" "$NAME" >/dev/null 2>&1 || true
      [ -z "${KEEP:-}" ] || { mkdir -p "$KEEP"; cp "$REG"/cg.* "$REG"/dh.* "$KEEP"/ 2>/dev/null; }
      rm -rf "$REG"' EXIT
JACK_RIG_PERIOD=$PERIOD bash "$RIGS/jack-up.sh" "$NAME" >/dev/null 2>"$REG/jack-up.log" ||
    { echo "instructions.sh: jackd did not start:" >&2; cat "$REG/jack-up.log" >&2; exit 1; }
export JACK_DEFAULT_SERVER=$NAME JACK_NO_START_SERVER=1
# The Foldback client's instance, as bench_jack sets it up.
mkdir -p "$REG/drivers/bench-jack"
echo "$BUILD/lib/foldback/drivers/foldback-jack.so" >"$REG/drivers/bench-jack/driver"
echo bench >"$REG/drivers/bench-jack/description"
printf '[jack]\ninputs = 8\noutputs = 8\n' >"$REG/drivers/bench-jack/config.toml"
export FOLDBACK_DRIVER_PATH=$REG/drivers XDG_CONFIG_HOME=$REG/xdg

printf '%-10s %12s %10s %16s %11s %11s %11s\n' client instructions periods "per period" \
    "code lines" "code pages" "heap lines"
for c in $CLIENTS; do
    case $c in
        foldback) fn=JackBackend::onProcess ;;
        floor | copy3) fn=CopyClient::process ;;
        raw) fn=RawClient::process ;;
        *) echo "instructions.sh: unknown client $c (foldback, floor, copy3, raw)" >&2; exit 2 ;;
    esac
    out=$REG/cg.$c
    valgrind --tool=callgrind --dump-instr=yes --collect-atstart=no "--toggle-collect=*$fn*" \
        --callgrind-out-file="$out" "$BUILD/bin/bench_jack" --child "$c" --period "$PERIOD" \
        --seconds 4 --start-at 0 >/dev/null 2>"$REG/err.$c" ||
        { echo "instructions.sh: $c failed:" >&2; tail -5 "$REG/err.$c" >&2; exit 1; }
    # The callback's inclusive cost, and how often libjack called it: the caller line
    # ("< ... (Nx)") just above the callback's own line ("*  ...") in the caller tree.
    read -r n calls < <(callgrind_annotate --tree=caller --inclusive=yes "$out" 2>/dev/null |
        grep -B1 -m1 -E "^ *[0-9,]+ .*\*  .*$fn" | head -1 |
        awk '{ n = $1; gsub(",", "", n); match($0, /\([0-9,]+x\)/);
            calls = substr($0, RSTART + 1, RLENGTH - 3); gsub(",", "", calls); print n, calls + 0 }')
    if [ "${calls:-0}" -eq 0 ]; then echo "instructions.sh: no calls counted for $c" >&2; exit 1; fi
    # Foldback's periods outside the stream (the client is active from createBuffers to
    # disposeBuffers: before start and after stop, a few to a dozen under valgrind) write
    # silence and run no switch. They are left out: the figure is a streaming period's,
    # instructions without silence()'s, per call of StreamCore::process (all its callers).
    if [ "$c" = foldback ]; then
        read -r sn streaming < <(callgrind_annotate --tree=caller --inclusive=yes "$out" \
            2>/dev/null | python3 -c '
import re, sys
blocks, callers = {}, []
for line in sys.stdin:
    m = re.match(r"\s*([\d,]+) .*?([<*])  (.*)", line)
    if not m:
        callers = []
        continue
    n, kind, rest = int(m.group(1).replace(",", "")), m.group(2), m.group(3)
    if kind == "<":
        c = re.search(r"\(([\d,]+)x\)", rest)
        callers.append(int(c.group(1).replace(",", "")) if c else 0)
    else:
        for name in ("JackBackend::silence(", "StreamCore::process("):
            if name in rest and name not in blocks:
                blocks[name] = (n, sum(callers))
        callers = []
print(blocks.get("JackBackend::silence(", (0, 0))[0], blocks.get("StreamCore::process(", (0, 0))[1])
')
        [ "${streaming:-0}" -gt 0 ] && calls=$streaming
        n=$((n - ${sn:-0}))
    fi
    read -r lines pages < <(python3 "$HERE/bench/jack/code_footprint.py" "$out" "$calls" \
        ${DETAIL:+--detail} 2>"$REG/detail.$c")
    # The heap data: DHAT over a run of its own; the child prints the periods it counted.
    valgrind --tool=dhat --dhat-out-file="$REG/dh.$c" "$BUILD/bin/bench_jack" --child "$c" \
        --period "$PERIOD" --seconds 4 --start-at 0 >"$REG/dhout.$c" 2>"$REG/dherr.$c" ||
        { echo "instructions.sh: $c failed under DHAT:" >&2; tail -5 "$REG/dherr.$c" >&2; exit 1; }
    dperiods=$(awk '$1 == "RESULT" { print $3 }' "$REG/dhout.$c")
    heap=$(python3 "$HERE/bench/jack/data_footprint.py" "$REG/dh.$c" "${dperiods:-0}" \
        ${DETAIL:+--detail} 2>"$REG/ddetail.$c")
    printf '%-10s %12d %10d %16.0f %11d %11d %11d\n' "$c" "$n" "$calls" \
        "$(awk -v n="$n" -v c="$calls" 'BEGIN { print n / c }')" "$lines" "$pages" "$heap"
    [ -z "${DETAIL:-}" ] || cat "$REG/detail.$c" "$REG/ddetail.$c"
done
