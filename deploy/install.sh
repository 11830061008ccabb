#!/usr/bin/env bash
# Installs a built Skiff tree on this host (see the README, "Run on Linux hosts"):
#   deploy/install.sh controlplane|agent
# run as root from a checkout where `npm ci && npx tsc -b` has run. It copies
# what the programs need to /opt/skiff (replacing an earlier install),
# puts skiff-controlplane, skiff-agent and ctl in /usr/local/bin, and installs
# the role's systemd unit and its flags file /etc/default/skiff-<role> (an
# existing flags file is kept). The control-plane role also installs the etcd
# drop-in that binds Debian's etcd to loopback. It enables and starts nothing.
# DESTDIR=DIR installs under DIR instead of / (to look at the result).
set -euo pipefail

role=${1:-}
if [ "$role" != controlplane ] && [ "$role" != agent ]; then
  echo "usage: $0 controlplane|agent" >&2
  exit 2
fi
repo=$(cd "$(dirname "$0")/.." && pwd)
root=${DESTDIR:-}
prefix=/opt/skiff

for main in api/dist/index.js controlplane/dist/main.js agent/dist/main.js cli/dist/main.js; do
  if [ ! -f "$repo/packages/$main" ]; then
    echo "$0: $repo/packages/$main is missing: run npm ci && npx tsc -b in $repo first" >&2
    exit 1
  fi
done

# The programs need the workspace's package.json files, their dist/, proto/ and
# node_modules (its @skiff/* links point into packages/); not sources or tests.
staging="$root$prefix.new"
rm -rf "$staging"
mkdir -p "$staging"
tar -C "$repo" --exclude='./packages/*/src' --exclude='*.tsbuildinfo' \
  -cf - ./package.json ./package-lock.json ./README.md ./proto ./packages ./node_modules | tar -C "$staging" -xf -
(cd "$staging" && npm prune --omit=dev --no-audit --no-fund --loglevel=error)
if [ -e "$root$prefix" ]; then mv "$root$prefix" "$root$prefix.old"; fi
mv "$staging" "$root$prefix"
rm -rf "$root$prefix.old"

mkdir -p "$root/usr/local/bin"
for program in skiff-controlplane:controlplane skiff-agent:agent ctl:cli; do
  name=${program%%:*}
  main="$prefix/packages/${program#*:}/dist/main.js"
  # Node flags a program asks for on its first line (#!/usr/bin/env -S node FLAGS), e.g. the agent's heap sizing.
  flags=$(sed -n '1s|^#!/usr/bin/env -S node\(.*\)$|\1|p' "$root$main")
  printf '#!/bin/sh\nexec node%s %s "$@"\n' "$flags" "$main" >"$root/usr/local/bin/$name"
  chmod 0755 "$root/usr/local/bin/$name"
done

install -D -m 0644 "$repo/deploy/systemd/skiff-$role.service" "$root/etc/systemd/system/skiff-$role.service"
if [ ! -e "$root/etc/default/skiff-$role" ]; then
  install -D -m 0644 "$repo/deploy/default/skiff-$role" "$root/etc/default/skiff-$role"
fi
if [ "$role" = controlplane ]; then
  install -D -m 0644 "$repo/deploy/systemd/etcd.service.d/skiff.conf" "$root/etc/systemd/system/etcd.service.d/skiff.conf"
fi
if [ -z "$root" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi

echo "installed Skiff in $root$prefix and skiff-$role.service; next: edit $root/etc/default/skiff-$role, then systemctl enable --now skiff-$role"
