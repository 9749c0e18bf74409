#!/usr/bin/env bash
# The local testbed, end to end: real Durable Objects running PGLite on
# workerd, driven by dofleet's own schedule.
#
#   testbed/run.sh [--out DIR] [--experiment FILE] [--archs "traditional hybrid thin lazy"]
#                  [--probe N] [--mem-limit-mb MB] [--validate] [--expected FILE] [--force]
#
# On a fresh machine it installs Node.js from apt if missing, runs `npm ci`
# (the exact pins of package-lock.json), builds the workers, writes the
# experiment's arrivals as a trace (`dofleet trace`), then for each
# architecture starts two workerd processes on loopback (the compute worker
# and the fleet), measures each process's start, cold-starts the compute
# worker once, sends the calibration probe and then the trace
# (`dofleet loadgen`), and stops both. A memory guard kills the testbed if
# the workerd processes together exceed --mem-limit-mb. Everything started
# here is stopped at the end, on failure and on Ctrl-C too. With --validate
# it then fits the layer (`dofleet calibrate`) and compares
# (`dofleet validate`), and exits with validate's code.
#
# Exit codes: 0 done (and validated), 1 a validation verdict failed,
# 2 bad usage, 3 the testbed failed (a process did not start, the memory
# guard fired, a tool is missing), 130 interrupted.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
OUT="$REPO/output/testbed"
EXPERIMENT="$REPO/experiments/testbed-ci.toml"
ARCHS="traditional hybrid thin lazy"
PROBE=8
MEM_LIMIT_MB=8000
VALIDATE=0
EXPECTED="$HERE/expected-failures.toml"
FORCE=0
DOFLEET="${DOFLEET:-}"
FLEET_PORT="${TESTBED_FLEET_PORT:-18780}"
COMPUTE_PORT="${TESTBED_COMPUTE_PORT:-18790}"

usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT="$2"; shift 2 ;;
    --experiment) EXPERIMENT="$2"; shift 2 ;;
    --archs) ARCHS="$2"; shift 2 ;;
    --probe) PROBE="$2"; shift 2 ;;
    --mem-limit-mb) MEM_LIMIT_MB="$2"; shift 2 ;;
    --validate) VALIDATE=1; shift ;;
    --expected) EXPECTED="$2"; shift 2 ;;
    --force) FORCE=1; shift ;;
    -h|--help) usage ;;
    *) echo "run.sh: unknown option $1" >&2; usage ;;
  esac
done
# Paths given on the command line are relative to where run.sh was called
# from (it works in testbed/ later).
abs_path() { case "$1" in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$PWD" "$1" ;; esac; }
OUT="$(abs_path "$OUT")"
EXPERIMENT="$(abs_path "$EXPERIMENT")"
EXPECTED="$(abs_path "$EXPECTED")"
for a in $ARCHS; do
  case "$a" in traditional|hybrid|thin|lazy) ;; *) echo "run.sh: unknown architecture '$a' (expected traditional, hybrid, thin, lazy)" >&2; exit 2 ;; esac
done
[[ "$PROBE" =~ ^[0-9]+$ ]] && [ "$PROBE" -ge 1 ] || { echo "run.sh: --probe expects a number of tenants >= 1, found '$PROBE'" >&2; exit 2; }
[[ "$MEM_LIMIT_MB" =~ ^[0-9]+$ ]] || { echo "run.sh: --mem-limit-mb expects a number, found '$MEM_LIMIT_MB'" >&2; exit 2; }
[ -f "$EXPERIMENT" ] || { echo "run.sh: no experiment file $EXPERIMENT" >&2; exit 2; }

# ---- everything started here is stopped at exit, whatever happens ----
PIDS=()
GUARD_PID=""
GUARD_FLAG=""
stop_all() {
  local pid
  [ -n "$GUARD_PID" ] && kill "$GUARD_PID" 2>/dev/null || true
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  PIDS=()
  GUARD_PID=""
}
trap 'stop_all' EXIT
trap 'echo "run.sh: interrupted" >&2; stop_all; exit 130' INT TERM
fail() { echo "run.sh: $*" >&2; exit 3; }

# ---- Node.js and the pinned packages ----
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "== Node.js is missing: installing Debian's nodejs and npm"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null \
    || fail "cannot install Node.js with apt-get"
fi
if ! command -v curl >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null || fail "cannot install curl"
fi
echo "== node $(node --version), npm $(npm --version)"
cd "$HERE"
LOCK_SUM="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ "$(cat node_modules/.dofleet-lock 2>/dev/null || true)" != "$LOCK_SUM" ]; then
  echo "== npm ci (exact pins from package-lock.json)"
  npm ci --no-audit --no-fund --loglevel=error || fail "npm ci failed"
  echo "$LOCK_SUM" > node_modules/.dofleet-lock
fi
WORKERD="$HERE/node_modules/@cloudflare/workerd-linux-64/bin/workerd"
[ -x "$WORKERD" ] || fail "no workerd binary at $WORKERD (npm ci incomplete?)"
echo "== build"
node build/build.mjs >/dev/null || fail "the build failed (node build/build.mjs)"

if [ -z "$DOFLEET" ]; then
  DOFLEET="$REPO/target/release/dofleet"
  [ -x "$DOFLEET" ] || (cd "$REPO" && cargo build --release --locked) || fail "cannot build dofleet"
fi

# ---- the results directory ----
if [ -e "$OUT" ]; then
  [ "$FORCE" = 1 ] || { echo "run.sh: $OUT exists: pass --force to replace it" >&2; exit 2; }
  rm -rf "$OUT"
fi
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
cp "$EXPERIMENT" "$OUT/experiment.toml"
"$DOFLEET" trace "$EXPERIMENT" --out "$OUT/trace.csv" || exit 2

version_of() { node -p "require('$HERE/node_modules/$1/package.json').version"; }
WORKERD_VERSION="$(version_of workerd)"
PGLITE_VERSION="$(version_of @electric-sql/pglite)"
CPU="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//' || echo unknown)"
MEM_GB="$(awk '/MemTotal/ {printf "%.0f", $2/1048576}' /proc/meminfo)"
MACHINE="$(uname -sm), $(nproc) cores, ${MEM_GB} GB, ${CPU}"
DATE="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
cat > "$OUT/run.toml" <<TOML
# A testbed run (testbed/run.sh). Testbed timings are real time on a shared machine: see load_*.
workerd = "$WORKERD_VERSION"
workerd_binary = "$("$WORKERD" --version 2>&1 | head -1)"
pglite = "$PGLITE_VERSION"
esbuild = "$(version_of esbuild)"
node = "$(node --version)"
machine = "$MACHINE"
date = "$DATE"
experiment = "$(basename "$EXPERIMENT")"
architectures = "$ARCHS"
probe_tenants = $PROBE
mem_limit_mb = $MEM_LIMIT_MB
load_before = "$(loadavg)"
TOML
echo "process,architecture,ready_ms" > "$OUT/startup.csv"
echo "attempt,latency_ms,init_ms" > "$OUT/compute_cold.csv"
echo "architecture,peak_rss_mb" > "$OUT/memory.csv"
META=(--meta "workerd=$WORKERD_VERSION" --meta "pglite=$PGLITE_VERSION" --meta "machine=$MACHINE" --meta "date=$DATE")

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
now_ms() { date +%s%3N; }

# Starts workerd on CONFIG, logging to LOG; waits until http://127.0.0.1:PORT/ready
# answers; appends the start time to startup.csv. A failing start names the
# process and shows the end of its log.
start_workerd() {
  local name="$1" arch="$2" config="$3" port="$4" log="$5" t0 pid
  port_free "$port" || fail "port $port is in use (set TESTBED_FLEET_PORT / TESTBED_COMPUTE_PORT)"
  t0="$(now_ms)"
  "$WORKERD" serve "$config" >"$log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  echo "$pid" > "$log.pid"
  for _ in $(seq 1 1200); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "run.sh: the $name workerd ($arch) exited during start; the end of $log:" >&2
      tail -n 20 "$log" >&2
      exit 3
    fi
    if curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$port/ready"; then
      echo "$name,$arch,$(( $(now_ms) - t0 ))" >> "$OUT/startup.csv"
      return 0
    fi
    sleep 0.05
  done
  echo "run.sh: the $name workerd ($arch) did not answer on port $port within 60 s; the end of $log:" >&2
  tail -n 20 "$log" >&2
  exit 3
}

# The memory guard: the workerd processes' RSS summed every 0.5 s; above the
# bound they are killed and the run fails.
start_guard() {
  local arch="$1" peak_file="$2"
  GUARD_FLAG="$OUT/$arch/memory-guard-fired"
  (
    peak=0
    while true; do
      total=0
      for pid in "${PIDS[@]}"; do
        rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
        total=$(( total + ${rss:-0} ))
      done
      mb=$(( total / 1024 ))
      [ "$mb" -gt "$peak" ] && { peak=$mb; echo "$peak" > "$peak_file"; }
      if [ "$mb" -gt "$MEM_LIMIT_MB" ]; then
        echo "workerd processes used $mb MB > $MEM_LIMIT_MB MB: killed" > "$GUARD_FLAG"
        for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
        exit 0
      fi
      sleep 0.5
    done
  ) &
  GUARD_PID=$!
}

attempt=0
for arch in $ARCHS; do
  echo "== $arch"
  mkdir -p "$OUT/$arch"
  # The configs embed the build by paths relative to themselves: written
  # beside dist/, copied into the results for the record.
  node build/config.mjs compute "$COMPUTE_PORT" "$HERE/dist/compute.capnp"
  node build/config.mjs fleet "$arch" "$FLEET_PORT" "$COMPUTE_PORT" "$HERE/dist/fleet.capnp"
  cp "$HERE/dist/compute.capnp" "$HERE/dist/fleet.capnp" "$OUT/$arch/"
  start_workerd compute "$arch" "$HERE/dist/compute.capnp" "$COMPUTE_PORT" "$OUT/$arch/compute.log"
  start_workerd fleet "$arch" "$HERE/dist/fleet.capnp" "$FLEET_PORT" "$OUT/$arch/fleet.log"
  start_guard "$arch" "$OUT/$arch/peak_rss_mb"

  # The compute worker's cold start: its first query after its process started.
  attempt=$((attempt + 1))
  cold="$(curl -s -D "$OUT/$arch/compute-cold.headers" -o /dev/null --max-time 60 \
    -w '%{time_total}' "http://127.0.0.1:$COMPUTE_PORT/query")" || fail "the compute worker's first query failed (see $OUT/$arch/compute.log)"
  init="$(tr -d '\r' < "$OUT/$arch/compute-cold.headers" | awk -F': ' 'tolower($1)=="x-compute-init-ms" {print $2}')"
  echo "$attempt,$(awk -v s="$cold" 'BEGIN {printf "%.3f", s*1000}'),${init:-0}" >> "$OUT/compute_cold.csv"

  "$DOFLEET" loadgen --quiet --target "127.0.0.1:$FLEET_PORT" --probe "$PROBE" \
    --out "$OUT/$arch/probe.log" "${META[@]}" --meta "architecture=$arch" --timeout 60 \
    || fail "the probe of $arch failed"
  "$DOFLEET" loadgen --quiet --target "127.0.0.1:$FLEET_PORT" --trace "$OUT/trace.csv" \
    --out "$OUT/$arch/load.log" "${META[@]}" --meta "architecture=$arch" --timeout 30 --max-duration 600 \
    || fail "the load of $arch failed"

  [ -f "$GUARD_FLAG" ] && fail "memory guard: $(cat "$GUARD_FLAG")"
  stop_all
  echo "$arch,$(cat "$OUT/$arch/peak_rss_mb" 2>/dev/null || echo 0)" >> "$OUT/memory.csv"
  rm -f "$HERE/dist/compute.capnp" "$HERE/dist/fleet.capnp"
done
echo "load_after = \"$(loadavg)\"" >> "$OUT/run.toml"
echo "== results in $OUT"

if [ "$VALIDATE" = 1 ]; then
  "$DOFLEET" calibrate "$OUT" --out "$OUT/workerd-local.toml" >/dev/null || exit $?
  args=("$OUT" --layer "$OUT/workerd-local.toml")
  [ -f "$EXPECTED" ] && args+=(--expected "$EXPECTED")
  "$DOFLEET" validate "${args[@]}"
fi
