#!/usr/bin/env bash
# Installs what Skiff needs on a fresh Debian 12 machine, then builds it.
# Idempotent and quick when everything is already there, so both README
# commands (and CI) start with it.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=()
command -v etcd >/dev/null 2>&1 || apt_packages+=(etcd-server)
command -v etcdctl >/dev/null 2>&1 || apt_packages+=(etcd-client)
command -v runc >/dev/null 2>&1 || apt_packages+=(runc)
[ -x /bin/busybox ] || apt_packages+=(busybox-static)
command -v docker-registry >/dev/null 2>&1 || apt_packages+=(docker-registry)
command -v skopeo >/dev/null 2>&1 || apt_packages+=(skopeo)
command -v ip >/dev/null 2>&1 || apt_packages+=(iproute2)
command -v conmon >/dev/null 2>&1 || apt_packages+=(conmon)
command -v nft >/dev/null 2>&1 || apt_packages+=(nftables)
# The service proxy deletes the conntrack entries of removed UDP endpoints.
command -v conntrack >/dev/null 2>&1 || apt_packages+=(conntrack)
# A DNS peer for tests of the cluster DNS's forwarding (the binary only, no service).
command -v dnsmasq >/dev/null 2>&1 || apt_packages+=(dnsmasq-base)
# A C compiler with a static libc: the seccomp hardening test builds a tiny probe (test/fixtures/syscall-abi.c).
command -v gcc >/dev/null 2>&1 || apt_packages+=(gcc)
[ -f /usr/lib/x86_64-linux-gnu/libc.a ] || apt_packages+=(libc6-dev)
# The real kubectl for compatibility tests (machines here ship 1.32; Debian's is 1.20).
command -v kubectl >/dev/null 2>&1 || apt_packages+=(kubernetes-client)
if ((${#apt_packages[@]})); then
  if [ "$(id -u)" -ne 0 ]; then
    echo "skiff: missing Debian packages: ${apt_packages[*]}; run: sudo apt-get install -y ${apt_packages[*]}" >&2
    exit 1
  fi
  echo "skiff: installing ${apt_packages[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
  # Debian's package may start a system etcd on :2379; Skiff starts its own on other ports.
fi

# npm ci when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "skiff: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi

npx tsc -b
