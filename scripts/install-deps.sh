#!/usr/bin/env bash
# Installs what hearth needs to build, run and test, from Debian 12 packages. Idempotent:
# installs only what is missing, so a second run costs a second.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost1.81-dev nlohmann-json3-dev libcurl4-openssl-dev libssl-dev libyaml-cpp-dev
  libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev libicu-dev
  redis-server libhiredis-dev libhyperscan-dev libjemalloc-dev
  nodejs npm curl wrk nginx-light valgrind linux-perf
  libvulkan-dev glslc mesa-vulkan-drivers
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# The machine may already have Node 20 and npm from elsewhere: don't fight them.
if command -v node >/dev/null && command -v npm >/dev/null; then
  kept=()
  for p in "${missing[@]}"; do [[ $p == nodejs || $p == npm ]] || kept+=("$p"); done
  missing=("${kept[@]+"${kept[@]}"}")
fi
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
