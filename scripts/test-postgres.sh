#!/usr/bin/env bash
# A throwaway PostgreSQL server for the test suite: a fresh cluster in a temporary directory,
# listening only on 127.0.0.1 on a free port, with fsync off (the data is disposable).
#
#   eval "$(bash scripts/test-postgres.sh start)"    # prints the export line (and the dir)
#   python -m pytest -q                               # PostgreSQL tests now run, not skip
#   bash scripts/test-postgres.sh stop "$TOKENBASE_TEST_PG_DIR"
#
# `start [DIR]` initialises DIR (default: a new temporary directory), starts the server and
# prints `export TOKENBASE_TEST_PG_URL=postgresql+psycopg://...` plus `TOKENBASE_TEST_PG_DIR`.
# `stop DIR` stops that server and deletes DIR. initdb refuses to run as root, so as root the
# server runs as the `postgres` user (created by Debian's postgresql package), or as a
# `tokenbase-pg` system user made here when that one does not exist.
# Needs the PostgreSQL server binaries: `apt-get install postgresql` (.ci/run does it).
set -euo pipefail

PG_USER_NAME=tokenbase
PG_PASSWORD=tokenbase
PG_DATABASE=tokenbase_test

die() {
  echo "test-postgres.sh: $*" >&2
  exit 1
}

find_bindir() {
  local candidate
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v initdb)")"
    return
  fi
  for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$candidate/initdb" ]; then
      echo "$candidate"
      return
    fi
  done
  die "no PostgreSQL server binaries (initdb): apt-get install postgresql"
}

# Run a command as the non-root owner of the cluster (or as ourselves when not root).
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$OWNER" -- "$@"
  else
    "$@"
  fi
}

pick_owner() {
  if [ "$(id -u)" -ne 0 ]; then
    OWNER=$(id -un)
  elif id postgres >/dev/null 2>&1; then
    OWNER=postgres
  else
    id tokenbase-pg >/dev/null 2>&1 || useradd --system --no-create-home tokenbase-pg
    OWNER=tokenbase-pg
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
  local dir=${1:-}
  local bindir port
  bindir=$(find_bindir)
  pick_owner
  if [ -z "$dir" ]; then
    dir=$(mktemp -d "${TMPDIR:-/tmp}/tokenbase-pg.XXXXXX")
  fi
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  [ -z "$(ls -A "$dir")" ] || die "$dir is not empty"
  cd "$dir" # the server's user may not be allowed into the caller's directory
  [ "$(id -u)" -ne 0 ] || chown "$OWNER" "$dir"
  chmod 700 "$dir"
  printf '%s\n' "$PG_PASSWORD" >"$dir/pwfile"
  [ "$(id -u)" -ne 0 ] || chown "$OWNER" "$dir/pwfile"
  as_owner "$bindir/initdb" -D "$dir/data" -U "$PG_USER_NAME" --pwfile="$dir/pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  rm -f "$dir/pwfile"
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start -o \
      "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off \
       -c full_page_writes=off -c max_connections=200" >/dev/null 2>&1; then
      break
    fi
    [ "$attempt" -lt 5 ] || { cat "$dir/server.log" >&2; die "the server did not start"; }
  done
  as_owner "$bindir/createdb" -h "$dir" -p "$port" -U "$PG_USER_NAME" "$PG_DATABASE"
  echo "export TOKENBASE_TEST_PG_URL=postgresql+psycopg://$PG_USER_NAME:$PG_PASSWORD@127.0.0.1:$port/$PG_DATABASE"
  echo "export TOKENBASE_TEST_PG_DIR=$dir"
  echo "# stop it with: bash scripts/test-postgres.sh stop $dir" >&2
}

stop() {
  local dir=${1:-}
  [ -n "$dir" ] || die "usage: test-postgres.sh stop DIR"
  [ -d "$dir/data" ] || { rm -rf "$dir"; return 0; }
  cd /
  local bindir
  bindir=$(find_bindir)
  pick_owner
  as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

case "${1:-}" in
  start) start "${2:-}" ;;
  stop) stop "${2:-}" ;;
  *) die "usage: test-postgres.sh start [DIR] | stop DIR" ;;
esac
