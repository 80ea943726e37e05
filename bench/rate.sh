#!/usr/bin/env bash
# How closely Haul's bandwidth limit (haul get --limit-rate, DownloadManager.maxBytesPerSecond)
# holds on real downloads: limits of 100 kB/s, 1 MB/s, 10 MB/s, 100 MB/s and the machine's
# maximum, one download and four sharing the limit, every 5-second window compared with the
# limit (target: within 5 %). Results: bench/RATE-LIMITS.md.
#
#   bench/rate.sh                 nginx on 127.0.0.1 when installed, else a Java server in-process
#   bench/rate.sh --java-server   always the in-process Java server
#   environment: RATE_SECONDS (default 20, per case), RATE_LIMITS (default
#                100000,1000000,10000000,100000000,max; bytes per second), RATE_PORT (default
#                28290), RATE_WORK (default /tmp/haul-rate: nginx prefix and a 1 TB sparse file),
#                JAVA (default java), MAVEN_REPO_LOCAL (passed to Maven as -Dmaven.repo.local)
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
WORK=${RATE_WORK:-/tmp/haul-rate}
PORT=${RATE_PORT:-28290}
SECONDS_PER_CASE=${RATE_SECONDS:-20}
LIMITS=${RATE_LIMITS:-100000,1000000,10000000,100000000,max}
JAVA=${JAVA:-java}
USE_NGINX=1
[ "${1:-}" = "--java-server" ] && USE_NGINX=0
command -v nginx >/dev/null 2>&1 || USE_NGINX=0

MVN=(mvn -q -B)
[ -n "${MAVEN_REPO_LOCAL:-}" ] && MVN+=("-Dmaven.repo.local=$MAVEN_REPO_LOCAL")
mkdir -p "$WORK"

echo "== installing the library snapshot (mvn -pl core -am install -DskipTests)" >&2
"${MVN[@]}" -f "$REPO/pom.xml" -pl core -am install -DskipTests >"$WORK/install.log" 2>&1 \
  || { cat "$WORK/install.log" >&2; exit 1; }
echo "== building bench/java" >&2
"${MVN[@]}" -f "$BENCH_DIR/java/pom.xml" package dependency:build-classpath \
  -Dmdep.outputFile="$WORK/classpath.txt" >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; exit 1; }
CP=$BENCH_DIR/java/target/classes:$(cat "$WORK/classpath.txt")

NGX=$WORK/nginx
stop_nginx() {
  local pid i
  [ -f "$NGX/nginx.pid" ] || return 0
  pid=$(cat "$NGX/nginx.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -QUIT "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null || true
  fi
  rm -f "$NGX/nginx.pid"
}
trap stop_nginx EXIT

ARGS=(--seconds "$SECONDS_PER_CASE" --limits "$LIMITS")
if [ "$USE_NGINX" = 1 ]; then
  mkdir -p "$NGX/logs" "$NGX/tmp" "$WORK/www"
  # A sparse file: reading its holes costs no disk, and it never runs out during a case.
  [ -f "$WORK/www/big.bin" ] || truncate -s 1T "$WORK/www/big.bin"
  stop_nginx
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    echo "port $PORT on 127.0.0.1 is taken; set RATE_PORT" >&2; exit 1
  fi
  cat > "$NGX/nginx.conf" <<CONF
worker_processes 1;
pid $NGX/nginx.pid;
error_log $NGX/logs/error.log warn;
events { worker_connections 256; }
http {
  access_log off; sendfile on; tcp_nopush on; keepalive_timeout 65;
  client_body_temp_path $NGX/tmp/body; proxy_temp_path $NGX/tmp/proxy;
  fastcgi_temp_path $NGX/tmp/fcgi; uwsgi_temp_path $NGX/tmp/uwsgi; scgi_temp_path $NGX/tmp/scgi;
  types { application/octet-stream bin; }
  server { listen 127.0.0.1:$PORT; root $WORK/www; }
}
CONF
  nginx -p "$NGX" -c "$NGX/nginx.conf" -e "$NGX/logs/error.log"
  for i in $(seq 1 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    sleep 0.1
  done
  echo "== nginx $(nginx -v 2>&1 | sed 's/.*\///') on 127.0.0.1:$PORT" >&2
  ARGS+=(--url "http://127.0.0.1:$PORT/big.bin")
fi

echo "== $("$JAVA" -version 2>&1 | head -1); $(nproc) CPUs" >&2
"$JAVA" -Xmx1g -cp "$CP" dev.haul.bench.haul.RateAccuracy "${ARGS[@]}"
