#!/usr/bin/env bash
# The overlay benchmark's own install step (not CI's): Debian's iperf3.
set -euo pipefail
command -v iperf3 >/dev/null 2>&1 && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "bench:overlay needs iperf3; run: sudo apt-get install -y iperf3" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends iperf3 >/dev/null
