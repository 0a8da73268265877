#!/usr/bin/env bash
# Runs Debian's tempest + neutron-tempest-plugin against `cloudlet up` with
# pre-provisioned credentials, and prints tempest's summary. Not part of
# `npm test`; results go to docs/COMPATIBILITY.md by hand.
#
#   test/e2e/tempest.sh [--regex REGEX] [--concurrency N] [--out DIR] [--no-install]
#
# --regex        tests to run (default: the networks/subnets/ports/routers set below)
# --out DIR      keep the tempest output, the subunit stream, tempest.log and
#                cloudlet's log there (the temp dirs themselves are removed)
# --no-install   do not apt-get install tempest, neutron-tempest-plugin, the client
#
# Needs root for apt-get (unless --no-install) and a built dist/ (npx tsc -p .).
# Everything listens on 127.0.0.1 and all traffic stays there. Exits non-zero
# only when setup fails: test failures are the result, not an error.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
REGEX='^neutron_tempest_plugin\.api\.(test_networks|test_subnets|test_ports|test_routers|admin\.test_agent_management|admin\.test_dhcp_agent_scheduler)\b|^tempest\.api\.network\.(test_networks|test_ports|admin\.test_quotas|admin\.test_dhcp_agent_scheduler)\b'
CONCURRENCY=2
OUT=""
INSTALL=1
while [ $# -gt 0 ]; do
  case "$1" in
    --regex) REGEX=$2; shift 2 ;;
    --concurrency) CONCURRENCY=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --no-install) INSTALL=0; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'tempest.sh: setup failed: %s\n' "$*" >&2; exit 1; }

# Debian's tempest runs on Debian's python, whatever else is first on PATH
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

# --- what it needs ----------------------------------------------------------
if [ "$INSTALL" = 1 ]; then
  PKGS="tempest neutron-tempest-plugin python3-openstackclient"
  missing=""
  for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  if [ -n "$missing" ]; then
    log "installing$missing"
    if ! apt-cache show $missing >/dev/null 2>&1; then apt-get update -qq || die "apt-get update"; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null || die "apt-get install$missing"
  fi
fi
for tool in tempest openstack node curl jq envsubst; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done
[ -f "$ROOT/dist/src/cli/main.js" ] || die "$ROOT/dist is missing: run npx tsc -p . first"

# --- temp dirs, cleanup -----------------------------------------------------
TMP=$(mktemp -d /tmp/cloudlet-tempest.XXXXXX)
CLOUDLET_PID=""
HEARTBEAT_PID=""
cleanup() {
  local rc=$?
  if [ -n "$HEARTBEAT_PID" ]; then kill "$HEARTBEAT_PID" 2>/dev/null || true; fi
  if [ -n "$CLOUDLET_PID" ] && kill -0 "$CLOUDLET_PID" 2>/dev/null; then
    kill -TERM "$CLOUDLET_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$CLOUDLET_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$CLOUDLET_PID" 2>/dev/null || true
  fi
  if [ -n "$OUT" ] && [ -d "$TMP" ]; then
    mkdir -p "$OUT"
    cp -f "$TMP/cloudlet.log" "$OUT/" 2>/dev/null || true
    cp -f "$TMP/workspace/logs/tempest.log" "$OUT/" 2>/dev/null || true
    cp -f "$TMP/workspace/etc/tempest.conf" "$TMP/workspace/etc/accounts.yaml" "$OUT/" 2>/dev/null || true
  fi
  rm -rf "$TMP"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
IDENTITY_PORT=$(free_port)
NETWORK_PORT=$(free_port)
REGISTRY_PORT=$(free_port)
while [ "$NETWORK_PORT" = "$IDENTITY_PORT" ]; do NETWORK_PORT=$(free_port); done
while [ "$REGISTRY_PORT" = "$IDENTITY_PORT" ] || [ "$REGISTRY_PORT" = "$NETWORK_PORT" ]; do REGISTRY_PORT=$(free_port); done
ADMIN_PASSWORD="admin-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"

# --- cloudlet up --------------------------------------------------------------
mkdir -p "$TMP/home" "$TMP/data"
log "starting cloudlet up (identity :$IDENTITY_PORT, network :$NETWORK_PORT, registry :$REGISTRY_PORT) in $TMP"
(
  cd "$TMP"
  exec env -i PATH="$PATH" HOME="$TMP/home" LANG=C.UTF-8 \
    CLOUDLET_DATA_DIR="$TMP/data" CLOUDLET_LOG_LEVEL="${CLOUDLET_LOG_LEVEL:-warn}" \
    CLOUDLET_IDENTITY__PORT="$IDENTITY_PORT" CLOUDLET_BOOTSTRAP_PASSWORD="$ADMIN_PASSWORD" \
    REGISTRY_HTTP_ADDR="127.0.0.1:$REGISTRY_PORT" \
    node "$ROOT/dist/src/cli/main.js" up --port "$NETWORK_PORT"
) >"$TMP/cloudlet.log" 2>&1 &
CLOUDLET_PID=$!
for _ in $(seq 600); do
  grep -q 'wrote the cloud' "$TMP/cloudlet.log" 2>/dev/null && break
  kill -0 "$CLOUDLET_PID" 2>/dev/null || { cat "$TMP/cloudlet.log" >&2; die "cloudlet up exited"; }
  sleep 0.1
done
grep -q 'wrote the cloud' "$TMP/cloudlet.log" || { cat "$TMP/cloudlet.log" >&2; die "cloudlet up did not start in 60 s"; }

# --- provisioning with the stock client -------------------------------------
OSENV=(env -i PATH="$PATH" HOME="$TMP/home" LANG=C.UTF-8 LC_ALL=C.UTF-8 OS_CLOUD=cloudlet)
os() { "${OSENV[@]}" openstack "$@" || die "openstack $*"; }
# one `openstack` process reads many commands from stdin (much faster than one per command)
os_batch() { "${OSENV[@]}" openstack >"$TMP/batch.out" 2>&1 || { cat "$TMP/batch.out" >&2; die "openstack batch"; }
  if grep -qiE '^(Error|.*Exception)|HTTP [45][0-9][0-9]|No .* found' "$TMP/batch.out"; then cat "$TMP/batch.out" >&2; die "openstack batch"; fi; }

log "provisioning 8 member users in 8 projects, 3 admins, the external network"
{
  for i in $(seq 1 8); do
    echo "project create --domain Default tempest-member-$i"
    echo "user create --domain Default --password pw-member-$i tempest-member-$i"
    echo "role add --project tempest-member-$i --user tempest-member-$i member"
  done
  for i in $(seq 1 3); do
    echo "project create --domain Default tempest-admin-$i"
    echo "user create --domain Default --password pw-admin-$i tempest-admin-$i"
    echo "role add --project tempest-admin-$i --user tempest-admin-$i admin"
  done
} | os_batch
PROJECTS=$(os project list -f json)
project_id() { jq -r --arg n "$1" '.[] | select(.Name == $n) | .ID' <<<"$PROJECTS"; }

WS="$TMP/workspace"
# the workspace registry in the temp dir too, not ~/.tempest (shared with any other run)
tempest init --workspace-path "$TMP/workspaces.yaml" "$WS" >"$TMP/init.out" 2>&1 || { cat "$TMP/init.out" >&2; die "tempest init"; }
ACCOUNTS="$WS/etc/accounts.yaml"
: >"$ACCOUNTS"
# one accounts.yaml entry: tempest-<kind>-<n>, in its own project, with one role
account() {
  local name="tempest-$1-$2" pid
  pid=$(project_id "$name"); [ -n "$pid" ] || die "project $name missing"
  cat >>"$ACCOUNTS" <<EOF
- username: $name
  project_name: $name
  project_id: $pid
  password: pw-$1-$2
  domain_name: Default
  roles:
  - $3
EOF
}
for i in $(seq 1 8); do account member "$i" member; done
for i in $(seq 1 3); do account admin "$i" admin; done

PUBLIC_NETWORK_ID=$(os network create -f value -c id --external --provider-network-type flat \
  --provider-physical-network public public)
os subnet create -f value -c id --network "$PUBLIC_NETWORK_ID" --subnet-range 172.24.4.0/24 \
  --gateway 172.24.4.1 --no-dhcp public-subnet >/dev/null

# --- tempest.conf -------------------------------------------------------------
TOKEN=$(os token issue -f value -c id)

# --- agents ---------------------------------------------------------------------
# The agent tests need agents: an L2 and a DHCP agent for this host report through the
# agent API (as `cloudlet agent` does) every 30 s while tempest runs, so they stay alive
# (agent_down_time 75 s) and the DHCP agent is scheduled the tests' networks. They wire
# nothing: the API tests only read and move their records.
AGENT_HOST="tempest-$(hostname -s)"
report_agents() {
  local start=$1
  curl -fsS -o /dev/null -H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/json' \
    -d "{\"host\":\"$AGENT_HOST\",\"agent_type\":\"Linux bridge agent\",\"binary\":\"neutron-linuxbridge-agent\",\"topic\":\"N/A\",\"start_flag\":$start,\"configurations\":{\"tunneling_ip\":\"127.0.0.1\",\"tunnel_types\":[\"vxlan\"],\"interface_mappings\":{},\"bridge_mappings\":{},\"l2_population\":true,\"devices\":0}}" \
    "http://127.0.0.1:$NETWORK_PORT/agent-api/v1/report" &&
  curl -fsS -o /dev/null -H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/json' \
    -d "{\"host\":\"$AGENT_HOST\",\"agent_type\":\"DHCP agent\",\"binary\":\"neutron-dhcp-agent\",\"topic\":\"dhcp_agent\",\"start_flag\":$start,\"configurations\":{\"dhcp_driver\":\"dnsmasq\",\"networks\":0,\"subnets\":0,\"ports\":0}}" \
    "http://127.0.0.1:$NETWORK_PORT/agent-api/v1/report"
}
report_agents true || die "POST /agent-api/v1/report"
( while sleep 30; do report_agents false || true; done ) >/dev/null 2>&1 &
HEARTBEAT_PID=$!
log "agents for host $AGENT_HOST reporting"
API_EXTENSIONS=$(curl -fsS -H "X-Auth-Token: $TOKEN" "http://127.0.0.1:$NETWORK_PORT/v2.0/extensions" \
  | jq -r '[.extensions[].alias] | sort | join(",")') || die "GET /v2.0/extensions"
[ -n "$API_EXTENSIONS" ] || die "GET /v2.0/extensions listed nothing"
export WORKSPACE="$WS" IDENTITY_PORT PUBLIC_NETWORK_ID ADMIN_PASSWORD API_EXTENSIONS
envsubst '$WORKSPACE $IDENTITY_PORT $PUBLIC_NETWORK_ID $ADMIN_PASSWORD $API_EXTENSIONS' \
  <"$ROOT/test/e2e/tempest.conf.template" >"$WS/etc/tempest.conf"
sed -i "s|^test_accounts_file = .*|test_accounts_file = $ACCOUNTS|" "$WS/etc/tempest.conf"
log "api_extensions = $API_EXTENSIONS"

# --- tempest run ----------------------------------------------------------------
log "tempest $(dpkg-query -W -f '${Version}' tempest), neutron-tempest-plugin $(dpkg-query -W -f '${Version}' neutron-tempest-plugin)"
log "tempest run --concurrency $CONCURRENCY --regex '$REGEX'"
cd "$WS"
set +e
env -u OS_CLOUD HOME="$TMP/home" tempest run --concurrency "$CONCURRENCY" --regex "$REGEX" 2>&1 | tee "$TMP/tempest-run.txt"
set -e
if [ -n "$OUT" ]; then
  mkdir -p "$OUT"
  cp -f "$TMP/tempest-run.txt" "$OUT/"
  stestr last --subunit >"$OUT/tempest.subunit" 2>/dev/null || true
  stestr failing --list >"$OUT/failing.txt" 2>/dev/null || true
fi

echo
echo "== summary (tempest $(dpkg-query -W -f '${Version}' tempest), neutron-tempest-plugin $(dpkg-query -W -f '${Version}' neutron-tempest-plugin), $(date -u +%F))"
sed -n '/^Totals$/,/^Sum of execute time/p' "$TMP/tempest-run.txt"
exit 0
