#!/usr/bin/env bash
# Reference Neutron data plane: Debian's OpenStack Neutron 21 (Zed) server (ML2,
# noauth, mech drivers linuxbridge+l2population, tenant type vxlan) with its
# real agents -- neutron-linuxbridge-agent (VXLAN unicast + l2population) and
# neutron-dhcp-agent (dnsmasq) -- RPC over a private rabbitmq-server, and a
# private MariaDB.  Everything listens on 127.0.0.1 only.
#
#   bench/anchors/neutron-agents.sh PORT DIR       start; prints one line:
#       "NEUTRON_PID MARIADB_PID RABBIT_PID EPMD_PID LB_AGENT_PID DHCP_AGENT_PID"
#     (also written, with names, to DIR/pids; logs are in DIR/logs)
#   bench/anchors/neutron-agents.sh stop DIR       stop all of it and delete every
#     namespace/link it (or ports on its networks) created: qdhcp-<net>,
#     brq<net11>, vxlan-<vni in its range>, tap<port11> of its ports (and their
#     veth peers), the agent's ebtables nat chains/jumps for those taps
#     (ARP-spoofing protection), and the veth pair "na<PORT>vx"/"na<PORT>vy".
#     Namespaces a harness made for its "VMs" are the harness's to delete.  (Plain `kill` of the PIDs leaves those behind.)
#
# Loopback ports: PORT neutron API, PORT+1 mariadb, PORT+2 amqp,
#   PORT+3 erlang distribution, PORT+4 epmd, PORT+5 vxlan UDP dstport.
# Agent host name: "na<PORT>" (use it as binding:host_id).  VXLAN local_ip is
#   10.<PORT/256%256>.<PORT%256>.1/32 on a veth end "na<PORT>vx"; VNIs are
#   PORT*100+1 .. PORT*100+999 so names vxlan-N do not collide with others.
# The agents run under a restart-on-failure loop, as Debian's systemd units run them.
# Env: NA_FIREWALL=noop|iptables (agent security-group driver, default noop),
#      NA_DEBUG=true|false (agents' debug logging, default false),
#      NA_POLL=<s> (linuxbridge polling_interval, default 2 = upstream default).
# Noauth: without an X-Project-Id header requests act as admin in project
#   "fake_project_id"; quotas are off.
# A VM port is simulated like this: POST a port with binding:host_id=na<PORT>
#   and no "compute:" device_owner (for compute:* ports the agent leaves
#   bridging to nova/os-vif), then create veth tap<port-id[:11]> <-> peer with
#   the port's MAC on the peer; the agent enslaves the tap to brq<net-id[:11]>
#   within its polling interval and reports the port up.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/mariadb.sh"
export LC_ALL=C
if [ "${1:-}" = stop ]; then
  dir=$(cd "${2:?dir}" && pwd)
  NEUTRON_PID= MARIADB_PID= RABBIT_PID= EPMD_PID= LB_AGENT_PID= DHCP_AGENT_PID=
  . "$dir/pids"
  nets=$(curl -fs "http://127.0.0.1:$PORT/v2.0/networks?fields=id" 2>/dev/null |
         python3 -c 'import json,sys; print(" ".join(n["id"] for n in json.load(sys.stdin)["networks"]))' 2>/dev/null || true)
  taps=$(curl -fs "http://127.0.0.1:$PORT/v2.0/ports?fields=id" 2>/dev/null |
         python3 -c 'import json,sys; print(" ".join("tap"+p["id"][:11] for p in json.load(sys.stdin)["ports"]))' 2>/dev/null || true)
  # taps the agent has seen (covers the API being down already)
  taps="$taps $(grep -o 'Port tap[0-9a-f-]* updated' "$dir/logs/linuxbridge-agent.log" 2>/dev/null | awk '{print $2}' | sort -u || true)"
  for d in "$dir"/state/dhcp/*/; do [ -d "$d" ] && nets="$nets $(basename "$d")"; done
  for p in $LB_AGENT_PID $DHCP_AGENT_PID $NEUTRON_PID; do kill "$p" 2>/dev/null || true; done
  sleep 2
  # leftovers of ours: dnsmasq (pid files under DIR), privsep helpers
  # (their command line names DIR's config files)
  for p in "$dir"/state/dhcp/*/pid; do [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null || true; done
  for c in /proc/[0-9]*/cmdline; do
    pid=${c#/proc/}; pid=${pid%/cmdline}
    { tr '\0' ' ' <"$c"; } 2>/dev/null | grep -qF -- "$dir/etc/" && kill "$pid" 2>/dev/null || true
  done
  for n in $nets; do
    br=brq${n:0:11}
    if [ -d "/sys/class/net/$br/brif" ]; then
      for i in $(ls "/sys/class/net/$br/brif"); do
        case $i in tap*|vxlan-*) ip link del "$i" 2>/dev/null || true;; esac
      done
      ip link del "$br" 2>/dev/null || true
    fi
    ip netns del "qdhcp-$n" 2>/dev/null || true
  done
  # the linuxbridge agent's ARP-spoofing protection lives in the global ebtables
  # nat table: drop its jumps and chains for our taps
  if command -v ebtables >/dev/null; then
    for t in $taps; do
      { ebtables -t nat -L PREROUTING 2>/dev/null | grep -F -- "-i $t " || true; } | while read -r rule; do
        eval "ebtables -t nat -D PREROUTING $rule" 2>/dev/null || true
      done
      for c in neutronMAC-$t neutronARP-$t; do
        ebtables -t nat -F "$c" 2>/dev/null || true; ebtables -t nat -X "$c" 2>/dev/null || true
      done
    done
  fi
  # taps of our ports (made by whoever plugged them) and their veth peers
  for t in $taps; do ip link del "$t" 2>/dev/null || true; done
  lo=$((PORT * 100 + 1)); hi=$((PORT * 100 + 999))
  for v in $(ls /sys/class/net | grep '^vxlan-[0-9]*$' || true); do
    [ "${v#vxlan-}" -ge $lo ] && [ "${v#vxlan-}" -le $hi ] && ip link del "$v" 2>/dev/null || true
  done
  ip link del "na${PORT}vx" 2>/dev/null || true
  for p in $RABBIT_PID $MARIADB_PID; do kill "$p" 2>/dev/null || true; done
  for _ in $(seq 50); do [ -n "$RABBIT_PID" ] && kill -0 "$RABBIT_PID" 2>/dev/null || break; sleep 0.2; done
  [ -z "$EPMD_PID" ] || kill "$EPMD_PID" 2>/dev/null || true
  exit 0
fi

port=${1:?port}; dir=$(mkdir -p "${2:?dir}" && cd "$2" && pwd)
dbport=$((port + 1)); amqp=$((port + 2)); dist=$((port + 3)); epmdport=$((port + 4))
vxport=$((port + 5)); host=na$port; vxdev=na${port}vx
localip=10.$((port / 256 % 256)).$((port % 256)).1
vni_lo=$((port * 100 + 1)); vni_hi=$((port * 100 + 999))
fw=${NA_FIREWALL:-noop}; debug=${NA_DEBUG:-false}; poll=${NA_POLL:-2}

export DEBIAN_FRONTEND=noninteractive
need=()
command -v neutron-server >/dev/null || need+=(neutron-api)
dpkg -s neutron-linuxbridge-agent >/dev/null 2>&1 || need+=(neutron-linuxbridge-agent)
dpkg -s neutron-dhcp-agent >/dev/null 2>&1 || need+=(neutron-dhcp-agent)
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || need+=(rabbitmq-server)
[ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
python3 -c 'import pymysql' 2>/dev/null || need+=(python3-pymysql)
command -v dnsmasq >/dev/null || need+=(dnsmasq-base)
[ -x /bin/busybox ] || need+=(busybox-static)
command -v sudo >/dev/null || need+=(sudo)          # privsep-helper is run via sudo
command -v curl >/dev/null || need+=(curl)
command -v bridge >/dev/null || need+=(iproute2)
if [ ${#need[@]} -gt 0 ]; then
  # never let the packages start their system services (rabbitmq on 5672,
  # agents with /etc/neutron): block them for the install if nothing does
  tmp_policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; tmp_policy=1
  fi
  apt-get -o DPkg::Lock::Timeout=900 install -y -q "${need[@]}" >/dev/null
  [ -z "$tmp_policy" ] || rm -f /usr/sbin/policy-rc.d
fi
mkdir -p "$dir"/{etc,run,logs,state,lock,rabbit/home,rabbit/mnesia,rabbit/log}

# --- MariaDB -------------------------------------------------------------
mariadb_start "$dir" "$dbport"
printf 'PORT=%s\nAGENT_HOST=na%s\nMARIADB_PID=%s\n' "$port" "$port" "$dbpid" >"$dir/pids"
trap 'echo "start failed; see $dir/logs" >&2; "$0" stop "$dir"' ERR

# --- RabbitMQ (private node, own epmd, loopback only) ----------------------
/usr/bin/epmd -port "$epmdport" -address 127.0.0.1 >"$dir/logs/epmd.log" 2>&1 &
epmdpid=$!
echo "EPMD_PID=$epmdpid" >>"$dir/pids"
echo '[].' >"$dir/rabbit/enabled_plugins"
: >"$dir/rabbit/rabbitmq-env.conf"
cat >"$dir/rabbit/rabbitmq.conf" <<INI
listeners.tcp.default = 127.0.0.1:$amqp
loopback_users = none
INI
(
  export HOME="$dir/rabbit/home" ERL_EPMD_PORT=$epmdport ERL_EPMD_ADDRESS=127.0.0.1
  export RABBITMQ_NODENAME=na$port@localhost RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  export RABBITMQ_NODE_PORT=$amqp RABBITMQ_DIST_PORT=$dist
  export RABBITMQ_MNESIA_BASE="$dir/rabbit/mnesia" RABBITMQ_LOG_BASE="$dir/rabbit/log"
  export RABBITMQ_CONFIG_FILE="$dir/rabbit/rabbitmq" RABBITMQ_CONF_ENV_FILE="$dir/rabbit/rabbitmq-env.conf"
  export RABBITMQ_ADVANCED_CONFIG_FILE="$dir/rabbit/advanced.config"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$dir/rabbit/enabled_plugins" RABBITMQ_PID_FILE="$dir/run/rabbit.pid"
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
  exec /usr/lib/rabbitmq/bin/rabbitmq-server >"$dir/logs/rabbitmq.stdout" 2>&1
) &
rabbitpid=$!
echo "RABBIT_PID=$rabbitpid" >>"$dir/pids"

mariadb_database "$dir" neutron neutronpw

# --- neutron-server ------------------------------------------------------
cp /etc/neutron/api-paste.ini "$dir/etc/api-paste.ini"
transport="rabbit://guest:guest@127.0.0.1:$amqp/"
cat >"$dir/etc/neutron.conf" <<INI
[DEFAULT]
bind_host = 127.0.0.1
bind_port = $port
auth_strategy = noauth
core_plugin = ml2
service_plugins = router
allow_overlapping_ips = true
api_paste_config = $dir/etc/api-paste.ini
state_path = $dir/state
transport_url = $transport
api_workers = 2
rpc_workers = 1
rpc_state_report_workers = 1
notify_nova_on_port_status_changes = false
notify_nova_on_port_data_changes = false
dhcp_agent_notification = true
log_file = $dir/logs/neutron-server.log
[experimental]
# Debian's Zed marks the linuxbridge mechanism driver experimental
linuxbridge = true
[database]
connection = mysql+pymysql://neutron:neutronpw@127.0.0.1:$dbport/neutron
[oslo_concurrency]
lock_path = $dir/lock
[quotas]
quota_network = -1
quota_subnet = -1
quota_port = -1
quota_router = -1
quota_floatingip = -1
quota_security_group = -1
quota_security_group_rule = -1
INI
cat >"$dir/etc/ml2_conf.ini" <<INI
[ml2]
type_drivers = local,flat,vlan,vxlan
tenant_network_types = vxlan
mechanism_drivers = linuxbridge,l2population
extension_drivers = port_security
[ml2_type_flat]
flat_networks = *
[ml2_type_vxlan]
vni_ranges = $vni_lo:$vni_hi
[securitygroup]
enable_security_group = true
firewall_driver = iptables
INI

# --- agents' config --------------------------------------------------------
cat >"$dir/etc/agent.conf" <<INI
[DEFAULT]
host = $host
transport_url = $transport
state_path = $dir/state
debug = $debug
[agent]
root_helper =
[oslo_concurrency]
lock_path = $dir/lock
INI
if [ "$fw" = noop ]; then sg_enabled=false; else sg_enabled=true; fi
cat >"$dir/etc/linuxbridge_agent.ini" <<INI
[linux_bridge]
physical_interface_mappings =
[vxlan]
enable_vxlan = true
local_ip = $localip
l2_population = true
udp_dstport = $vxport
[agent]
polling_interval = $poll
[securitygroup]
enable_security_group = $sg_enabled
firewall_driver = $fw
INI
cat >"$dir/etc/dhcp_agent.ini" <<INI
[DEFAULT]
interface_driver = linuxbridge
dhcp_driver = neutron.agent.linux.dhcp.Dnsmasq
enable_isolated_metadata = false
force_metadata = false
INI
# VXLAN endpoint: a link of ours (this kernel has no "dummy" driver, so a veth
# pair na<PORT>vx <-> na<PORT>vy, both ends in the root namespace)
ip link show "$vxdev" >/dev/null 2>&1 || ip link add "$vxdev" type veth peer name "na${port}vy"
ip link set "na${port}vy" up
ip addr replace "$localip/32" dev "$vxdev"
ip link set "$vxdev" up

neutron-db-manage --config-file "$dir/etc/neutron.conf" --config-file "$dir/etc/ml2_conf.ini" upgrade heads >"$dir/logs/db-manage.log" 2>&1

for _ in $(seq 300); do
  python3 - "$transport" <<'PY' >/dev/null 2>&1 && break
import sys, kombu
c = kombu.Connection(sys.argv[1], connect_timeout=1); c.connect(); c.release()
PY
  sleep 0.2
done

neutron-server --config-file "$dir/etc/neutron.conf" --config-file "$dir/etc/ml2_conf.ini" >"$dir/logs/neutron-server.stdout" 2>&1 &
npid=$!
echo "NEUTRON_PID=$npid" >>"$dir/pids"
ok=
for _ in $(seq 300); do
  curl -fs "http://127.0.0.1:$port/v2.0/networks" >/dev/null 2>&1 && { ok=1; break; }
  sleep 0.2
done
# as Debian's systemd units (Restart=on-failure): an agent that dies is started again
# (the linuxbridge agent dies at start when a netlink dump is interrupted by other
# link changes on a busy host); the PIDs are the supervising shells' (which must not
# hold this script's stdout: whoever reads it waits for its end)
supervise() {
  local out=$1; shift
  trap 'kill $child 2>/dev/null; exit 0' TERM INT
  while :; do
    "$@" >>"$out" 2>&1 & child=$!
    wait $child && break
    echo "supervise: $1 exited $?; starting it again" >>"$out"
    sleep 0.1
  done
}
supervise "$dir/logs/linuxbridge-agent.stdout" neutron-linuxbridge-agent --config-file "$dir/etc/agent.conf" \
  --config-file "$dir/etc/linuxbridge_agent.ini" --log-file "$dir/logs/linuxbridge-agent.log" </dev/null >/dev/null 2>&1 &
lbpid=$!
supervise "$dir/logs/dhcp-agent.stdout" neutron-dhcp-agent --config-file "$dir/etc/agent.conf" \
  --config-file "$dir/etc/dhcp_agent.ini" --log-file "$dir/logs/dhcp-agent.log" </dev/null >/dev/null 2>&1 &
dhcppid=$!
printf 'LB_AGENT_PID=%s\nDHCP_AGENT_PID=%s\n' "$lbpid" "$dhcppid" >>"$dir/pids"
# wait until both agents are registered and alive
if [ -n "$ok" ]; then
  ok=
  for _ in $(seq 300); do
    n=$(curl -fs "http://127.0.0.1:$port/v2.0/agents?host=$host&alive=true&fields=agent_type" 2>/dev/null |
        python3 -c 'import json,sys; print(len(json.load(sys.stdin)["agents"]))' 2>/dev/null || echo 0)
    [ "$n" = 2 ] && { ok=1; break; }
    sleep 0.5
  done
fi
if [ -z "$ok" ]; then
  echo "neutron server or agents did not come up on port $port; see $dir/logs" >&2
  trap - ERR; "$0" stop "$dir"; exit 1
fi
trap - ERR
echo "$npid $dbpid $rabbitpid $epmdpid $lbpid $dhcppid"
