#!/usr/bin/env bash
# The README's "Production on PostgreSQL + PostGIS", followed line by line on a fresh PostgreSQL 15 + PostGIS:
# a throwaway cluster of its own (127.0.0.1:55433, PGDATA /tmp/outages-production-pg; never the test cluster of
# .ci/postgis.sh on 55432), set up as Debian sets one up (peer for the superuser on the socket, passwords over
# TCP), then the role, the database and PostGIS as the superuser, the settings in a `.env`, `db upgrade`, the
# first admin, the facility layer, the registry, the history, `serve --workers 2`, health and an admin sign-in
# with curl, `tick` from cron's empty environment; then the failures an operator meets first, each of which
# must be one plain sentence with its fix (exit 1, no traceback).  Stops everything it started.
#   .ci/production.sh        (as root: initdb runs as the postgres user; exit 0 when every step worked)
# PRODUCTION_PGDATA, PRODUCTION_PGPORT, PRODUCTION_APP_PORT, PRODUCTION_WRONG_PORT move it (the test does).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
export PGDATA=${PRODUCTION_PGDATA:-/tmp/outages-production-pg}
export PGPORT=${PRODUCTION_PGPORT:-55433}
export PGHOST=$PGDATA           # the superuser's commands go through the socket, as on the database server
APP_PORT=${PRODUCTION_APP_PORT:-18433}
WRONG_PORT=${PRODUCTION_WRONG_PORT:-55434}   # where nothing listens
WORK=$(mktemp -d /tmp/outages-production.XXXXXX)
SRV=$WORK/srv                   # the README's /srv/outages: its .env, and .venv from this clone
SERVER_PID=""
# an operator starts with none of the test suite's settings
for name in $(compgen -e | grep '^OUTAGES_' || true); do unset "$name"; done

step() { printf '\n== [%ss] %s\n' "$SECONDS" "$*"; }
fail() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }
# The README's `sudo -u postgres …` (runuser: no sudo here; setsid: no terminal, so prompts read stdin).
sudo() { [ "$1" = -u ] || fail "sudo: only -u USER is supported here"; local user=$2; shift 2
         (cd / && setsid -w runuser -u "$user" -- "$@"); }
stop_cluster() { [ -f "$PGDATA/postmaster.pid" ] && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -m fast \
                   stop >/dev/null 2>&1 || true; }
cleanup() {
  local rc=$?
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID"; for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$SERVER_PID" 2>/dev/null && { kill -KILL "$SERVER_PID"; echo "server $SERVER_PID killed"; }
  fi
  [ $rc -ne 0 ] && [ -f "$WORK/serve.log" ] && { echo "--- serve.log"; tail -n 40 "$WORK/serve.log"; }
  [ $rc -ne 0 ] && [ -f "$PGDATA/server.log" ] && { echo "--- PostgreSQL server.log"; tail -n 20 "$PGDATA/server.log"; }
  stop_cluster
  rm -rf "$WORK" "$PGDATA"
  [ $rc -eq 0 ] && printf '\n== production path: every step worked\n' || printf '\n== production path FAILED (%s)\n' $rc
  exit $rc
}
trap cleanup EXIT

# expect_plain WORDS COMMAND…: the command fails with exit code 1 and says one line, no traceback, that holds
# WORDS and its fix
expect_plain() {
  local want=$1 out rc=0; shift
  out=$(timeout 120 "$@" 2>&1) || rc=$?
  printf '   OUTAGES_DATABASE_URL=%s %s\n   -> exit %s: %s\n' "${OUTAGES_DATABASE_URL/$DB_PASSWORD/…}" "$*" "$rc" "$out"
  [ "$rc" -eq 1 ] || fail "exit code $rc, not 1"
  [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || fail "more than one line"
  case $out in *Traceback*) fail "a traceback";; esac
  case $out in *"$want"*) ;; *) fail "the output does not say \"$want\"";; esac
  case $out in *"Fix:"*) ;; *) fail "the output gives no fix";; esac
}
# plain NAME URL WORDS COMMAND…: expect_plain on the database URL, in the background; wait_plain reports them all
PLAIN=()
plain() { local name=$1 url=$2; shift 2
          ( OUTAGES_DATABASE_URL=$url expect_plain "$@" ) >"$WORK/plain.$name" 2>&1 &
          PLAIN+=("$name:$!"); }
wait_plain() { local entry bad=0
               for entry in "${PLAIN[@]}"; do wait "${entry#*:}" || bad=1; cat "$WORK/plain.${entry%%:*}"; done
               [ $bad -eq 0 ] || fail "a failure was not one plain sentence"; }

[ "$(id -u)" -eq 0 ] || fail "run as root (initdb runs as the postgres user)"
[ -x "$REPO/.venv/bin/outages" ] || fail "no .venv: run make setup first"
step "a fresh PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') + PostGIS on 127.0.0.1:$PGPORT ($PGDATA)"
stop_cluster; rm -rf "$PGDATA"; mkdir -p "$PGDATA"; chown postgres:postgres "$PGDATA"
runuser -u postgres -- "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth-local=peer --auth-host=scram-sha-256 \
  --no-sync >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -w -l "$PGDATA/server.log" \
  -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGDATA -c fsync=off -c synchronous_commit=off" start >/dev/null

step "README: the role, the database it owns, PostGIS (as the superuser)"
DB_PASSWORD=$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')
printf '%s\n%s\n' "$DB_PASSWORD" "$DB_PASSWORD" | sudo -u postgres createuser --pwprompt outages >/dev/null
sudo -u postgres createdb -O outages outages
sudo -u postgres psql -d outages -c 'CREATE EXTENSION postgis'

step "README: the settings in $SRV/.env (the working directory's .env is read)"
mkdir -p "$SRV"; ln -s "$REPO/.venv" "$SRV/.venv"; cd "$SRV"
ADMIN_PASSWORD=$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')
cat > .env <<EOF
OUTAGES_DATABASE_URL=postgresql+psycopg://outages:$DB_PASSWORD@127.0.0.1:$PGPORT/outages
OUTAGES_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')
OUTAGES_PUBLIC_URL=https://outages.example.coop
OUTAGES_ALLOWED_HOSTS=outages.example.coop,127.0.0.1
OUTAGES_TRUSTED_PROXIES=127.0.0.1
OUTAGES_SCHEDULER=false
EOF
chmod 600 .env
sed 's/=.*/=…/' .env

step "README: outages db upgrade"
.venv/bin/outages db upgrade

step "README: outages users create-admin admin"
if out=$(OUTAGES_ADMIN_PASSWORD=$ADMIN_PASSWORD .venv/bin/outages users create-admin admin 2>&1); then
  printf '%s\n' "$out"
else
  case $out in
  *"unexpected extra argument"*)  # a version that takes the name only as an option
    echo "   (this version takes the name as --username admin, not as an argument)"
    OUTAGES_ADMIN_PASSWORD=$ADMIN_PASSWORD .venv/bin/outages users create-admin --username admin;;
  *) printf '%s\n' "$out"; fail "users create-admin admin";;
  esac
fi

step "the GIS department's files: the synthetic sample at 2 % (facilities.gpkg, registry.xlsx, history)"
.venv/bin/outages sample generate --scale 0.02 --out "$WORK/files" 2>&1 | tail -n 1

step "README: outages facilities import facilities.gpkg"
.venv/bin/outages facilities import "$WORK/files/facilities.gpkg" 2>&1 | tail -n 1

step "README: outages registry import registry.xlsx"
.venv/bin/outages registry import "$WORK/files/registry.xlsx"

step "README (optional): outages interruptions import history (CSV here; .xlsx alike)"
.venv/bin/outages interruptions import "$WORK/files/interruptions.csv" 2>&1 | tail -n 1

step "README: outages serve --workers 2 (in the background, port $APP_PORT)"
.venv/bin/outages serve --host 127.0.0.1 --port "$APP_PORT" --workers 2 >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
BASE=http://127.0.0.1:$APP_PORT
deadline=$((SECONDS + 90))
until curl -fs "$BASE/api/health" >/dev/null 2>&1; do
  kill -0 "$SERVER_PID" 2>/dev/null || fail "serve exited: $(cat "$WORK/serve.log")"
  [ $SECONDS -lt $deadline ] || fail "serve did not answer /api/health within 90 s"
  sleep 0.1
done
workers=$(ps --ppid "$SERVER_PID" -o args= | grep -c 'spawn_main' || true)
echo "   serve $SERVER_PID runs $workers worker processes"
[ "$workers" -ge 2 ] || fail "fewer than 2 worker processes"

step "GET /api/health, through the proxy's Host and directly"
health=$(curl -fsS -H 'Host: outages.example.coop' "$BASE/api/health")
echo "   $health"
[ "$(jq -r .database <<<"$health")" = postgresql ] || fail "health does not say postgresql"
curl -fsS "$BASE/api/health" >/dev/null || fail "127.0.0.1 is not an allowed host"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: elsewhere.example' "$BASE/api/health")
echo "   an unknown Host gets $code"
[ "$code" = 400 ] || fail "an unknown Host got $code, not 400"

step "an admin signs in (POST /api/auth/token, GET /api/auth/me)"
token=$(curl -fsS -d "username=admin&password=$ADMIN_PASSWORD" "$BASE/api/auth/token" | jq -r .access_token)
[ -n "$token" ] && [ "$token" != null ] || fail "no token"
me=$(curl -fsS -H "Authorization: Bearer $token" "$BASE/api/auth/me")
echo "   $me"
[ "$(jq -r .role <<<"$me")" = admin ] || fail "not signed in as admin"
code=$(curl -s -o /dev/null -w '%{http_code}' -d "username=admin&password=wrong-password" "$BASE/api/auth/token")
[ "$code" = 401 ] || fail "a wrong password got $code, not 401"

step "README: cron's line, in cron's empty environment: cd $SRV && .venv/bin/outages tick"
env -i PATH=/usr/bin:/bin HOME=/nonexistent sh -c "cd '$SRV' && .venv/bin/outages tick"

step "serve stops on SIGTERM"
kill -TERM "$SERVER_PID"
for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$SERVER_PID" 2>/dev/null && fail "serve still runs 10 s after SIGTERM"
SERVER_PID=""

step "failures are one plain sentence with the fix (exit 1, no traceback)"
url() { echo "postgresql+psycopg://outages:${2:-$DB_PASSWORD}@127.0.0.1:${3:-$PGPORT}/$1"; }
# no PostGIS; made by postgres, not the role (the old README); PostGIS but not migrated
sudo -u postgres psql -q <<'SQL'
CREATE DATABASE nopostgis OWNER outages;
CREATE DATABASE notowned;
CREATE DATABASE empty OWNER outages;
\c notowned
CREATE EXTENSION postgis;
\c empty
CREATE EXTENSION postgis;
SQL
plain port "$(url outages "" "$WRONG_PORT")" "Cannot connect" .venv/bin/outages db upgrade
plain password "$(url outages wrong-password)" "refused the password" .venv/bin/outages db upgrade
plain database "$(url missing)" '"missing" does not exist' .venv/bin/outages db upgrade
plain postgis "$(url nopostgis)" "PostGIS extension is not installed" .venv/bin/outages db upgrade
plain owner "$(url notowned)" "may not create tables in schema public" .venv/bin/outages db upgrade
plain schema "$(url empty)" "outages db upgrade" .venv/bin/outages serve --port "$APP_PORT"
wait_plain
