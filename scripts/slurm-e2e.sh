#!/usr/bin/env bash
# End-to-end test of `dofleet slurm` on a real single-node Slurm cluster.
#
# Starts munged, slurmctld and slurmd on this machine (a throwaway
# configuration in a temporary directory, found through SLURM_CONF), runs a
# small sweep as a 3-task job array plus its merge job, and checks that the
# merged summary.csv is byte-identical to a local unsharded run's. Then
# removes one shard, reruns that task alone (submit.sh 2) and checks again.
#
# Needs root and Debian's slurm-wlm and munge (installed if missing). Runs
# on a fresh Debian 12 machine; .ci/run calls it. Daemons it started are
# stopped on exit; on failure their logs are printed.
#
#   bash scripts/slurm-e2e.sh          # uses target/release/dofleet, built if missing
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
DOFLEET="${DOFLEET:-$ROOT/target/release/dofleet}"
EXPERIMENT="$ROOT/experiments/zipf-skew.toml"
SETS=(--set duration=2min --set replications=2)
SHARDS=3
JOB_TIMEOUT_S="${SLURM_E2E_TIMEOUT_S:-900}"
STARTED=$SECONDS

if [ "$(id -u)" != 0 ]; then
  echo "slurm-e2e: must run as root (it starts munged, slurmctld and slurmd)" >&2
  exit 1
fi
if [ ! -x "$DOFLEET" ]; then
  cargo build --release --locked --quiet
fi

echo "== slurm-e2e: packages"
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
  || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi
slurmctld -V

WORK="$(mktemp -d /tmp/dofleet-slurm-e2e.XXXXXX)"
PIDS=()
MUNGED_STARTED=0
MUNGE_PID_FILE=/run/munge/munged.pid

show_logs() {
  for log in "$WORK"/slurmctld.log "$WORK"/slurmd.log /var/log/munge/munged.log "$WORK"/out*/slurm/logs/*; do
    [ -f "$log" ] || continue
    echo "---- $log (last 40 lines)"
    tail -n 40 "$log"
  done
}

teardown() {
  local status=$?
  if [ "$status" != 0 ]; then
    echo "slurm-e2e: FAILED (exit $status); logs follow" >&2
    show_logs >&2 || true
  fi
  # Only the daemons this script started, by their process ids.
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [ "$MUNGED_STARTED" = 1 ] && [ -s "$MUNGE_PID_FILE" ]; then
    kill "$(cat "$MUNGE_PID_FILE")" 2>/dev/null || true
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap teardown EXIT

# Polls `condition` (a command) every second for up to `seconds`.
wait_for() {
  local seconds=$1 what=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "slurm-e2e: timed out after ${seconds}s waiting for $what" >&2
      return 1
    fi
    sleep 1
  done
}

munge_works() { munge -n </dev/null | unmunge >/dev/null; }

echo "== slurm-e2e: munge"
if munge_works 2>/dev/null; then
  echo "munged is already running: using it"
else
  install -d -o munge -g munge -m 0700 /etc/munge /var/lib/munge /var/log/munge
  install -d -o munge -g munge -m 0755 /run/munge
  if [ ! -s /etc/munge/munge.key ]; then
    if [ -x /usr/sbin/mungekey ]; then
      /usr/sbin/mungekey --create --keyfile=/etc/munge/munge.key
    elif command -v create-munge-key >/dev/null; then
      create-munge-key -f
    else
      dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    fi
  fi
  chown munge:munge /etc/munge/munge.key
  chmod 0400 /etc/munge/munge.key
  runuser -u munge -- /usr/sbin/munged
  MUNGED_STARTED=1
  wait_for 20 "munged" munge_works
fi

echo "== slurm-e2e: slurmctld and slurmd"
NODE="$(hostname -s)"
CPUS="$(nproc)"
MEMORY_MB="$(awk '/^MemTotal:/ { print int($2 / 1024 * 0.9) }' /proc/meminfo)"
mkdir -p "$WORK/state" "$WORK/spool"
export SLURM_CONF="$WORK/slurm.conf"
cat >"$SLURM_CONF" <<CONF
# A throwaway single-node cluster for scripts/slurm-e2e.sh.
ClusterName=dofleet-e2e
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/slurmctld.log
SlurmdLogFile=$WORK/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
# Keep ended jobs visible to scontrol (there is no accounting database).
MinJobAge=3600
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEMORY_MB State=UNKNOWN
PartitionName=e2e Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
CONF
slurmctld -D -i >"$WORK/slurmctld.out" 2>&1 &
PIDS+=($!)
slurmd -D -N "$NODE" >"$WORK/slurmd.out" 2>&1 &
PIDS+=($!)
node_idle() { sinfo -h -n "$NODE" -o %T | grep -qx idle; }
wait_for 60 "node $NODE to be idle (sinfo)" node_idle
sinfo

# Waits until every job in the queue has ended; fails unless all completed.
queue_empty() { [ -z "$(squeue -h -o %i)" ]; }
wait_for_jobs() {
  wait_for "$JOB_TIMEOUT_S" "the jobs to end (squeue)" queue_empty
  local states
  states="$(scontrol -o show job | awk '{
    for (i = 1; i <= NF; i++) if ($i ~ /^(JobId|ArrayTaskId|JobName|JobState)=/) printf "%s ", $i
    print ""
  }')"
  echo "$states"
  if grep -v 'JobState=COMPLETED' <<<"$states"; then
    echo "slurm-e2e: a job did not complete" >&2
    return 1
  fi
}

# The last merge says so and its summary.csv is byte-identical to the
# local run's.
check_merged() {
  local out=$1 log
  log="$(ls -t "$out"/slurm/logs/merge.job-*.out | head -n 1)"
  grep -h "Merged" "$log"
  cmp "$WORK/local/summary.csv" "$out/summary.csv"
  echo "summary.csv: byte-identical to the unsharded run ($(wc -l <"$out/summary.csv") lines)"
}

echo "== slurm-e2e: the sweep, unsharded on this machine"
"$DOFLEET" run "$EXPERIMENT" "${SETS[@]}" --out "$WORK/local" --quiet --no-plots >/dev/null

echo "== slurm-e2e: the sweep as a $SHARDS-task job array, then the merge"
# A space in the path: the scripts must quote it.
OUT="$WORK/out dir"
array_started=$SECONDS
"$DOFLEET" slurm "$EXPERIMENT" --shards "$SHARDS" "${SETS[@]}" --out "$OUT" --submit
wait_for_jobs
check_merged "$OUT"
echo "array and merge: $((SECONDS - array_started)) s"

echo "== slurm-e2e: shard 2 lost, rerun alone, merged again"
rm -rf "$OUT/shards/shard-2" "$OUT/summary.csv"
bash "$OUT/slurm/submit.sh" 2
wait_for_jobs
check_merged "$OUT"

echo "slurm-e2e: passed in $((SECONDS - STARTED)) s"
