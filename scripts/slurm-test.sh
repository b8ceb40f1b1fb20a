#!/usr/bin/env bash
# slurm-test.sh: `rnnbench slurm` against a real Slurm. As root, starts a
# one-node cluster from Debian's packages (munge, slurmctld, slurmd,
# slurm-client; installed if missing) with every file under a temporary
# directory, then:
#   1. submits a 3-task array and its merge job (rnnbench slurm --submit);
#   2. stops the first task mid-shard (scancel --full --signal=TERM: the
#      signal the time-limit warning sends), checks that it saved what it
#      finished, and requeues it (scontrol requeue); it resumes its shard;
#   3. waits for the merge job and checks that merged/results.csv holds
#      every point of the grid (rnnbench sweep ... --dry-run) exactly once.
# The daemons are stopped and the directory removed on exit.
#
# Exit status: 0 passed, 1 failed, 77 skipped (Slurm cannot start here:
# not root, packages unavailable, a daemon does not come up; the reason is
# printed). Usage: bash scripts/slurm-test.sh [path/to/rnnbench]
set -uo pipefail
cd "$(dirname "$0")/.."
t_start=$(date +%s)
say() { echo "slurm-test: $*"; }
skip() { say "SKIPPED: $*"; exit 77; }
fail() { say "FAILED: $*"; exit 1; }

bin=$(realpath "${1:-build/rnnbench}")
[ -x "$bin" ] || fail "$bin not built (make first)"
[ "$(id -u)" = 0 ] || skip "needs root to start munged, slurmctld and slurmd"

# ---- the packages ----
need=()
for p in munged:munge slurmctld:slurmctld slurmd:slurmd sbatch:slurm-client; do
    command -v "${p%%:*}" >/dev/null || [ -x "/usr/sbin/${p%%:*}" ] || need+=("${p#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
    command -v apt-get >/dev/null || skip "no apt-get to install ${need[*]}"
    say "installing ${need[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" >/tmp/slurm-test-apt.log 2>&1 ||
        { DEBIAN_FRONTEND=noninteractive apt-get update >/dev/null 2>&1 &&
          DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" >/tmp/slurm-test-apt.log 2>&1; } ||
        skip "apt-get install ${need[*]} failed (see /tmp/slurm-test-apt.log)"
fi
export PATH=$PATH:/usr/sbin

# ---- a one-node cluster under a temporary directory ----
T=$(mktemp -d /tmp/rnnbench-slurm.XXXXXX)
chmod 755 "$T"
pids=()
cleanup() {
    local p ids
    # Jobs first, so that no slurmstepd outlives its slurmd.
    if [ -n "${SLURM_CONF:-}" ] && ids=$(squeue -h -o %A 2>/dev/null) && [ -n "$ids" ]; then
        scancel $ids 2>/dev/null
        for _ in $(seq 60); do [ -z "$(squeue -h -o %A 2>/dev/null)" ] && break; sleep 0.5; done
    fi
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$p" 2>/dev/null && kill -9 "$p"
    done
    [ "${KEEP:-0}" = 1 ] && { say "kept $T"; return; }
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

mkdir -p "$T"/{munge,state,spool,log}
chmod 700 "$T/munge"
dd if=/dev/urandom of="$T/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$T/munge/munge.key"
munged --foreground --force --key-file="$T/munge/munge.key" --socket="$T/munge/munge.socket" \
       --pid-file="$T/munge/munged.pid" --log-file="$T/log/munged.log" --seed-file="$T/munge/seed" \
       >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -S "$T/munge/munge.socket" ] && break; sleep 0.1; done
[ -S "$T/munge/munge.socket" ] || skip "munged did not start: $(tail -3 "$T/log/munged.log" 2>/dev/null)"

node=$(slurmd -C | head -1)   # NodeName=... CPUs=... RealMemory=...
host=$(sed 's/^NodeName=\([^ ]*\).*/\1/' <<<"$node")
[ -n "$host" ] || skip "slurmd -C says nothing about this node"
port=$((20000 + RANDOM % 20000))
export SLURM_CONF=$T/slurm.conf
cat >"$SLURM_CONF" <<EOF
ClusterName=rnnbenchtest
SlurmctldHost=$host
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$T/munge/munge.socket,cred_expire=10
CredType=cred/munge
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/log/slurmctld.log
SlurmdLogFile=$T/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=bf_interval=1,sched_interval=2
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
MinJobAge=600
KillWait=10
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -D -i >"$T/log/slurmctld.stdout" 2>&1 &
pids+=($!)
slurmd -D -N "$host" >"$T/log/slurmd.stdout" 2>&1 &
pids+=($!)
state=
for _ in $(seq 120); do
    state=$(sinfo -h -N -n "$host" -o %T 2>/dev/null | head -1)
    [ "$state" = idle ] && break
    sleep 0.5
done
if [ "$state" != idle ]; then
    tail -5 "$T/log/slurmctld.log" "$T/log/slurmd.log" 2>/dev/null
    skip "the one-node cluster did not come up (node state '${state:-none}' after 60 s)"
fi
say "cluster up: $node, partition test, in $(( $(date +%s) - t_start )) s"

# ---- 1. a 3-task array ----
# naive on mid-size shapes: 24 points, a few seconds per shard, so that a
# stop can land mid-shard.
grid=(--variants naive --cells lstm,gru,rnn_tanh --T 10,20 --N 8 --H 128,192,256,320 --reps 3)
out=$T/run
sub=$("$bin" slurm "${grid[@]}" --array 3 --out "$out" --time 10:00 --partition test --submit) ||
    fail "rnnbench slurm --submit failed"
echo "$sub"
jid=$(sed -n 's/^submitted: array job \([0-9]*\).*/\1/p' <<<"$sub")
mid=$(sed -n 's/.*merge job \([0-9]*\).*/\1/p' <<<"$sub")
[ -n "$jid" ] && [ -n "$mid" ] || fail "no job ids in the output of rnnbench slurm"

job_state() { scontrol show job "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | head -1 | cut -d= -f2; }
rows() { [ -f "$1/results.csv" ] && echo $(( $(wc -l <"$1/results.csv") - 1 )) || echo 0; }
points_of() { grep -o '"points": *[0-9]*' "$1/meta.json" 2>/dev/null | head -1 | grep -o '[0-9]*$'; }

# ---- 2. stop the first running task mid-shard, requeue it ----
stopped= task= deadline=$(( $(date +%s) + 180 ))
while [ -z "$stopped" ] && [ "$(date +%s)" -lt "$deadline" ]; do
    task=$(squeue -h -j "$jid" -t RUNNING -o %K 2>/dev/null | head -1)
    if [ -n "$task" ]; then
        d=$out/shard-$task
        want=$(points_of "$d")
        if [ -n "$want" ] && [ "$(rows "$d")" -ge 1 ] && [ "$(rows "$d")" -lt "$want" ]; then
            # --full: the batch step too, where rnnbench runs (exec);
            # without it scancel signals only job steps (srun). Slurm
            # 22.05's scancel exits 229 ("Job can not be altered now")
            # here although the signal is delivered: the effect is what
            # is checked below.
            msg=$(scancel --full --signal=TERM "${jid}_$task" 2>&1); rc=$?
            say "scancel --full --signal=TERM ${jid}_$task: exit $rc${msg:+: $msg}"
            stopped=$task
            break
        fi
    fi
    sleep 0.1
done
[ -n "$stopped" ] || fail "no task was caught mid-shard within 180 s"
for _ in $(seq 300); do
    s=$(job_state "${jid}_$stopped")
    [ "$s" != RUNNING ] && [ "$s" != COMPLETING ] && break
    sleep 0.2
done
d=$out/shard-$stopped
got=$(rows "$d") want=$(points_of "$d")
say "task ${jid}_$stopped stopped by SIGTERM: state $s, $got of its $want points saved"
[ "$got" -lt "$want" ] || fail "task $stopped had finished its shard before the signal took effect"
[ "$s" = FAILED ] || [ "$s" = CANCELLED ] || fail "task $stopped is $s after SIGTERM, not stopped"
grep -q "signal received" "$out/slurm-${jid}_$stopped.out" || fail "SIGTERM did not reach rnnbench in task $stopped"
grep -q "resume with" "$out/slurm-${jid}_$stopped.out" || fail "task $stopped's log does not say how to resume"
scontrol requeue "${jid}_$stopped" || fail "scontrol requeue ${jid}_$stopped failed"
say "requeued ${jid}_$stopped"

# ---- 3. the merge job, then every point once ----
deadline=$(( $(date +%s) + 600 ))
while :; do
    s=$(job_state "$mid")
    case $s in COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY) break ;; esac
    [ "$(date +%s)" -lt "$deadline" ] || fail "merge job $mid still $s after 10 min"
    sleep 1
done
cat "$out"/slurm-merge-*.out
[ "$s" = COMPLETED ] || fail "merge job $mid ended $s"
grep -q "resuming" "$out/slurm-${jid}_$stopped.out" || fail "the requeued task $stopped did not resume its shard"

# the grid's keys, from the dry run; the merged rows' keys, from the CSV
"$bin" sweep "${grid[@]}" --dry-run | awk 'NR > 1 && $1 ~ /^[0-9]+$/ && $2 != "points," { print $2","$3","$4","$5","$6","$7","$8","$9 }' |
    sort >"$T/grid.keys"
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
         { print $c["variant"]","$c["cell"]","$c["pass"]","$c["T"]","$c["N"]","$c["I"]","$c["H"]","$c["threads"] }' \
    "$out/merged/results.csv" | sort >"$T/merged.keys"
npoints=$(wc -l <"$T/grid.keys")
dups=$(uniq -d "$T/merged.keys" | wc -l)
missing=$(comm -23 "$T/grid.keys" <(sort -u "$T/merged.keys") | wc -l)
extra=$(comm -13 "$T/grid.keys" <(sort -u "$T/merged.keys") | wc -l)
notok=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next } $c["status"] != "ok"' "$out/merged/results.csv" | wc -l)
shard_rows=$(for k in 1 2 3; do printf '%s ' "$(rows "$out/shard-$k")"; done)

echo "== slurm test summary =="
echo "array job:     $jid (3 tasks, shard rows: $shard_rows)"
echo "merge job:     $mid ($s)"
echo "requeued task: ${jid}_$stopped (stopped after $got of $want points, resumed)"
echo "grid points:   $npoints; merged rows: $(wc -l <"$T/merged.keys")"
echo "duplicates:    $dups"
echo "missing:       $missing"
echo "extra:         $extra"
echo "not ok rows:   $notok"
echo "time:          $(( $(date +%s) - t_start )) s"
[ "$npoints" -gt 0 ] && [ "$dups" = 0 ] && [ "$missing" = 0 ] && [ "$extra" = 0 ] && [ "$notok" = 0 ] ||
    fail "the merged results are not the grid, each point once"
say "passed"
