#!/usr/bin/env bash
# Installs what Foldback needs to build and test, from Debian 12's packages.
set -euo pipefail
packages=(
  build-essential cmake pkg-config git
  libfmt-dev libcli11-dev libtomlplusplus-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libsndfile1-dev libsamplerate0-dev
  libasound2-dev libasound2-plugins
  libjack-jackd2-dev jackd2
  libpipewire-0.3-dev libspa-0.2-dev libspa-0.2-modules pipewire pipewire-bin pipewire-jack wireplumber dbus
  portaudio19-dev librtaudio-dev rt-tests libcairo2-dev
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "Installing: ${missing[*]}"
$SUDO apt-get update -qq
# jackd2 asks whether to enable real-time scheduling for the audio group: answer for it.
echo "jackd2 jackd/tweak_rt_limits boolean false" | $SUDO debconf-set-selections
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
