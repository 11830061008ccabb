#!/usr/bin/env bash
# Builds a one-layer busybox image as an OCI image layout, from the host's
# static /bin/busybox (Debian's busybox-static), and optionally pushes it.
#
#   usage: build-busybox-image.sh OUT_DIR [REGISTRY_ADDR]
#
# OUT_DIR (created; must be empty) receives oci-layout, index.json and
# blobs/sha256/*, tagged "latest". With REGISTRY_ADDR (127.0.0.1:PORT), the
# image is pushed to REGISTRY_ADDR/skiff/busybox:latest over plain HTTP.
#
# Deterministic: fixed mtimes, owners and modes, entries sorted by name, gzip
# without name or timestamp, and hand-written JSON. The same busybox binary
# (and gzip) always gives the same digests. Prints the manifest digest.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 OUT_DIR [REGISTRY_ADDR]" >&2
  exit 2
fi
out=$1
registry=${2:-}
busybox=${BUSYBOX:-/bin/busybox}

if [[ ! -x $busybox ]]; then
  echo "$0: $busybox not found (apt-get install busybox-static)" >&2
  exit 1
fi
if ! file_type=$(LC_ALL=C od -An -c -N4 "$busybox" | tr -d ' \n') || [[ $file_type != '177ELF' ]]; then
  echo "$0: $busybox is not an ELF binary" >&2
  exit 1
fi
mkdir -p "$out"
if [[ -n $(ls -A "$out") ]]; then
  echo "$0: $out is not empty" >&2
  exit 1
fi

case $(uname -m) in
  x86_64) arch=amd64 ;;
  aarch64) arch=arm64 ;;
  *) arch=$(uname -m) ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/www" "$root/root"
cp "$busybox" "$root/bin/busybox"
applets=(
  sh ash ls cat echo sleep httpd wget env dd head tail true false test '[' printf
  mkdir rm cp mv ln touch chmod id ps kill grep sed sort wc date uname hostname pwd nc
  nslookup timeout
)
for applet in "${applets[@]}"; do
  ln -s busybox "$root/bin/$applet"
done
printf 'hello from the skiff busybox image\n' >"$root/www/index.html"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"
# Modes are set explicitly so the umask of whoever runs this does not leak in.
find "$root" -type d -exec chmod 0755 {} +
find "$root" -type f -exec chmod 0644 {} +
chmod 0755 "$root/bin/busybox"
chmod 1777 "$root/tmp"
chmod 0700 "$root/root"

blobs=$out/blobs/sha256
mkdir -p "$blobs"

# The layer: ustar is enough (short names) and carries no atime/ctime.
tar --create --file="$work/layer.tar" --directory="$root" \
  --format=ustar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner .
diff_id=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
gzip -n -9 -c "$work/layer.tar" >"$work/layer.tar.gz"

# Stores a file as a blob; sets $digest and $size.
store_blob() {
  digest=$(sha256sum "$1" | cut -d' ' -f1)
  size=$(stat -c %s "$1")
  cp "$1" "$blobs/$digest"
}

store_blob "$work/layer.tar.gz"
layer_digest=$digest layer_size=$size

printf '%s' \
  "{\"architecture\":\"$arch\",\"os\":\"linux\"," \
  "\"config\":{\"Env\":[\"PATH=/bin\"],\"Cmd\":[\"/bin/sh\"]}," \
  "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:$diff_id\"]}," \
  "\"history\":[{\"created\":\"1970-01-01T00:00:00Z\",\"created_by\":\"test/images/build-busybox-image.sh\"}]}" \
  >"$work/config.json"
store_blob "$work/config.json"
config_digest=$digest config_size=$size

printf '%s' \
  '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",' \
  "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:$config_digest\",\"size\":$config_size}," \
  "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$layer_digest\",\"size\":$layer_size}]}" \
  >"$work/manifest.json"
store_blob "$work/manifest.json"
manifest_digest=$digest manifest_size=$size

printf '%s' '{"imageLayoutVersion":"1.0.0"}' >"$out/oci-layout"
printf '%s' \
  '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[' \
  "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$manifest_digest\",\"size\":$manifest_size," \
  "\"platform\":{\"architecture\":\"$arch\",\"os\":\"linux\"}," \
  '"annotations":{"org.opencontainers.image.ref.name":"latest"}}]}' \
  >"$out/index.json"

if [[ -n $registry ]]; then
  # --insecure-policy: skip the host's signature policy (a test image we just
  # built); --preserve-digests: fail rather than push a converted manifest.
  skopeo --insecure-policy copy --quiet --preserve-digests --dest-tls-verify=false \
    "oci:$out:latest" "docker://$registry/skiff/busybox:latest"
fi
echo "sha256:$manifest_digest"
