#!/usr/bin/env bash
# Start (or stop) a throwaway PostgreSQL + PostGIS on 127.0.0.1 for the test suite.
#   .ci/postgis.sh start   -> prints the SQLAlchemy URL on stdout
#   .ci/postgis.sh stop
set -euo pipefail
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PGDATA=${PGDATA_DIR:-/tmp/outages-test-pg}
PORT=${PGPORT_TEST:-55432}
case "${1:-start}" in
start)
  if [ -f "$PGDATA/postmaster.pid" ] && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
    :
  else
    rm -rf "$PGDATA"; mkdir -p "$PGDATA"; chown postgres:postgres "$PGDATA"
    runuser -u postgres -- "$PGBIN/initdb" -D "$PGDATA" -U postgres -A trust --no-sync >/dev/null
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -w -l "$PGDATA/server.log" \
      -o "-c listen_addresses=127.0.0.1 -p $PORT -k $PGDATA -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null
  fi
  psql -h 127.0.0.1 -p "$PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='outages_test'" | grep -q 1 \
    || psql -h 127.0.0.1 -p "$PORT" -U postgres -qc "CREATE DATABASE outages_test" >/dev/null
  psql -h 127.0.0.1 -p "$PORT" -U postgres -d outages_test -qc "CREATE EXTENSION IF NOT EXISTS postgis" >/dev/null
  echo "postgresql+psycopg://postgres@127.0.0.1:$PORT/outages_test"
  ;;
stop)
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -m fast stop >/dev/null 2>&1 || true
  ;;
esac
