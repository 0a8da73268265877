# A private MariaDB for the anchor scripts: data, socket and logs under DIR, on
# 127.0.0.1:PORT only. Sourced by keystone.sh, neutron-server.sh and neutron-agents.sh.

# mariadb_start DIR PORT: initialises DIR/mysql on first use and starts mariadbd in
# the background; sets dbpid. DIR/run and DIR/logs must exist.
mariadb_start() {
  local dir=$1 port=$2
  if [ ! -d "$dir/mysql/mysql" ]; then
    mariadb-install-db --no-defaults --datadir="$dir/mysql" --user=root >"$dir/logs/mysql-init.log" 2>&1
  fi
  /usr/sbin/mariadbd --no-defaults --datadir="$dir/mysql" --user=root --bind-address=127.0.0.1 \
    --port="$port" --socket="$dir/run/mysql.sock" --pid-file="$dir/run/mysql.pid" \
    --log-error="$dir/logs/mysql.err" --max-connections=500 >/dev/null 2>&1 &
  dbpid=$!
}

# mariadb_database DIR NAME PASSWORD: waits for the server, then makes database NAME
# and user NAME@127.0.0.1 with PASSWORD, owning it.
mariadb_database() {
  local dir=$1 name=$2 password=$3
  for _ in $(seq 100); do mariadb --socket="$dir/run/mysql.sock" -e 'select 1' >/dev/null 2>&1 && break; sleep 0.2; done
  mariadb --socket="$dir/run/mysql.sock" <<SQL
CREATE DATABASE IF NOT EXISTS $name;
CREATE USER IF NOT EXISTS '$name'@'127.0.0.1' IDENTIFIED BY '$password';
GRANT ALL ON $name.* TO '$name'@'127.0.0.1';
SQL
}
