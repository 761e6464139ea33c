#!/usr/bin/env bash
# Configures and builds Foldback into ./build (or $FOLDBACK_BUILD_DIR).
# Extra arguments go to CMake's configure step, e.g. -DFOLDBACK_WERROR=ON.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${FOLDBACK_BUILD_DIR:-build}"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$build" -j"$(nproc)"
