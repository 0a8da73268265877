#!/usr/bin/env bash
# The Debian packages the test suite drives (real clients, not mocks), checked
# before `npm test` runs (package.json's pretest). As root, missing ones are
# installed (apt-get update, then install); as another user, the command to
# install them is printed and the run stops before any test starts.
#
#   test/support/prerequisites.sh           # check; as root, install what is missing
#   test/support/prerequisites.sh --check   # check only, never install
#   test/support/prerequisites.sh --list    # print the package names (.ci/run uses it)
#
# CLOUDLET_TEST_NO_INSTALL=1 is --check for `npm test`.
set -euo pipefail

# package                 what needs it
PACKAGES=(
  python3-openstackclient # `openstack` CLI compatibility tests
  skopeo                  # registry real-client tests
  podman                  # registry real-client tests (with --runtime runc)
  buildah                 # registry real-client tests
  runc                    # podman's runtime here
  umoci                   # builds the test image (test/support/busybox-image.ts)
  busybox-static          # the test image's only binary
  openssl                 # registry certificate tests
  docker-registry         # the reference registry (test/support/docker-registry.ts)
  iproute2                # the agents' ip and bridge (data-plane tests, as root)
  dnsmasq-base            # the DHCP agent's server
  nftables                # security groups and routers (data plane)
  util-linux              # nsenter, unshare (lab hosts)
)

log() { printf 'prerequisites: %s\n' "$*" >&2; }

mode=install
case "${1:-}" in
  --list) printf '%s\n' "${PACKAGES[@]}"; exit 0 ;;
  --check) mode=check ;;
  "") ;;
  -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
  *) log "unknown argument: $1"; exit 2 ;;
esac
[ "${CLOUDLET_TEST_NO_INSTALL:-}" = 1 ] && mode=check

command -v dpkg-query >/dev/null || { log "dpkg-query not found: the suite expects Debian (bookworm) and its packages: ${PACKAGES[*]}"; exit 1; }

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$mode" = check ] || [ "$(id -u)" -ne 0 ]; then
  log "missing Debian packages: ${missing[*]}"
  log "install them as root: apt-get update && apt-get install -y ${missing[*]}"
  log "(or run npm test as root once: it installs them)"
  exit 1
fi

log "installing ${missing[*]} (apt-get; about a minute)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
# the tests start the reference registry themselves; the packaged service would hold port 5000
if [[ " ${missing[*]} " == *" docker-registry "* ]] && [ -d /run/systemd/system ]; then
  systemctl disable --now docker-registry.service >/dev/null 2>&1 || true
fi
log "installed"
