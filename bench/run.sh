#!/usr/bin/env bash
# Haul's benchmark: one entry point. Installs what it needs (Debian packages, Maven artifacts),
# starts nginx on 127.0.0.1 (plain HTTP/1.1, TLS HTTP/1.1, TLS HTTP/2, a logged port for small
# files and a throttled port), generates the files on tmpfs, runs every case several times
# interleaving the contenders in both orders (ABC.. then ..CBA), prints one report of medians,
# spreads, CPU and target verdicts, and stops its nginx on exit, even on failure.
#
#   bench/run.sh            full run (1 GiB files, 5 repetitions; about 30 minutes on 2 cores)
#   bench/run.sh --smoke    small files, 1 repetition; for CI; exits non-zero if a contender
#                           fails to produce a correct body or file
#   options: --cases 1,2,3,4,5,6,7   --reps N
#   environment: MAVEN_REPO_LOCAL (passed to Maven as -Dmaven.repo.local), BENCH_PORT_BASE
#                (default 28180; five consecutive ports), BENCH_WORK (default bench/work: results),
#                BENCH_TMPFS (default /dev/shm/haul-bench when /dev/shm is tmpfs: data, downloads),
#                JAVA (the in-JVM cases; default JAVA17), JAVA17, JAVA25 (default: found under
#                /usr/lib/jvm), HAUL_LAUNCHER (default ./haul of this checkout)
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
WORK=${BENCH_WORK:-$BENCH_DIR/work}
PORT_BASE=${BENCH_PORT_BASE:-28180}

# The JDKs: 17 (Haul's floor) runs the in-JVM cases; 25, when installed, adds the launcher's AOT
# cache (cases 2, 3, 7) and virtual threads (case 4).
find_jdk() { # feature version
  local j
  for j in /usr/lib/jvm/java-$1-openjdk-amd64 /usr/lib/jvm/temurin-$1-jdk-amd64 /usr/lib/jvm/*-$1-* /usr/lib/jvm/jdk-$1*; do
    if [ -x "$j/bin/java" ]; then echo "$j/bin/java"; return 0; fi
  done
  return 1
}
JAVA17=${JAVA17:-$(find_jdk 17 || command -v java || echo java)}
JAVA25=${JAVA25:-$(find_jdk 25 || true)}
JAVA=${JAVA:-$JAVA17}
# Data and downloads live on tmpfs, so the whole-process targets measure the clients, not a disk.
if [ -z "${BENCH_TMPFS:-}" ]; then
  if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ]; then BENCH_TMPFS=/dev/shm/haul-bench; else BENCH_TMPFS=$WORK; fi
fi

MODE=full
CASES=1,2,3,4,5,6,7
REPS=
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) MODE=smoke ;;
    --full) MODE=full ;;
    --cases) CASES=$2; shift ;;
    --reps) REPS=$2; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done

MiB=1048576
if [ "$MODE" = smoke ]; then
  BIG=$((16 * MiB)); MID=$((4 * MiB)); SMALL_N=200; SCALE_N=100; SLOW=$((16 * 1024))
  REPS=${REPS:-1}; WARMUP=1; ITERS=1; MID_WARMUP=1; MID_ITERS=1; STEP_TIMEOUT=60; LIMIT_RATE=8k
  ROUNDS=3; START_REPS=1
else
  BIG=$((1024 * MiB)); MID=$((256 * MiB)); SMALL_N=2000; SCALE_N=1000; SLOW=$((128 * 1024))
  REPS=${REPS:-5}; WARMUP=1; ITERS=2; MID_WARMUP=2; MID_ITERS=3; STEP_TIMEOUT=600
  LIMIT_RATE=16k      # the trickle for case 4: a 128 KiB body takes about 8 s
  ROUNDS=15           # case 6: round 1 cold, 2-4 early, 11-15 steady (the bake-off's D)
  START_REPS=$((REPS * 2))
fi
SMALL_SIZE=16384
PARALLEL=8

P_PLAIN=$PORT_BASE; P_TLS1=$((PORT_BASE + 1)); P_TLS2=$((PORT_BASE + 2))
P_SMALL=$((PORT_BASE + 3)); P_SLOW=$((PORT_BASE + 4))

MVN=(mvn -q -B)
if [ -n "${MAVEN_REPO_LOCAL:-}" ]; then
  MVN+=("-Dmaven.repo.local=$MAVEN_REPO_LOCAL")
  export MAVEN_OPTS="${MAVEN_OPTS:-} -Dmaven.repo.local=$MAVEN_REPO_LOCAL"   # for ./haul's own build too
fi

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
has() { case ",$CASES," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
# The contenders of repetition $1 in the given order, reversed on even repetitions (ABC CBA ABC ..),
# so no contender always runs right after the same neighbour.
order() { # rep contender...
  local rep=$1 i; shift
  local a=("$@")
  if [ $((rep % 2)) -eq 0 ]; then
    for ((i = ${#a[@]} - 1; i >= 0; i--)); do echo "${a[$i]}"; done
  else
    printf '%s\n' "${a[@]}"
  fi
}

mkdir -p "$WORK" "$BENCH_TMPFS"
OUT=$BENCH_TMPFS/out
STAMP=$(date +%Y%m%d-%H%M%S)
RESULTS=$WORK/results-$MODE-$STAMP.txt
: > "$RESULTS"
FAILURES=0

# ---------------------------------------------------------------- tools

install_tools() {
  local missing=() pair
  # axel is not a contender yet; installed for the segmented-download cases to come.
  for pair in nginx:nginx curl:curl wget:wget aria2c:aria2 axel:axel openssl:openssl /usr/bin/time:time \
              sha256sum:coreutils keytool:openjdk-17-jdk-headless mvn:maven; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# ---------------------------------------------------------------- data

# Random bytes, generated once per size and kept in bench/work (git-ignored).
make_file() { # path size
  if [ ! -f "$1" ] || [ "$(stat -c %s "$1")" != "$2" ]; then
    log "generating $(basename "$1") ($2 bytes)"
    head -c "$2" /dev/urandom > "$1.tmp" && mv "$1.tmp" "$1"
    rm -f "$1.sha256"
  fi
  [ -f "$1.sha256" ] || sha256sum "$1" | cut -d' ' -f1 > "$1.sha256"
}

make_data() {
  WWW=$BENCH_TMPFS/www-$MODE      # one set per mode, so switching modes does not regenerate 1 GiB
  mkdir -p "$WWW"
  make_file "$WWW/big.bin" "$BIG"
  make_file "$WWW/mid.bin" "$MID"
  make_file "$WWW/slow.bin" "$SLOW"
  if [ "$(cat "$WWW/small/.count" 2>/dev/null)" != "$SMALL_N" ]; then
    log "generating $SMALL_N files of $SMALL_SIZE bytes"
    rm -rf "$WWW/small" && mkdir -p "$WWW/small"
    head -c $((SMALL_N * SMALL_SIZE)) /dev/urandom \
      | split -b "$SMALL_SIZE" -d -a 5 --additional-suffix=.bin - "$WWW/small/f"
    (cd "$WWW/small" && sha256sum f*.bin > "$WWW/small.sha256")
    echo "$SMALL_N" > "$WWW/small/.count"
  fi
  LIST=$WORK/small.list            # plain HTTP/1.1 on the logged port
  LIST_TLS=$WORK/small-tls.list    # TLS HTTP/1.1
  LIST_H2=$WORK/small-h2.list      # TLS, HTTP/2 offered by ALPN
  CURL_CFG=$WORK/small.curl
  : > "$LIST"; : > "$CURL_CFG"; : > "$LIST_TLS"; : > "$LIST_H2"
  local f
  for f in "$WWW"/small/f*.bin; do
    echo "http://127.0.0.1:$P_SMALL/small/${f##*/}" >> "$LIST"
    echo "https://127.0.0.1:$P_TLS1/small/${f##*/}" >> "$LIST_TLS"
    echo "https://127.0.0.1:$P_TLS2/small/${f##*/}" >> "$LIST_H2"
    echo "url = \"http://127.0.0.1:$P_SMALL/small/${f##*/}\"" >> "$CURL_CFG"
  done
  chmod -R a+rX "$WWW"
}

make_cert() {
  TLS=$WORK/tls
  mkdir -p "$TLS"
  if [ ! -f "$TLS/trust.p12" ]; then
    log "generating a self-signed certificate for 127.0.0.1"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TLS/key.pem" -out "$TLS/cert.pem" -days 30 \
      -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
    keytool -importcert -noprompt -alias bench -file "$TLS/cert.pem" -keystore "$TLS/trust.p12" \
      -storetype PKCS12 -storepass changeit >/dev/null 2>&1
  fi
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

start_nginx() {
  mkdir -p "$NGX/logs" "$NGX/tmp"
  stop_nginx    # a leftover of our own earlier run, by its pid file
  local p
  for p in $P_PLAIN $P_TLS1 $P_TLS2 $P_SMALL $P_SLOW; do
    port_free "$p" || { echo "port $p on 127.0.0.1 is taken; set BENCH_PORT_BASE" >&2; exit 1; }
  done
  cat > "$NGX/nginx.conf" <<EOF
worker_processes 1;
worker_rlimit_nofile 8192;
pid $NGX/nginx.pid;
error_log $NGX/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off; sendfile on; tcp_nopush on; keepalive_timeout 65;
  keepalive_requests 100000;      # so connection counts reflect the clients, not nginx's limit
  client_body_temp_path $NGX/tmp/body; proxy_temp_path $NGX/tmp/proxy;
  fastcgi_temp_path $NGX/tmp/fcgi; uwsgi_temp_path $NGX/tmp/uwsgi; scgi_temp_path $NGX/tmp/scgi;
  types { application/octet-stream bin; }
  log_format conns '\$connection \$connection_requests \$status \$body_bytes_sent';
  server { listen 127.0.0.1:$P_PLAIN; root $WWW; }
  # One cipher suite for every client (the bake-off's setup), so TLS compares the clients, not ciphers.
  ssl_protocols TLSv1.3; ssl_conf_command Ciphersuites TLS_AES_128_GCM_SHA256; output_buffers 2 256k;
  server { listen 127.0.0.1:$P_TLS1 ssl; root $WWW;
           ssl_certificate $TLS/cert.pem; ssl_certificate_key $TLS/key.pem; }
  server { listen 127.0.0.1:$P_TLS2 ssl http2; root $WWW;
           ssl_certificate $TLS/cert.pem; ssl_certificate_key $TLS/key.pem; }
  server { listen 127.0.0.1:$P_SMALL; root $WWW; access_log $NGX/logs/small.log conns; }
  server { listen 127.0.0.1:$P_SLOW; root $WWW; limit_rate $LIMIT_RATE; }
}
EOF
  nginx -p "$NGX" -c "$NGX/nginx.conf" -e "$NGX/logs/error.log"
  for p in $(seq 1 50); do
    curl -fs -o /dev/null "http://127.0.0.1:$P_PLAIN/slow.bin" -r 0-0 && break
    sleep 0.1
  done
  log "nginx $(nginx -v 2>&1 | sed 's/.*\///') on 127.0.0.1:$P_PLAIN-$P_SLOW"
}

cleanup() {
  stop_nginx
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- builds

HAUL_LIB=0    # 1 when the library built; its contenders must then work
build_java() {
  if [ -f "$REPO/core/src/main/java/dev/haul/internal/Engine.java" ]; then
    log "building and installing the Haul library (core)"
    if "${MVN[@]}" -f "$REPO/pom.xml" -pl core -am install -DskipTests >"$WORK/build-core.log" 2>&1; then
      HAUL_LIB=1
    else
      log "FAILED to build the Haul library; see $WORK/build-core.log"
      FAILURES=$((FAILURES + 1))
    fi
  else
    log "Haul's engine is not on this branch yet: Haul's in-process contenders are not available"
  fi
  local flags=()
  [ "$HAUL_LIB" = 1 ] || flags=(-Dnohaul)
  log "building the harness (bench/java)"
  "${MVN[@]}" -f "$BENCH_DIR/java/pom.xml" "${flags[@]}" package dependency:build-classpath \
    -Dmdep.outputFile="$WORK/classpath.txt" >"$WORK/build-bench.log" 2>&1 \
    || { cat "$WORK/build-bench.log" >&2; exit 1; }
  CP=$BENCH_DIR/java/target/classes:$(cat "$WORK/classpath.txt")
}

# The same flags for every JVM contender, the bake-off's: Serial GC and a fixed heap, the trust
# store, the JDK client's 256 KiB buffers, and a common pool of at least 2 (the "fj" rows: on 2 CPUs
# a pool of 1 makes the JDK client start a thread per async step; it changes nothing for others).
jvm_flags() { # [java] [no-bufsize]
  JVM=("${1:-$JAVA}" -XX:+UseSerialGC -Xms512m -Xmx1g
       "-Djavax.net.ssl.trustStore=$TLS/trust.p12" -Djavax.net.ssl.trustStorePassword=changeit
       -Djavax.net.ssl.trustStoreType=PKCS12)
  [ "${2:-}" = no-bufsize ] || JVM+=(-Djdk.httpclient.bufsize=262144)
  JVM+=(
       "-Djava.util.concurrent.ForkJoinPool.common.parallelism=$(( $(nproc) > 2 ? $(nproc) - 1 : 2 ))"
       -cp "$CP" dev.haul.bench.Bench)
}

# Runs one JVM contender, keeps its RESULT line, counts failures.
run_jvm() { # description, then Bench arguments
  local what=$1 out rc=0
  shift
  out=$(timeout "$STEP_TIMEOUT" "${JVM[@]}" "$@" 2>"$WORK/last-jvm.err") || rc=$?
  local line
  line=$(grep '^RESULT ' <<<"$out" | tail -1 || true)
  if [ -z "$line" ]; then
    line="RESULT $(printf '%s\n' "$@" | grep -E '^(case|scenario|contender)=' | tr '\n' ' ')ok=0 reason=exit-$rc"
  fi
  echo "$line" | tee -a "$RESULTS"
  if [ $rc -eq 3 ] && [ "$HAUL_LIB" = 0 ]; then
    return 0
  fi
  if [ $rc -ne 0 ]; then
    FAILURES=$((FAILURES + 1))
    log "FAILED: $what (exit $rc); stderr tail:"
    tail -5 "$WORK/last-jvm.err" >&2 || true
  fi
}

# ---------------------------------------------------------------- whole-process helpers

# Runs a command under /usr/bin/time; sets WALL, CPU, RSS_MIB. Returns the command's status.
timed() {
  local tf=$WORK/time.out rc=0
  timeout "$STEP_TIMEOUT" /usr/bin/time -f '%e %U %S %M' -o "$tf" "$@" >"$WORK/last-cmd.out" 2>&1 || rc=$?
  read -r WALL u s rss < <(tail -1 "$tf")
  CPU=$(printf '%.2f' "$(echo "$u + $s" | bc)")
  RSS_MIB=$((rss / 1024))
  return $rc
}

# The launcher under test; HAUL_LAUNCHER points at another checkout's (e.g. a branch not yet on main).
# Its variants: haul = the launcher as a user gets it (its own choice of JDK and class data),
# haul-17 / haul-25 = that JDK (HAUL_JAVA), -nocds / -noaot = without its archive or AOT cache.
HAUL_CLI=${HAUL_LAUNCHER:-$REPO/haul}
haul_env() { # variant -> sets HENV (env assignments for `env`)
  HENV=(-u HAUL_JAVA -u HAUL_NO_CDS)
  case $1 in
    haul|haul-nofsync) ;;
    haul-17*) HENV+=("HAUL_JAVA=$JAVA17") ;;
    haul-25*) HENV+=("HAUL_JAVA=$JAVA25") ;;
  esac
  case $1 in *-nocds|*-noaot) HENV+=(HAUL_NO_CDS=1) ;; esac
}
haul_variant_available() { # variant
  case $1 in haul-25*) [ -n "$JAVA25" ] || return 1 ;; esac
  haul_cli_available
}
haul_cli_available() {
  [ -x "$HAUL_CLI" ] || return 1
  [ "${HAUL_CLI_CHECKED:-}" = 1 ] && return 0
  log "warming up ./haul (it builds the CLI on first use, then records class data per JDK)"
  local probe=$OUT/probe.bin v
  mkdir -p "$OUT"
  HAUL_CLI_CHECKED=1
  if timeout 600 env -u HAUL_JAVA -u HAUL_NO_CDS "$HAUL_CLI" get "http://127.0.0.1:$P_PLAIN/slow.bin" -o "$probe" \
        >"$WORK/haul-warmup.log" 2>&1 && cmp -s "$probe" "$WWW/slow.bin"; then
    rm -f "$probe"
    for v in haul-17 haul-25; do
      [ -n "$JAVA25" ] || [ "$v" = haul-17 ] || continue
      haul_env "$v"
      timeout 300 env "${HENV[@]}" "$HAUL_CLI" --version >>"$WORK/haul-warmup.log" 2>&1 || true
    done
    echo "INFO haul-version=$(env -u HAUL_JAVA -u HAUL_NO_CDS "$HAUL_CLI" --version 2>&1 | tr '\n' '|')" \
      | tee -a "$RESULTS"
    return 0
  fi
  rm -f "$probe"
  log "FAILED: ./haul get did not produce a correct file; see $WORK/haul-warmup.log"
  return 0      # available but broken: the timed runs record the failure
}

# The JDK client alone, as its own process with the launcher's JVM flags and its own class-data
# archive (as ./haul has on 17): how much of a gap to curl is the JVM and the JDK client, not Haul.
RAW_JSA=$WORK/rawfetch.jsa
rm -f "$RAW_JSA"    # made afresh for the harness built by this run
raw_jdk() { # RawFetch arguments
  local flags=(-Djdk.httpclient.bufsize=262144 -Djdk.httpclient.keepalive.timeout=30 -XX:+UseSerialGC
               "-Djava.util.concurrent.ForkJoinPool.common.parallelism=$(( $(nproc) > 2 ? $(nproc) - 1 : 2 ))"
               -Xlog:disable -cp "$BENCH_DIR/java/target/classes")
  if [ ! -f "$RAW_JSA" ]; then
    mkdir -p "$OUT"
    "$JAVA17" "${flags[@]}" "-XX:ArchiveClassesAtExit=$RAW_JSA" dev.haul.bench.RawFetch \
      "http://127.0.0.1:$P_PLAIN/slow.bin" "$OUT/raw-probe.bin" >/dev/null 2>&1 || rm -f "$RAW_JSA"
    rm -f "$OUT/raw-probe.bin"
  fi
  [ -f "$RAW_JSA" ] && flags+=("-XX:SharedArchiveFile=$RAW_JSA")
  timed "$JAVA17" "${flags[@]}" dev.haul.bench.RawFetch "$@"
}

record_unavailable() { # case scenario contender reason
  echo "RESULT case=$1 scenario=$2 contender=$3 status=unavailable reason=$4" | tee -a "$RESULTS"
}

fail() { # result-prefix reason
  echo "$1 ok=0 reason=$2" | tee -a "$RESULTS"
  FAILURES=$((FAILURES + 1))
  log "FAILED: $1 ($2); output tail:"; tail -5 "$WORK/last-cmd.out" >&2 || true
}

# ---------------------------------------------------------------- case 1: in process, 1 GiB

# curl beside the in-JVM contenders: a whole process, so its time includes its (tiny) start-up.
curl_big() { # scenario url file|-
  local prefix="RESULT case=1 scenario=$1 contender=curl" rc=0 target=$3 mbps
  [ "$target" = - ] && target=/dev/null
  timed curl -s --http1.1 --cacert "$TLS/cert.pem" -o "$target" "$2" || rc=$?
  if [ $rc -ne 0 ]; then fail "$prefix" "exit-$rc"; return; fi
  if [ "$3" != - ]; then
    cmp -s "$target" "$WWW/big.bin" || { fail "$prefix" file-differs; rm -f "$target"; return; }
    rm -f "$target"
  fi
  mbps=$(echo "scale=1; $BIG / 1000000 / $WALL" | bc)
  echo "$prefix mbps=$mbps ms=$(echo "$WALL * 1000" | bc) bytes=$BIG cpu_s_per_gib=$(echo "scale=3; $CPU * 1073741824 / $BIG" | bc) samples=$mbps ok=1" \
    | tee -a "$RESULTS"
}

case1() {
  log "case 1: $BIG bytes in process, $REPS repetitions, $WARMUP warm-up + $ITERS timed per JVM"
  jvm_flags
  mkdir -p "$OUT/c1"
  local sc url proto sink rep c list
  # scenario url proto sink: count = bodies counted in memory; file = written to tmpfs.
  for sc in "h1-plain http://127.0.0.1:$P_PLAIN/big.bin h1 count" \
            "h1-file http://127.0.0.1:$P_PLAIN/big.bin h1 file" \
            "h1-tls https://127.0.0.1:$P_TLS1/big.bin h1 count" \
            "h2-tls https://127.0.0.1:$P_TLS2/big.bin h2 count"; do
    read -r sc url proto sink <<<"$sc"
    case $sc in
      h1-plain|h1-tls) list=(haul-stream haul-jdk-stream jdk-count okhttp netty apache-classic apache-async curl) ;;
      h1-file) list=(haul-file-nofsync haul-file jdk-file netty-file apache-classic-file apache-async-file curl) ;;
      h2-tls) list=(haul-stream jdk-count okhttp) ;;   # HTTP/2 selects Haul's JDK transport
    esac
    for rep in $(seq 1 "$REPS"); do
      for c in $(order "$rep" "${list[@]}"); do
        if [ "$c" = curl ]; then
          if [ "$sink" = file ]; then curl_big "$sc" "$url" "$OUT/c1/curl.bin"; else curl_big "$sc" "$url" -; fi
          continue
        fi
        run_jvm "case 1 $sc $c" throughput case=1 "scenario=$sc" "contender=$c" "url=$url" "proto=$proto" \
          "bytes=$BIG" "warmup=$WARMUP" "iters=$ITERS" "out=$OUT/c1"
      done
    done
  done
}

# ---------------------------------------------------------------- case 2: whole process, 1 GiB to a file

case2() {
  log "case 2: $BIG bytes to a file on tmpfs, whole process, $REPS repetitions"
  local url=http://127.0.0.1:$P_PLAIN/big.bin dir=$OUT/c2 rep c file prefix rc
  mkdir -p "$dir"
  for rep in $(seq 1 "$REPS"); do
    for c in $(order "$rep" haul haul-nofsync haul-17 jdk-raw curl wget aria2c); do
      file=$dir/$c.bin
      rm -f "$file" "$file.aria2"
      sync
      prefix="RESULT case=2 scenario=h1-plain-file contender=$c"
      rc=0
      case $c in
        haul*)
          if ! haul_variant_available "$c"; then record_unavailable 2 h1-plain-file "$c" no-launcher-or-jdk; continue; fi
          haul_env "$c"
          if [ "$c" = haul-nofsync ]; then
            timed env "${HENV[@]}" "$HAUL_CLI" get "$url" -o "$file" --no-fsync || rc=$?
          else
            timed env "${HENV[@]}" "$HAUL_CLI" get "$url" -o "$file" || rc=$?
          fi ;;
        jdk-raw) raw_jdk "$url" "$file" || rc=$? ;;
        curl) timed curl -s -o "$file" "$url" || rc=$? ;;
        wget) timed wget -q -O "$file" "$url" || rc=$? ;;
        aria2c) timed aria2c -q --allow-overwrite=true --auto-file-renaming=false -d "$dir" -o "$c.bin" "$url" \
                  || rc=$? ;;
      esac
      if [ $rc -ne 0 ]; then fail "$prefix" "exit-$rc"
      elif ! cmp -s "$file" "$WWW/big.bin"; then fail "$prefix" "file-differs"
      else
        echo "$prefix wall_s=$WALL cpu_s=$CPU rss_mib=$RSS_MIB bytes=$BIG mbps=$(printf '%.1f' "$(echo "scale=3; $BIG / 1000000 / $WALL" | bc)") ok=1" \
          | tee -a "$RESULTS"
      fi
      rm -f "$file" "$file.aria2"
    done
  done
}

# ---------------------------------------------------------------- case 3: many small files

case3() {
  log "case 3: $SMALL_N files of $SMALL_SIZE bytes, $PARALLEL in parallel, to tmpfs, $REPS repetitions"
  local dir=$OUT/c3 slog=$NGX/logs/small.log rep c before conns par prefix rc
  for rep in $(seq 1 "$REPS"); do
    for c in $(order "$rep" haul haul-nofsync haul-25-noaot haul-17 haul-17-nocds jdk-raw curl aria2c wget); do
      rm -rf "$dir" && mkdir -p "$dir"
      prefix="RESULT case=3 scenario=${SMALL_N}x16KiB contender=$c"
      par=$PARALLEL
      before=$(wc -l < "$slog" 2>/dev/null || echo 0)
      rc=0
      case $c in
        haul*)
          if ! haul_variant_available "$c"; then record_unavailable 3 "${SMALL_N}x16KiB" "$c" no-launcher-or-jdk; continue; fi
          haul_env "$c"
          if [ "$c" = haul-nofsync ]; then
            timed env "${HENV[@]}" "$HAUL_CLI" get -i "$LIST" -d "$dir" -j "$PARALLEL" -q --no-fsync || rc=$?
          else
            timed env "${HENV[@]}" "$HAUL_CLI" get -i "$LIST" -d "$dir" -j "$PARALLEL" -q || rc=$?
          fi ;;
        jdk-raw) raw_jdk -i "$LIST" "$dir" "$PARALLEL" || rc=$? ;;
        curl) timed curl -s -Z --parallel-max "$PARALLEL" --remote-name-all --output-dir "$dir" -K "$CURL_CFG" \
                || rc=$? ;;
        aria2c) timed aria2c -q -i "$LIST" -d "$dir" -j "$PARALLEL" --allow-overwrite=true \
                  --auto-file-renaming=false || rc=$? ;;
        wget) par=1; timed wget -q -i "$LIST" -P "$dir" || rc=$? ;;   # wget has no parallel mode
      esac
      conns=$(tail -n +"$((before + 1))" "$slog" | awk '{print $1}' | sort -u | wc -l)
      # Every file, nothing else: haul also leaves DIR/.haul-state, its record of what it finished
      # (a rerun skips those, docs/cli.md), which is not a stray file.
      if [ $rc -ne 0 ]; then fail "$prefix" "exit-$rc"
      elif ! (cd "$dir" && sha256sum -c --quiet --strict "$WWW/small.sha256" >/dev/null 2>&1) \
          || [ "$(find "$dir" -type f ! -name .haul-state | wc -l)" != "$SMALL_N" ]; then
        fail "$prefix" "files-differ"
      else
        echo "$prefix wall_s=$WALL cpu_s=$CPU rss_mib=$RSS_MIB conns=$conns parallel=$par ok=1" | tee -a "$RESULTS"
      fi
    done
  done
  rm -rf "$dir"
}

# ---------------------------------------------------------------- case 4: scale in one JVM

case4() {
  local reps=$REPS
  [ "$reps" -gt 3 ] && reps=3
  log "case 4: $SCALE_N concurrent downloads of $SLOW bytes at $LIMIT_RATE/s each, $reps repetitions, JDK 17 and 25"
  local url=http://127.0.0.1:$P_SLOW/slow.bin sha rep j jv c
  sha=$(cat "$WWW/slow.bin.sha256")
  for rep in $(seq 1 "$reps"); do
    for j in $(order "$rep" 17 25); do
      jv=JAVA$j
      if [ -z "${!jv}" ]; then record_unavailable 4 "jdk$j" haul no-jdk-$j; continue; fi
      jvm_flags "${!jv}" no-bufsize    # 1,000 connections: the JDK client's default buffers
      for c in $(order "$rep" haul jdk); do
        run_jvm "case 4 $c on $j" scale case=4 "scenario=jdk$j" "contender=$c" "url=$url" "bytes=$SLOW" \
          "n=$SCALE_N" "sha256=$sha" wait=120
      done
    done
  done
}

# ---------------------------------------------------------------- case 5: overheads

case5() {
  log "case 5: overheads, $MID bytes in process, $REPS repetitions, $MID_WARMUP warm-up + $MID_ITERS timed per JVM"
  jvm_flags
  local url=http://127.0.0.1:$P_PLAIN/mid.bin sha rep c
  sha=$(cat "$WWW/mid.bin.sha256")
  mkdir -p "$OUT/c5"
  for rep in $(seq 1 "$REPS"); do
    for c in $(order "$rep" haul-memory haul-stream haul-progress haul-stream-progress haul-sha256 haul-stream-sha256 \
             haul-stream-file haul-stream-file-fsync haul-file haul-file-nofsync); do
      run_jvm "case 5 $c" throughput case=5 scenario=h1-plain "contender=$c" "url=$url" "bytes=$MID" \
        "sha256=$sha" "out=$OUT/c5" "warmup=$MID_WARMUP" "iters=$MID_ITERS"
    done
  done
}

# ---------------------------------------------------------------- case 6: many small files in one JVM

case6() {
  log "case 6: $SMALL_N files of $SMALL_SIZE bytes over $PARALLEL connections in one JVM, $ROUNDS rounds, $REPS repetitions"
  jvm_flags
  local dir=$OUT/c6 sc list proto sink rep c cs args
  # scenario list proto sink contenders
  for sc in "h1-file $LIST h1 file haul haul-nofsync haul-jdk-nofsync jdk netty apache-classic apache-async" \
            "h1-count $LIST h1 count haul jdk netty apache-classic" \
            "tls-h1-file $LIST_TLS h1 file haul-nofsync haul-jdk-nofsync netty apache-classic" \
            "tls-h2-file $LIST_H2 h2 file haul-jdk-h2-nofsync"; do
    read -r sc list proto sink cs <<<"$sc"
    read -ra cs <<<"$cs"
    for rep in $(seq 1 "$REPS"); do
      for c in $(order "$rep" "${cs[@]}"); do
        args=(case=6 "scenario=$sc" "contender=$c" "list=$list" "www=$WWW" "conns=$PARALLEL" "rounds=$ROUNDS"
              "size=$SMALL_SIZE" "proto=$proto")
        [ "$sink" = file ] && args+=("out=$dir")
        run_jvm "case 6 $sc $c" small "${args[@]}"
      done
    done
  done
  rm -rf "$dir"
}

# ---------------------------------------------------------------- case 7: start-up

case7() {
  log "case 7: cold start of ./haul --version, $START_REPS repetitions"
  local rep c prefix rc
  haul_cli_available || { record_unavailable 7 version haul no-launcher; return; }
  for rep in $(seq 1 "$START_REPS"); do
    for c in $(order "$rep" haul-25 haul-25-noaot haul-17 haul-17-nocds java-25 java-17); do
      prefix="RESULT case=7 scenario=version contender=$c"
      rc=0
      case $c in
        java-17) timed "$JAVA17" -Xshare:auto -version || rc=$? ;;
        java-25) [ -n "$JAVA25" ] || { record_unavailable 7 version "$c" no-jdk-25; continue; }
                 timed "$JAVA25" -version || rc=$? ;;
        *) haul_variant_available "$c" || { record_unavailable 7 version "$c" no-jdk-25; continue; }
           haul_env "$c"
           timed env "${HENV[@]}" "$HAUL_CLI" --version || rc=$?
           grep -q '^haul ' "$WORK/last-cmd.out" || rc=1 ;;
      esac
      if [ $rc -ne 0 ]; then fail "$prefix" "exit-$rc"
      else echo "$prefix wall_s=$WALL cpu_s=$CPU rss_mib=$RSS_MIB ok=1" | tee -a "$RESULTS"; fi
    done
  done
}

# ---------------------------------------------------------------- main

machine() {
  echo "INFO date=$(date -u +%Y-%m-%dT%H:%M:%SZ) mode=$MODE reps=$REPS nproc=$(nproc)"
  echo "INFO cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  echo "INFO mem=$(free -h | awk '/Mem:/ {print $2}') kernel=$(uname -r) data=$BENCH_TMPFS ($(stat -f -c %T "$BENCH_TMPFS"))"
  echo "INFO java17=$("$JAVA17" -version 2>&1 | sed -n 2p)"
  [ -n "$JAVA25" ] && echo "INFO java25=$("$JAVA25" -version 2>&1 | sed -n 2p)"
  echo "INFO in-JVM cases run on $("$JAVA" -version 2>&1 | head -1)"
  echo "INFO $(nginx -v 2>&1) | $(curl --version | head -1 | cut -d' ' -f1-2) | $(wget --version | head -1 | cut -d' ' -f1-3) | $(aria2c --version | head -1)"
  echo "INFO commit=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)"
}

T0=$(date +%s)
install_tools
make_cert
make_data
start_nginx
build_java
machine | tee -a "$RESULTS"
# Other work on the machine skews the numbers; the load average before each case is kept with them.
load() { echo "INFO load-before-case-$1=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' '/')" | tee -a "$RESULTS"; }
has 1 && load 1 && case1
has 6 && load 6 && case6
has 2 && load 2 && case2
has 3 && load 3 && case3
has 7 && load 7 && case7
has 4 && load 4 && case4
has 5 && load 5 && case5

stop_nginx
rm -rf "$OUT"
REPORT=$WORK/report-$MODE-$STAMP.md
{
  echo "## Haul benchmark, $MODE mode, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo
  grep '^INFO ' "$RESULTS" | sed 's/^INFO /- /'
  if [ "$MODE" = smoke ]; then
    echo
    echo "Smoke mode checks that every contender delivers a correct body or file. Its sizes are too"
    echo "small and its JVMs too cold for the numbers or the target verdicts below to mean anything."
  fi
  "$JAVA" -cp "$CP" dev.haul.bench.Bench report "$RESULTS"
} > "$REPORT"
echo
cat "$REPORT"
echo
log "raw results: $RESULTS; report: $REPORT; $(( $(date +%s) - T0 )) s"
if [ "$FAILURES" -gt 0 ]; then
  log "$FAILURES contender run(s) FAILED"
  exit 1
fi
