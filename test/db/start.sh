#!/usr/bin/env bash
# Starts private MariaDB 10.11 (binlog ROW, FULL image, GTID) and PostgreSQL 15 (wal_level=logical) on
# loopback, data under $FERRY_DB_DIR. Idempotent: servers already running are left alone; missing
# packages are installed with apt-get (as root).
# FERRY_DB_PROFILE=test (the default) trades durability for test speed (no fsync, large buffers);
# FERRY_DB_PROFILE=debian keeps the Debian packages' defaults (durable commits, 128 MB buffers) and adds only
# what replication needs: the benchmark runs on that one, as a production server would be set up.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/env.sh"
mkdir -p "$FERRY_DB_DIR"
log() { echo "[db] $*" >&2; }

ensure_packages() {
  local need=()
  command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || need+=(mariadb-server mariadb-client)
  [ -x /usr/lib/postgresql/15/bin/postgres ] || need+=(postgresql-15 postgresql-client-15)
  command -v openssl >/dev/null 2>&1 || need+=(openssl)
  if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]}"
    if [ "$(id -u)" != 0 ]; then echo "[db] need root to apt-get install ${need[*]}" >&2; exit 1; fi
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
}

# A self-signed CA and a server certificate for TLS tests (both servers use the same pair).
ensure_certs() {
  local d=$FERRY_DB_DIR/tls
  [ -f "$d/server.crt" ] && return 0
  mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=ferry-test-ca" -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$d/ext.cnf"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 3650 -extfile "$d/ext.cnf" -out "$d/server.crt" 2>/dev/null
  # A second, unrelated CA for "wrong CA" tests.
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=ferry-other-ca" -keyout "$d/other-ca.key" -out "$d/other-ca.crt" 2>/dev/null
  chmod 644 "$d"/*.crt; chmod 600 "$d"/*.key
}

profile=${FERRY_DB_PROFILE:-test}
case $profile in test|debian) ;; *) echo "[db] FERRY_DB_PROFILE must be test or debian, not $profile" >&2; exit 2;; esac
my_tuning() {
  [ "$profile" = test ] || return 0
  printf '%s\n' innodb_buffer_pool_size=1G innodb_log_file_size=256M innodb_flush_log_at_trx_commit=2 sync_binlog=0
}
pg_tuning() {
  [ "$profile" = test ] || return 0
  printf '%s\n' 'shared_buffers = 512MB' 'maintenance_work_mem = 256MB' 'fsync = off' 'synchronous_commit = off' \
    'full_page_writes = off' 'max_wal_size = 4GB'
}

# Runs a command that starts a server with no file descriptor above 2 inherited: a caller's lock file (e.g.
# `flock /tmp/x.lock npm run bench`) must not stay locked for as long as the server lives.
# Call it in a subshell: it replaces the shell it runs in.
without_inherited_fds() {
  for fd in /proc/$BASHPID/fd/*; do
    fd=${fd##*/}
    if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec $fd>&-"; fi
  done
  exec "$@"
}

start_mariadb() {
  local dir=$FERRY_DB_DIR/mariadb sock=$FERRY_DB_DIR/mariadb/mysqld.sock
  if [ -S "$sock" ] && mariadb-admin --socket="$sock" -uroot -p"$FERRY_MYSQL_PASSWORD" ping >/dev/null 2>&1; then
    return 0
  fi
  mkdir -p "$dir"
  cat > "$dir/my.cnf" <<CNF
[mariadbd]
user=root
datadir=$dir/data
socket=$sock
pid-file=$dir/mysqld.pid
port=$FERRY_MYSQL_PORT
bind-address=127.0.0.1
skip-name-resolve
log-error=$dir/error.log
server-id=1
log-bin=$dir/data/binlog
binlog_format=ROW
binlog_row_image=FULL
binlog_annotate_row_events=ON
binlog_row_metadata=FULL
expire_logs_days=2
gtid_strict_mode=ON
local_infile=ON
max_allowed_packet=256M
max_connections=300
character-set-server=utf8mb4
collation-server=utf8mb4_general_ci
$(my_tuning)
ssl_ca=$FERRY_DB_DIR/tls/ca.crt
ssl_cert=$FERRY_DB_DIR/tls/server.crt
ssl_key=$FERRY_DB_DIR/tls/server.key
CNF
  if [ ! -d "$dir/data/mysql" ]; then
    log "initialising MariaDB in $dir/data"
    mariadb-install-db --defaults-file="$dir/my.cnf" --auth-root-authentication-method=normal >"$dir/install.log" 2>&1
    local fresh=1
  fi
  local auth=(-p"$FERRY_MYSQL_PASSWORD"); [ "${fresh:-}" = 1 ] && auth=(--skip-password)
  (without_inherited_fds setsid mariadbd --defaults-file="$dir/my.cnf" >/dev/null 2>&1 < /dev/null) &
  for _ in $(seq 1 120); do
    if [ -S "$sock" ] && mariadb-admin --socket="$sock" -uroot "${auth[@]}" ping >/dev/null 2>&1; then break; fi
    sleep 0.25
  done
  if [ "${fresh:-}" = 1 ]; then
    mariadb --socket="$sock" -uroot <<SQL
ALTER USER 'root'@'localhost' IDENTIFIED BY '$FERRY_MYSQL_PASSWORD';
CREATE OR REPLACE USER 'root'@'127.0.0.1' IDENTIFIED BY '$FERRY_MYSQL_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
FLUSH PRIVILEGES;
SQL
  fi
  mariadb-admin --socket="$sock" -uroot -p"$FERRY_MYSQL_PASSWORD" ping >/dev/null || { tail -20 "$dir/error.log" >&2; exit 1; }
  log "MariaDB on 127.0.0.1:$FERRY_MYSQL_PORT"
}

start_postgres() {
  local dir=$FERRY_DB_DIR/postgres bin=/usr/lib/postgresql/15/bin
  local as=(); [ "$(id -u)" = 0 ] && as=(runuser -u postgres --)
  if [ -f "$dir/data/postmaster.pid" ] && "${as[@]}" "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    return 0
  fi
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    log "initialising PostgreSQL in $dir/data"
    local pwfile=$dir/pw; echo "$FERRY_PG_PASSWORD" > "$pwfile"; [ "$(id -u)" = 0 ] && chown postgres "$pwfile"
    "${as[@]}" "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1
    rm -f "$pwfile"
    cp "$FERRY_DB_DIR/tls/server.crt" "$FERRY_DB_DIR/tls/server.key" "$dir/data/"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir/data/server.crt" "$dir/data/server.key"
    chmod 600 "$dir/data/server.key"
    cat >> "$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $FERRY_PG_PORT
unix_socket_directories = '$dir'
wal_level = logical
max_replication_slots = 40
max_wal_senders = 40
max_connections = 300
$(pg_tuning)
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
CONF
    cat >> "$dir/data/pg_hba.conf" <<HBA
host replication all 127.0.0.1/32 scram-sha-256
HBA
  fi
  (without_inherited_fds "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null)
  log "PostgreSQL on 127.0.0.1:$FERRY_PG_PORT"
}

ensure_packages
ensure_certs
if [ "$(id -u)" = 0 ]; then chmod 755 "$FERRY_DB_DIR"; chmod 755 "$FERRY_DB_DIR/tls"; fi
start_mariadb
start_postgres
