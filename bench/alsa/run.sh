#!/usr/bin/env bash
# Runs bench_alsa on the userspace PCMs of the rigs: the JACK plugin on a private jackd at
# 16 frames (so 16, 32 and 64 are all ALSA periods it takes) and, when its plugin is there,
# PipeWire's ALSA PCM at 32 and 64 (it wakes every 64 frames whatever the period).
#   bench/alsa/run.sh BUILD_DIR [SECONDS]
# Needs FOLDBACK_RIGS_DIR (default ../shared/rigs next to the source tree).
set -u
build=${1:?usage: run.sh BUILD_DIR [SECONDS]}
seconds=${2:-20}
src=$(cd "$(dirname "$0")/../.." && pwd)
rigs=${FOLDBACK_RIGS_DIR:-$src/../shared/rigs}
bench=$build/bin/bench_alsa
conf=$build/tests/drivers/alsa/asound-tests.conf
export ALSA_CONFIG_PATH=/usr/share/alsa/alsa.conf:$rigs/conf/asound-rig.conf:$conf
export JACK_NO_START_SERVER=1
name=fbbench-$$
pwdir=${TMPDIR:-/tmp}/fbbench-pw-$$
cleanup() {
    bash "$rigs/jack-down.sh" "$name" >/dev/null 2>&1
    [ -d "$pwdir" ] && PW_RIG_DIR=$pwdir bash "$rigs/pipewire-down.sh" >/dev/null 2>&1 && rm -rf "$pwdir"
}
trap cleanup EXIT
echo "== JACK plugin (rigjack_raw), jackd dummy at 16 frames"
eval "$(JACK_RIG_PERIOD=16 bash "$rigs/jack-up.sh" "$name")" || exit 1
"$bench" --device rigjack_raw --sizes 16,32,64 --seconds "$seconds"
bash "$rigs/jack-down.sh" "$name" >/dev/null 2>&1
# PipeWire's ALSA plugin: installed, or unpacked into the build by the tests' CMake.
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
if [ -e "/usr/lib/$arch/alsa-lib/libasound_module_pcm_pipewire.so" ] ||
   [ -n "$(find "$build/tests/drivers/alsa/pipewire-alsa" -name libasound_module_pcm_pipewire.so 2>/dev/null)" ]; then
    # The plugin wakes every 64 frames (its MIN_PERIOD) whatever the period: 2 x 16 frames
    # is less than one wake-up and cannot run, and at 32 every wake-up brings 2 periods.
    echo "== PipeWire plugin (rigpw_raw), quantum 64"
    eval "$(PW_RIG_DIR=$pwdir bash "$rigs/pipewire-up.sh")" || exit 1
    "$bench" --device rigpw_raw --sizes 32,64 --seconds "$seconds"
fi
