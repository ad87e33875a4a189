#!/usr/bin/env bash
# Stops the private test databases started by start.sh (data stays; pass --clean to remove it).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/env.sh"
sock=$FERRY_DB_DIR/mariadb/mysqld.sock
if [ -S "$sock" ]; then mariadb-admin --socket="$sock" -uroot -p"$FERRY_MYSQL_PASSWORD" shutdown >/dev/null 2>&1 || true; fi
if [ -f "$FERRY_DB_DIR/postgres/data/postmaster.pid" ]; then
  as=(); [ "$(id -u)" = 0 ] && as=(runuser -u postgres --)
  "${as[@]}" /usr/lib/postgresql/15/bin/pg_ctl -D "$FERRY_DB_DIR/postgres/data" -m fast -w stop >/dev/null 2>&1 || true
fi
if [ "${1:-}" = --clean ]; then rm -rf "$FERRY_DB_DIR"; fi
echo "[db] stopped" >&2
