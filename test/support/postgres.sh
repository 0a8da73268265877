#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on loopback for the test suite.
#
#   test/support/postgres.sh start   # prints the admin URL on stdout
#   test/support/postgres.sh stop    # stops the cluster and deletes its data
#   test/support/postgres.sh url     # prints the admin URL
#
#   export CLOUDLET_TEST_DATABASE_URL=$(test/support/postgres.sh start)
#
# Needs the Debian package `postgresql`. As root the server runs as the
# `postgres` user; as any other user it runs as that user.
# Settings (environment): CLOUDLET_PG_PORT (55432), CLOUDLET_PG_DIR
# (/tmp/cloudlet-pg-$PORT), CLOUDLET_PG_DURABLE (unset). Durability is switched
# off (test data only) unless CLOUDLET_PG_DURABLE=1, which keeps PostgreSQL's
# defaults (fsync, synchronous_commit, full_page_writes on) for benchmarks:
#   CLOUDLET_PG_PORT=55433 CLOUDLET_PG_DURABLE=1 test/support/postgres.sh start
set -euo pipefail

PORT="${CLOUDLET_PG_PORT:-55432}"
DIR="${CLOUDLET_PG_DIR:-/tmp/cloudlet-pg-$PORT}"
PGUSER_NAME=cloudlet
PGPASS=cloudlet
URL="postgres://$PGUSER_NAME:$PGPASS@127.0.0.1:$PORT/postgres"

log() { echo "postgres.sh: $*" >&2; }

bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [[ -n "$d" && -x "$d/pg_ctl" ]]; then echo "$d"; return; fi
  if command -v pg_ctl >/dev/null; then dirname "$(command -v pg_ctl)"; return; fi
  log "PostgreSQL server binaries not found: install Debian package postgresql (.ci/run does)"
  exit 1
}

# Run a command as the cluster owner, from a directory it can read.
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    (cd / && runuser -u postgres -- "$@")
  else
    (cd / && "$@")
  fi
}

running() { as_owner "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; }

start() {
  if [[ -f "$DIR/data/PG_VERSION" ]] && running; then
    log "already running on 127.0.0.1:$PORT ($DIR)"
    echo "$URL"; return
  fi
  if [[ ! -f "$DIR/data/PG_VERSION" ]]; then
    rm -rf "$DIR"
    mkdir -p "$DIR"
    if [[ $(id -u) -eq 0 ]]; then chown postgres:postgres "$DIR"; fi
    chmod 700 "$DIR"
    local pwfile="$DIR/.pw"
    echo "$PGPASS" >"$pwfile"
    if [[ $(id -u) -eq 0 ]]; then chown postgres:postgres "$pwfile"; fi
    as_owner "$BIN/initdb" -D "$DIR/data" -U "$PGUSER_NAME" --pwfile="$pwfile" \
      --no-sync --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >&2
    rm -f "$pwfile"
    cat >>"$DIR/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DIR'
max_connections = 200
EOF
    if [[ "${CLOUDLET_PG_DURABLE:-}" != 1 ]]; then
      printf 'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n' >>"$DIR/data/postgresql.conf"
    fi
  fi
  as_owner "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 start >&2 || {
    log "server did not start; log follows"; cat "$DIR/server.log" >&2 || true; exit 1
  }
  log "running on 127.0.0.1:$PORT ($DIR)"
  echo "$URL"
}

stop() {
  if [[ -f "$DIR/data/PG_VERSION" ]]; then
    as_owner "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >&2 || true
  fi
  rm -rf "$DIR"
  log "stopped"
}

BIN=$(bindir)
case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) echo "$URL" ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
