#!/usr/bin/env bash
# Several connections per file (issue 11): ./haul -x N against a server that caps each connection,
# against aria2c and axel on the same server, with one connection slowed to a tenth of the others,
# on an uncapped loopback server, the memory of a 16-connection stream download, and the split
# threshold (-k) on small files. Starts its own nginx on 127.0.0.1 (own prefix, pid file and
# ports), keeps the data on tmpfs, checks the SHA-256 of every output after every run (a wrong or
# missing file fails the run), interleaves the contenders (ABC.. then ..CBA), and prints one report
# of medians, ratios and target verdicts. Results: bench/README.md, "Several connections (issue 11)".
#
#   bench/segments.sh            full: 1 GiB at 16 MiB/s per connection, 3 repetitions (~25 min)
#   bench/segments.sh --smoke    CI: 32 MiB, 1 repetition, < 2 min; exit 1 if any output is wrong
#   options: --cases 1,2,3,4,5   --reps N   --jdks 25,17 (JDKs for ./haul; case 1 runs the full
#            set on the first and 1/8/auto on the others)   --size MiB   --rate MiB-per-s
#   environment: SEG_PORT_BASE (default 28480; four consecutive ports), SEG_WORK (default
#                bench/work/segments: nginx prefix, results), SEG_TMPFS (default /dev/shm/haul-seg:
#                data, downloads), JAVA17, JAVA25 (default: found under /usr/lib/jvm),
#                HAUL_LAUNCHER (default ./haul of this checkout), MAVEN_REPO_LOCAL
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
WORK=${SEG_WORK:-$BENCH_DIR/work/segments}
PORT_BASE=${SEG_PORT_BASE:-28480}
TMPFS=${SEG_TMPFS:-/dev/shm/haul-seg}
[ "$(stat -f -c %T "$(dirname "$TMPFS")" 2>/dev/null)" = tmpfs ] || TMPFS=$WORK/data

find_jdk() { # feature version
  local j
  for j in /usr/lib/jvm/java-$1-openjdk-amd64 /usr/lib/jvm/temurin-$1-jdk-amd64 /usr/lib/jvm/*-$1-* /usr/lib/jvm/jdk-$1*; do
    if [ -x "$j/bin/java" ]; then echo "$j/bin/java"; return 0; fi
  done
  return 1
}
JAVA17=${JAVA17:-$(find_jdk 17 || command -v java || echo java)}
JAVA25=${JAVA25:-$(find_jdk 25 || true)}

MODE=full
CASES=1,2,3,4,5
REPS=
JDKS=
SIZE_MIB=
RATE_MIB=
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) MODE=smoke ;;
    --full) MODE=full ;;
    --cases) CASES=$2; shift ;;
    --reps) REPS=$2; shift ;;
    --jdks) JDKS=$2; shift ;;
    --size) SIZE_MIB=$2; shift ;;
    --rate) RATE_MIB=$2; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done

MiB=1048576
if [ "$MODE" = smoke ]; then
  SIZE_MIB=${SIZE_MIB:-32}; RATE_MIB=${RATE_MIB:-16}; REPS=${REPS:-1}; STEP_TIMEOUT=60
  SMALL_SIZES="1 8"; MEM_SCENARIOS="uneven"; MEM_REPS=1
  [ -n "$JAVA25" ] && JDKS=${JDKS:-25} || JDKS=${JDKS:-17}
else
  SIZE_MIB=${SIZE_MIB:-1024}; RATE_MIB=${RATE_MIB:-16}; REPS=${REPS:-3}; STEP_TIMEOUT=600
  SMALL_SIZES="1 2 4 8 16"; MEM_SCENARIOS="free cap uneven"; MEM_REPS=1   # peaks, one run each
  [ -n "$JAVA25" ] && JDKS=${JDKS:-25,17} || JDKS=${JDKS:-17}
fi
SIZE=$((SIZE_MIB * MiB))
RATE_K=$((RATE_MIB * 1024))          # nginx limit_rate in KiB/s (k = 1024 for nginx)
SLOW_K=$((RATE_K / 10))              # case 2: one connection in eight at a tenth

P_CAP=$PORT_BASE; P_UNEVEN=$((PORT_BASE + 1)); P_FREE=$((PORT_BASE + 2)); P_PROBE=$((PORT_BASE + 3))

MVN=(mvn -q -B)
if [ -n "${MAVEN_REPO_LOCAL:-}" ]; then
  MVN+=("-Dmaven.repo.local=$MAVEN_REPO_LOCAL")
  export MAVEN_OPTS="${MAVEN_OPTS:-} -Dmaven.repo.local=$MAVEN_REPO_LOCAL"
fi

log() { printf '[segments %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
has() { case ",$CASES," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
order() { # rep contender... : ABC on odd repetitions, CBA on even ones
  local rep=$1 i; shift
  local a=("$@")
  if [ $((rep % 2)) -eq 0 ]; then
    for ((i = ${#a[@]} - 1; i >= 0; i--)); do echo "${a[$i]}"; done
  else
    printf '%s\n' "${a[@]}"
  fi
}

mkdir -p "$WORK" "$TMPFS"
OUT=$TMPFS/out
STAMP=$(date +%Y%m%d-%H%M%S)
RESULTS=$WORK/results-$MODE-$STAMP.txt
: > "$RESULTS"
FAILURES=0

# ---------------------------------------------------------------- tools and data

install_tools() {
  local missing=() pair
  for pair in nginx:nginx curl:curl aria2c:aria2 axel:axel /usr/bin/time:time sha256sum:coreutils \
              mvn:maven python3:python3; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

make_file() { # path size
  if [ ! -f "$1" ] || [ "$(stat -c %s "$1")" != "$2" ]; then
    log "generating $(basename "$1") ($2 bytes)"
    head -c "$2" /dev/urandom > "$1.tmp" && mv "$1.tmp" "$1"
    rm -f "$1.sha256"
  fi
  [ -f "$1.sha256" ] || sha256sum "$1" | cut -d' ' -f1 > "$1.sha256"
}

make_data() {
  WWW=$TMPFS/www
  mkdir -p "$WWW"
  make_file "$WWW/big-$SIZE_MIB.bin" "$SIZE"
  BIG=big-$SIZE_MIB.bin
  local s
  for s in $SMALL_SIZES; do make_file "$WWW/small-$s.bin" $((s * MiB)); done
  chmod -R a+rX "$WWW"
}

# ---------------------------------------------------------------- nginx

NGX=$WORK/nginx
stop_nginx() {
  local pid i
  [ -f "$NGX/nginx.pid" ] || return 0
  pid=$(cat "$NGX/nginx.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -QUIT "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null || true
    log "nginx stopped"
  fi
  rm -f "$NGX/nginx.pid"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Three servers on one nginx worker, the same files:
#   P_CAP     every connection capped at RATE (limit_rate applies per request; keep-alive requests
#             on one connection get the same cap, so it is a per-connection cap for every client)
#   P_UNEVEN  the same, except one connection in eight at RATE/10: nginx numbers every accepted
#             connection ($connection, a serial shared by all servers of the worker), and a map
#             sends connections whose serial is a multiple of 8 to the slow rate. Any 8 connections
#             opened one after the other therefore hold exactly one slow one, and it stays slow for
#             every request it carries (a shaped flow, not a slow request); which of the client's
#             connections it is (the first, the opening request's, or a later one) depends on the
#             serials before the run, so repetitions cover different positions. A client that
#             drops the slow connection and opens a new one gets a fast one, as a new flow would.
#   P_FREE    no cap (loopback, sendfile)
# Every request is logged (connection serial, request number on it, status, bytes, Range, rate,
# duration, end time) so each result line says how many connections and requests the client used,
# and bench/work/segments/nginx/logs/access.log shows how each client shared the work.
start_nginx() {
  mkdir -p "$NGX/logs" "$NGX/tmp"
  stop_nginx
  local p
  for p in $P_CAP $P_UNEVEN $P_FREE $P_PROBE; do
    port_free "$p" || { echo "port $p on 127.0.0.1 is taken; set SEG_PORT_BASE" >&2; exit 1; }
  done
  ACCESS=$NGX/logs/access.log
  : > "$ACCESS"
  cat > "$NGX/nginx.conf" <<EOF
worker_processes 1;
worker_rlimit_nofile 8192;
pid $NGX/nginx.pid;
error_log $NGX/logs/error.log warn;
events { worker_connections 4096; }
http {
  sendfile on; tcp_nopush on; keepalive_timeout 65; keepalive_requests 100000;
  client_body_temp_path $NGX/tmp/body; proxy_temp_path $NGX/tmp/proxy;
  fastcgi_temp_path $NGX/tmp/fcgi; uwsgi_temp_path $NGX/tmp/uwsgi; scgi_temp_path $NGX/tmp/scgi;
  types { application/octet-stream bin; }
  # \$connection mod 8 == 0, in decimal: the last three digits are a multiple of 8, i.e. (hundreds
  # digit even and last two a multiple of 8) or (hundreds digit odd and last two = 4 mod 8).
  map \$connection \$seg_slow {
    default 0;
    "~^(8|16|24|32|40|48|56|64|72|80|88|96)\$" 1;
    "~^[0-9]*[02468](00|08|16|24|32|40|48|56|64|72|80|88|96)\$" 1;
    "~^[0-9]*[13579](04|12|20|28|36|44|52|60|68|76|84|92)\$" 1;
  }
  map \$seg_slow \$seg_rate { default ${RATE_K}k; 1 ${SLOW_K}k; }
  log_format seg '\$server_port \$connection \$connection_requests \$status \$body_bytes_sent "\$http_range" \$limit_rate \$request_time \$msec';
  access_log $ACCESS seg;
  server { listen 127.0.0.1:$P_CAP; root $WWW; limit_rate ${RATE_K}k; }
  server { listen 127.0.0.1:$P_UNEVEN; root $WWW; limit_rate \$seg_rate; }
  server { listen 127.0.0.1:$P_FREE; root $WWW; }
  server { listen 127.0.0.1:$P_PROBE; root $WWW; access_log off; }
}
EOF
  nginx -p "$NGX" -c "$NGX/nginx.conf" -e "$NGX/logs/error.log"
  for p in $(seq 1 50); do
    curl -fs -o /dev/null "http://127.0.0.1:$P_PROBE/small-${SMALL_SIZES%% *}.bin" -r 0-0 && break
    sleep 0.1
  done
  log "nginx $(nginx -v 2>&1 | sed 's/.*\///') on 127.0.0.1:$P_CAP (${RATE_MIB} MiB/s per connection), :$P_UNEVEN (one in 8 at a tenth), :$P_FREE (uncapped)"
}

cleanup() { stop_nginx; rm -rf "$OUT"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- contenders

HAUL_CLI=${HAUL_LAUNCHER:-$REPO/haul}
jdk_java() { # 17|25
  case $1 in 17) echo "$JAVA17" ;; 25) echo "$JAVA25" ;; *) echo "unknown JDK $1" >&2; return 1 ;; esac
}
warm_haul() {
  local j probe=$OUT/probe.bin
  mkdir -p "$OUT"
  log "warming up ./haul (builds the CLI on first use, records class data per JDK)"
  for j in ${JDKS//,/ }; do
    rm -f "$probe"
    if ! timeout 600 env HAUL_JAVA="$(jdk_java "$j")" "$HAUL_CLI" get -q \
          "http://127.0.0.1:$P_PROBE/small-${SMALL_SIZES%% *}.bin" -o "$probe" >"$WORK/haul-warmup.log" 2>&1; then
      log "FAILED: ./haul on JDK $j; see $WORK/haul-warmup.log"; FAILURES=$((FAILURES + 1))
    fi
    echo "INFO haul-$j=$(env HAUL_JAVA="$(jdk_java "$j")" "$HAUL_CLI" --version 2>/dev/null | tr '\n' '|')" | tee -a "$RESULTS"
  done
  rm -f "$probe"
}

# Runs a command under /usr/bin/time; sets WALL, CPU, RSS_MIB. Returns the command's status.
timed() {
  local tf=$WORK/time.out rc=0
  timeout "$STEP_TIMEOUT" /usr/bin/time -f '%e %U %S %M' -o "$tf" "$@" >"$WORK/last-cmd.out" 2>&1 || rc=$?
  read -r WALL t_user t_sys t_rss < <(tail -1 "$tf")
  CPU=$(printf "%.2f" "$(echo "$t_user + $t_sys" | bc)")
  RSS_MIB=$((t_rss / 1024))
  return $rc
}

# One download by one contender, then the SHA-256 of its output against the served file's.
# contender: haul-J-xN | haul-J-auto | haul-J-auto-k1M | haul-J-xN-k1M | aria2c-x8 | aria2c | axel-n8 | curl
run_one() { # case scenario port file contender
  local cs=$1 sc=$2 port=$3 file=$4 c=$5 url dir=$OUT/c$1 out rc=0 before conns reqs slow j x k
  url=http://127.0.0.1:$port/$file
  mkdir -p "$dir"
  out=$dir/$c.bin
  rm -f "$out" "$out.aria2" "$out.st" "$out.part" "$out.part.meta"
  local prefix="RESULT case=$cs scenario=$sc file=$file contender=$c"
  before=$(wc -l < "$ACCESS")
  case $c in
    haul-*)
      IFS=- read -r _ j x k <<<"$c"
      local args=(get -q "$url" -o "$out")
      case $x in auto) args+=(-x auto) ;; x*) args+=(-x "${x#x}") ;; esac
      [ -n "$k" ] && args+=(-k "${k#k}")
      timed env HAUL_JAVA="$(jdk_java "$j")" "$HAUL_CLI" "${args[@]}" || rc=$? ;;
    aria2c-x*) timed aria2c -q "-x${c#aria2c-x}" "-s${c#aria2c-x}" -k1M --allow-overwrite=true \
                 --auto-file-renaming=false -d "$dir" -o "$c.bin" "$url" || rc=$? ;;
    aria2c) timed aria2c -q --allow-overwrite=true --auto-file-renaming=false -d "$dir" -o "$c.bin" "$url" || rc=$? ;;
    axel-n*) timed axel -q -n "${c#axel-n}" -o "$out" "$url" || rc=$? ;;
    curl) timed curl -sf -o "$out" "$url" || rc=$? ;;
    *) echo "unknown contender $c" >&2; exit 2 ;;
  esac
  sleep 0.2   # nginx writes the log line when a request ends; a client may close first
  # conns: distinct connections, reqs: requests, slow: connections at the slow rate (case 2)
  # peak: the most requests in flight at once (from each request's end time and duration);
  # span: first request's start to last request's end as nginx saw them (wall_s - span_s is the
  # client's own start-up and finish)
  read -r conns reqs slow peak span < <(tail -n +"$((before + 1))" "$ACCESS" | awk -v p="$port" -v s="${SLOW_K}" '
    $1 == p { c[$2] = 1; r++; if ($7 == s * 1024) sl[$2] = 1; e[r] = $9; b[r] = $9 - $8 }
    END { n = 0; for (x in c) n++; m = 0; for (x in sl) m++
          pk = 0; for (i = 1; i <= r; i++) { k = 0; for (j = 1; j <= r; j++) if (b[j] <= b[i] && b[i] < e[j]) k++; if (k > pk) pk = k }
          lo = 0; hi = 0; for (i = 1; i <= r; i++) { if (lo == 0 || b[i] < lo) lo = b[i]; if (e[i] > hi) hi = e[i] }
          printf "%d %d %d %d %.2f\n", n, r + 0, m, pk, hi - lo }')
  if [ $rc -ne 0 ]; then
    echo "$prefix ok=0 reason=exit-$rc wall_s=$WALL" | tee -a "$RESULTS"
    FAILURES=$((FAILURES + 1)); log "FAILED: $prefix (exit $rc)"; tail -5 "$WORK/last-cmd.out" >&2 || true
  elif [ ! -f "$out" ] || [ "$(sha256sum "$out" | cut -d' ' -f1)" != "$(cat "$WWW/$file.sha256")" ]; then
    echo "$prefix ok=0 reason=sha256-differs wall_s=$WALL" | tee -a "$RESULTS"
    FAILURES=$((FAILURES + 1)); log "FAILED: $prefix: the output's SHA-256 differs from the file's"
  else
    echo "$prefix wall_s=$WALL cpu_s=$CPU rss_mib=$RSS_MIB conns=$conns reqs=$reqs slow_conns=$slow peak=$peak span_s=$span ok=1" \
      | tee -a "$RESULTS"
  fi
  rm -f "$out" "$out.aria2" "$out.st"
}

FIRST_JDK=${JDKS%%,*}

# ---------------------------------------------------------------- case 1: per-connection cap

case1() {
  log "case 1: $SIZE_MIB MiB at $RATE_MIB MiB/s per connection, $REPS repetitions, JDKs $JDKS"
  local rep c j list=()
  for c in x1 x2 x4 x8 x16 auto; do list+=("haul-$FIRST_JDK-$c"); done
  for j in ${JDKS//,/ }; do
    [ "$j" = "$FIRST_JDK" ] && continue
    list+=("haul-$j-x1" "haul-$j-x8" "haul-$j-auto")
  done
  list+=(aria2c-x8 axel-n8)
  for rep in $(seq 1 "$REPS"); do
    for c in $(order "$rep" "${list[@]}"); do run_one 1 cap "$P_CAP" "$BIG" "$c"; done
  done
}

# ---------------------------------------------------------------- case 2: one slow connection

case2() {
  log "case 2: $SIZE_MIB MiB, 8 connections, one of them at a tenth ($((SLOW_K / 1024)).$(( (SLOW_K % 1024) * 10 / 1024 )) MiB/s), $REPS repetitions"
  local rep c
  for rep in $(seq 1 "$REPS"); do
    for c in $(order "$rep" even:haul-$FIRST_JDK-x8 uneven:haul-$FIRST_JDK-x8 uneven:haul-$FIRST_JDK-auto \
               even:aria2c-x8 uneven:aria2c-x8 even:axel-n8 uneven:axel-n8); do
      if [ "${c%%:*}" = even ]; then run_one 2 even "$P_CAP" "$BIG" "${c#*:}"
      else run_one 2 uneven "$P_UNEVEN" "$BIG" "${c#*:}"; fi
    done
  done
}

# ---------------------------------------------------------------- case 3: uncapped loopback

case3() {
  log "case 3: $SIZE_MIB MiB uncapped on loopback, $REPS repetitions"
  local rep c j list=()
  for j in ${JDKS//,/ }; do list+=("haul-$j-x1" "haul-$j-auto"); done
  list+=("haul-$FIRST_JDK-x8" curl aria2c aria2c-x8)
  for rep in $(seq 1 "$REPS"); do
    for c in $(order "$rep" "${list[@]}"); do run_one 3 free "$P_FREE" "$BIG" "$c"; done
  done
}

# ---------------------------------------------------------------- case 4: memory, 16 connections to a stream

case4() {
  log "case 4: memory of a 16-connection stream download of $SIZE_MIB MiB (library harness and ./haul -o -)"
  local sc port j rep sha line rc gcmax
  sha=$(cat "$WWW/$BIG.sha256")
  for rep in $(seq 1 "$MEM_REPS"); do
    for sc in $MEM_SCENARIOS; do
      case $sc in free) port=$P_FREE ;; cap) port=$P_CAP ;; uneven) port=$P_UNEVEN ;; esac
      for j in ${JDKS//,/ }; do
        # 1. The library: Destination.stream, sampled heap in use and direct pool, heap after each GC.
        rc=0
        line=$(timeout "$STEP_TIMEOUT" "$(jdk_java "$j")" -XX:+UseSerialGC -Xmx1g "-Xlog:gc:file=$WORK/gc.log" \
                 -cp "$CP" dev.haul.bench.haul.StreamMemory "http://127.0.0.1:$port/$BIG" 16 "$sha" \
                 2>"$WORK/mem.err") || rc=$?
        gcmax=$({ grep -oE '[0-9]+M->[0-9]+M' "$WORK/gc.log" || true; } | sed 's/.*->//; s/M//' | sort -n | tail -1)
        if [ $rc -ne 0 ] || ! grep -q 'ok=1' <<<"$line"; then
          echo "RESULT case=4 scenario=$sc contender=lib-$j-x16 ok=0 reason=exit-$rc ${line#MEM }" | tee -a "$RESULTS"
          FAILURES=$((FAILURES + 1)); tail -5 "$WORK/mem.err" >&2
        else
          echo "RESULT case=4 scenario=$sc contender=lib-$j-x16 ${line#MEM } heap_after_gc_max_mib=${gcmax:-0}" | tee -a "$RESULTS"
        fi
        # 2. The same in a 48 MiB heap with 16 MiB of direct memory at most (64 MiB together): does it fit?
        rc=0
        line=$(timeout "$STEP_TIMEOUT" "$(jdk_java "$j")" -XX:+UseSerialGC -Xmx48m -XX:MaxDirectMemorySize=16m \
                 -cp "$CP" dev.haul.bench.haul.StreamMemory "http://127.0.0.1:$port/$BIG" 16 "$sha" \
                 2>"$WORK/mem.err") || rc=$?
        echo "RESULT case=4 scenario=$sc contender=lib-$j-x16-xmx48m-direct16m rc=$rc ${line#MEM }" | tee -a "$RESULTS"
        # 3. The CLI to stdout: whole-process max RSS (/usr/bin/time), the SHA-256 of what it wrote.
        local before=$(wc -l < "$ACCESS") got
        rc=0
        timeout "$STEP_TIMEOUT" /usr/bin/time -f '%e %U %S %M' -o "$WORK/time.out" \
          env HAUL_JAVA="$(jdk_java "$j")" "$HAUL_CLI" get -q -x 16 "http://127.0.0.1:$port/$BIG" -o - \
          2>"$WORK/mem.err" | sha256sum | cut -d' ' -f1 > "$WORK/mem.sha" || rc=$?
        got=$(cat "$WORK/mem.sha")
        read -r WALL t_user t_sys t_rss < <(tail -1 "$WORK/time.out")
        if [ "$got" = "$sha" ]; then
          echo "RESULT case=4 scenario=$sc contender=cli-$j-x16-stdout wall_s=$WALL rss_mib=$((t_rss / 1024)) conns=$(tail -n +"$((before + 1))" "$ACCESS" | awk -v p="$port" '$1 == p {c[$2]=1} END {n=0; for (x in c) n++; print n}') ok=1" | tee -a "$RESULTS"
        else
          echo "RESULT case=4 scenario=$sc contender=cli-$j-x16-stdout ok=0 reason=sha256-differs rc=$rc" | tee -a "$RESULTS"
          FAILURES=$((FAILURES + 1)); tail -5 "$WORK/mem.err" >&2
        fi
      done
    done
  done
}

# ---------------------------------------------------------------- case 5: split threshold

case5() {
  log "case 5: split threshold, files of $SMALL_SIZES MiB, capped and uncapped, $REPS repetitions"
  local rep c s sc port list=(haul-$FIRST_JDK-x1 haul-$FIRST_JDK-auto haul-$FIRST_JDK-auto-k1M haul-$FIRST_JDK-x8-k1M)
  for rep in $(seq 1 "$REPS"); do
    for sc in cap free; do
      [ $sc = cap ] && port=$P_CAP || port=$P_FREE
      for s in $SMALL_SIZES; do
        for c in $(order "$rep" "${list[@]}"); do run_one 5 "$sc" "$port" "small-$s.bin" "$c"; done
      done
    done
  done
}

# ---------------------------------------------------------------- main

machine() {
  echo "INFO date=$(date -u +%Y-%m-%dT%H:%M:%SZ) mode=$MODE reps=$REPS size_mib=$SIZE_MIB rate_mib_per_conn=$RATE_MIB slow_kib=$SLOW_K nproc=$(nproc)"
  echo "INFO cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  echo "INFO mem=$(free -h | awk '/Mem:/ {print $2}') kernel=$(uname -r) data=$TMPFS ($(stat -f -c %T "$TMPFS"))"
  echo "INFO java17=$("$JAVA17" -version 2>&1 | sed -n 2p)"
  [ -n "$JAVA25" ] && echo "INFO java25=$("$JAVA25" -version 2>&1 | sed -n 2p)"
  echo "INFO $(nginx -v 2>&1) | $(curl --version | head -1 | cut -d' ' -f1-2) | $(aria2c --version | head -1) | $(axel --version 2>/dev/null | head -1)"
  echo "INFO commit=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)"
}

T0=$(date +%s)
install_tools
make_data
start_nginx
if has 4; then
  log "building the library (core) and the harness (bench/java)"
  "${MVN[@]}" -f "$REPO/pom.xml" -pl core -am install -DskipTests >"$WORK/build-core.log" 2>&1 \
    || { cat "$WORK/build-core.log" >&2; exit 1; }
  "${MVN[@]}" -f "$BENCH_DIR/java/pom.xml" package dependency:build-classpath \
    -Dmdep.outputFile="$WORK/classpath.txt" >"$WORK/build-bench.log" 2>&1 \
    || { cat "$WORK/build-bench.log" >&2; exit 1; }
  # This checkout's core classes first: the local Maven repository may hold another branch's snapshot.
  CP=$REPO/core/target/classes:$BENCH_DIR/java/target/classes:$(cat "$WORK/classpath.txt")
fi
warm_haul
machine | tee -a "$RESULTS"
load() { echo "INFO load-before-case-$1=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' '/')" | tee -a "$RESULTS"; }
has 1 && load 1 && case1
has 2 && load 2 && case2
has 3 && load 3 && case3
has 4 && load 4 && case4
has 5 && load 5 && case5
load end
stop_nginx

REPORT=$WORK/report-$MODE-$STAMP.md
{
  if [ "$MODE" = smoke ]; then
    echo "Smoke mode checks that every contender delivers a file with the right SHA-256. At $SIZE_MIB MiB the"
    echo "transfers last about a second, JVM start-up and nginx's free first second dominate, and the"
    echo "ratios and verdicts below mean nothing; run the full mode for them."
    echo
  fi
  python3 "$BENCH_DIR/segments-report.py" "$RESULTS"
} > "$REPORT"
echo
cat "$REPORT"
echo
log "raw results: $RESULTS; report: $REPORT; $(( $(date +%s) - T0 )) s"
if [ "$FAILURES" -gt 0 ]; then
  log "$FAILURES run(s) FAILED"
  exit 1
fi
