#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for `make test`:
#   scripts/test-postgres.sh start DIR   → initializes and starts it, prints the admin URL
#   scripts/test-postgres.sh stop DIR    → stops it (no error when it is not running)
# It listens only on a Unix socket in DIR. PostgreSQL refuses to run as root, so as root the
# cluster runs as the unprivileged user `ledgerline` (created when missing).
set -euo pipefail
action=${1:?start|stop}
dir=${2:?directory}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] || bin=$(dirname "$(command -v initdb)")

as_user() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u ledgerline -- "$@"; else "$@"; fi
}

case "$action" in
  start)
    if [ "$(id -u)" -eq 0 ] && ! id -u ledgerline >/dev/null 2>&1; then
      useradd --system --no-create-home --shell /usr/sbin/nologin ledgerline
    fi
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown ledgerline:ledgerline "$dir"
    chmod 700 "$dir"
    if [ ! -f "$dir/pg/PG_VERSION" ]; then
      as_user "$bin/initdb" -D "$dir/pg" -U postgres --auth=trust --encoding=UTF8 --no-locale --no-instructions >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log"; exit 1; }
    fi
    as_user "$bin/pg_ctl" start -D "$dir/pg" -w -t 60 -l "$dir/pg.log" \
      -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c unix_socket_permissions=0777 -p 5432 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      >/dev/null || { cat "$dir/pg.log"; exit 1; }
    echo "postgres://postgres@/postgres?host=$dir"
    ;;
  stop)
    [ -f "$dir/pg/PG_VERSION" ] && as_user "$bin/pg_ctl" stop -D "$dir/pg" -m immediate -w >/dev/null 2>&1 || true
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
