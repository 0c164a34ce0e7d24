# Sourced by .ci/run: the services the clustered cloud's tests use, a PostgreSQL server and an
# MQTT 5 broker (Mosquitto). The machine's own are used when they answer (127.0.0.1:5432 with
# trust auth, 127.0.0.1:1883); otherwise Debian's packages are installed when missing and a
# private instance of each is started in a temporary folder, on a free port, for this run only
# (the machine's configuration is not touched). FOGLINE_CI_PRIVATE_SERVICES=1 forces the
# private instances. Exports FOGLINE_TEST_PG_URL and FOGLINE_TEST_MQTT_URL for the tests.

free_port() { node -e 'const s=require("node:net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

pg_answers() { # <url>
  node -e 'const pg=require("./node_modules/pg");const c=new pg.Client({connectionString:process.argv[1],connectionTimeoutMillis:2000});c.connect().then(()=>c.query("select 1")).then(()=>process.exit(0),()=>process.exit(1))' "$1" 2>/dev/null
}
mqtt_answers() { # <url>
  node -e 'require("./node_modules/mqtt").connectAsync(process.argv[1],{connectTimeout:2000,reconnectPeriod:0,protocolVersion:5}).then((c)=>c.endAsync()).then(()=>process.exit(0),()=>process.exit(1))' "$1" 2>/dev/null
}

ci_services_dir=$(mktemp -d /tmp/fogline-ci-services-XXXXXX)
chmod 777 "$ci_services_dir"
stop_ci_services() {
  [ -n "${ci_pg_data:-}" ] && as_postgres "$ci_pg_bin/pg_ctl" -D "$ci_pg_data" -m immediate -w stop >/dev/null 2>&1
  [ -n "${ci_mosquitto_pid:-}" ] && kill "$ci_mosquitto_pid" 2>/dev/null
  rm -rf "$ci_services_dir"
}
trap stop_ci_services EXIT

export FOGLINE_TEST_PG_URL=${FOGLINE_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
if [ "${FOGLINE_CI_PRIVATE_SERVICES:-0}" = 1 ] || ! pg_answers "$FOGLINE_TEST_PG_URL"; then
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_deb_package postgresql
  ci_pg_bin=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")
  ci_pg_data="$ci_services_dir/pg"
  mkdir -p "$ci_pg_data" && [ "$(id -u)" -eq 0 ] && chown postgres "$ci_pg_data"
  port=$(free_port)
  as_postgres "$ci_pg_bin/initdb" -D "$ci_pg_data" -A trust -U postgres --no-sync -E UTF8 >/dev/null || fail "initdb failed"
  as_postgres "$ci_pg_bin/pg_ctl" -D "$ci_pg_data" -l "$ci_services_dir/pg.log" -o "-p $port -k $ci_services_dir -c listen_addresses=127.0.0.1" -w start >/dev/null \
    || fail "PostgreSQL did not start (see $ci_services_dir/pg.log)"
  export FOGLINE_TEST_PG_URL="postgres://postgres@127.0.0.1:$port/postgres"
  echo "a private PostgreSQL for this run at $FOGLINE_TEST_PG_URL"
else
  echo "the machine's PostgreSQL at $FOGLINE_TEST_PG_URL"
fi

export FOGLINE_TEST_MQTT_URL=${FOGLINE_TEST_MQTT_URL:-mqtt://127.0.0.1:1883}
if [ "${FOGLINE_CI_PRIVATE_SERVICES:-0}" = 1 ] || ! mqtt_answers "$FOGLINE_TEST_MQTT_URL"; then
  command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ] || need_deb_package mosquitto
  port=$(free_port)
  printf 'listener %s 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\n' "$port" > "$ci_services_dir/mosquitto.conf"
  chmod 644 "$ci_services_dir/mosquitto.conf"
  /usr/sbin/mosquitto -c "$ci_services_dir/mosquitto.conf" > "$ci_services_dir/mosquitto.log" 2>&1 &
  ci_mosquitto_pid=$!
  export FOGLINE_TEST_MQTT_URL="mqtt://127.0.0.1:$port"
  for _ in $(seq 50); do mqtt_answers "$FOGLINE_TEST_MQTT_URL" && break; sleep 0.2; done
  mqtt_answers "$FOGLINE_TEST_MQTT_URL" || fail "Mosquitto did not start (see $ci_services_dir/mosquitto.log)"
  echo "a private Mosquitto for this run at $FOGLINE_TEST_MQTT_URL"
else
  echo "the machine's Mosquitto at $FOGLINE_TEST_MQTT_URL"
fi
