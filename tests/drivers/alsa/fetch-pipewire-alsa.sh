#!/bin/sh
# Unpacks Debian's pipewire-alsa (the ALSA `pipewire` PCM type) into a build folder, so the
# tests can use PipeWire's ALSA PCM without installing the package, which would make
# PipeWire the system's default ALSA device. The .deb comes from /var/cache/foldback, where
# scripts/deps.sh downloads it (no network at build time); else from `apt-get download`.
# Never fails the build: without the plugin the PipeWire tests skip.
# Usage: fetch-pipewire-alsa.sh ROOT STAMP
root=$1
stamp=$2
plugin_dir=/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)/alsa-lib
done_() { : >"$stamp"; exit 0; }
[ -e "$plugin_dir/libasound_module_pcm_pipewire.so" ] && done_          # installed system-wide
[ -n "$(find "$root" -name libasound_module_pcm_pipewire.so 2>/dev/null)" ] && done_
command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1 || done_
version=$(dpkg-query -W -f='${Version}' libpipewire-0.3-0 2>/dev/null)
for deb in /var/cache/foldback/pipewire-alsa_"${version#*:}"_*.deb; do
    [ -e "$deb" ] && mkdir -p "$root" && dpkg-deb -x "$deb" "$root" && done_
done
tmp=$(mktemp -d) || done_
( cd "$tmp" && { timeout 120 apt-get download -q "pipewire-alsa=$version" >/dev/null 2>&1 ||
                 timeout 120 apt-get download -q pipewire-alsa >/dev/null 2>&1; } ) &&
    mkdir -p "$root" && dpkg-deb -x "$tmp"/pipewire-alsa_*.deb "$root" ||
    echo "alsa tests: could not fetch pipewire-alsa; the PipeWire PCM tests will skip" >&2
rm -rf "$tmp"
done_
