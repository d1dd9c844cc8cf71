#!/usr/bin/env bash
# Installs the Debian 12 packages Quantscope needs to build, test, fuzz (clang-14 and its
# libFuzzer runtime) and run, skipping those that are already there (time: the test of analyze's
# peak memory reads GNU time's figure). Uses sudo when not root.
set -euo pipefail

packages=(
    build-essential cmake ninja-build pkg-config ccache
    qt6-base-dev qt6-base-dev-tools libqt6opengl6-dev libgl-dev
    libqcustomplot-dev libeigen3-dev qt6-svg-dev
    zlib1g-dev libprotobuf-dev protobuf-compiler libonnx-dev
    qt6-qpa-plugins libxkbcommon-x11-0 fonts-dejavu-core
    xvfb xauth time
    clang-14 libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "error: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
fi
echo "Installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
