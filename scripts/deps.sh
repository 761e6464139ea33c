#!/usr/bin/env bash
# Installs what Foldback needs to build and test, from Debian 12's packages.
set -euo pipefail
packages=(
  build-essential cmake pkg-config git
  libfmt-dev libcli11-dev libtomlplusplus-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libsndfile1-dev libsamplerate0-dev
  libasound2-dev libasound2-plugins libdbus-1-dev
  libjack-jackd2-dev jackd2
  libpipewire-0.3-dev libspa-0.2-dev libspa-0.2-modules pipewire pipewire-bin pipewire-jack wireplumber dbus
  portaudio19-dev librtaudio-dev rt-tests libcairo2-dev
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
updated=0
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  $SUDO apt-get update -qq
  updated=1
  # jackd2 asks whether to enable real-time scheduling for the audio group: answer for it.
  echo "jackd2 jackd/tweak_rt_limits boolean false" | $SUDO debconf-set-selections
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# PipeWire's ALSA plugin (pipewire-alsa) for the ALSA driver's tests: downloaded, NOT
# installed (installing it makes PipeWire the system's default ALSA device). The tests'
# CMake unpacks it into the build (tests/drivers/alsa/fetch-pipewire-alsa.sh), so a build
# needs no network. Never fatal: without it the PipeWire PCM tests skip.
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
cache=/var/cache/foldback
version=$(dpkg-query -W -f='${Version}' libpipewire-0.3-0 2>/dev/null || true)
if [ ! -e "/usr/lib/$arch/alsa-lib/libasound_module_pcm_pipewire.so" ] && [ -n "$version" ] &&
   ! ls "$cache"/pipewire-alsa_"${version#*:}"_*.deb >/dev/null 2>&1; then
  fetch() { $SUDO sh -c "mkdir -p '$cache' && cd '$cache' && apt-get download -qq 'pipewire-alsa=$version'" 2>/dev/null; }
  if ! fetch && [ "$updated" = 0 ]; then
    $SUDO apt-get update -qq || true
    fetch || true
  fi
  ls "$cache"/pipewire-alsa_*.deb >/dev/null 2>&1 ||
    echo "deps: could not download pipewire-alsa $version; the ALSA driver's PipeWire tests will skip" >&2
fi
