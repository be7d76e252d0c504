#!/usr/bin/env bash
# The cluster path on a real scheduler: bring up a one-node Slurm cluster on
# this machine (Debian's slurm-wlm and munge: controller and node daemon on
# localhost, a generated munge key), submit deploy/slurm.sh exactly as its
# header tells a user to (a 2-part array of the `quick` preset, then the
# dependent merge job), wait for them, and check that the merged file's
# counts equal a one-process run's.
#
#   bash tests/slurm.sh BIN_DIR   # BIN_DIR holds the built `upbringing`
#
# Installs the packages when it can (root, or sudo without a password);
# otherwise it says why it cannot and exits 0 without testing, so a
# developer's machine without root still runs the rest of ./scripts/test.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN_DIR="${1:?usage: tests/slurm.sh BIN_DIR (the folder holding the built upbringing)}"
[ -x "$BIN_DIR/upbringing" ] || { echo "tests/slurm.sh: no upbringing in $BIN_DIR" >&2; exit 1; }

log() { printf '\033[1m==> slurm: %s\033[0m\n' "$*" >&2; }

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if sudo -n true 2>/dev/null; then
    sudo=(sudo)
  else
    log "SKIPPED: needs root or passwordless sudo to run slurmctld, slurmd and munged"
    exit 0
  fi
fi

if ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  if ! command -v apt-get >/dev/null; then
    log "SKIPPED: slurm-wlm and munge are not installed and apt-get is absent"
    exit 0
  fi
  log "installing slurm-wlm and munge from Debian"
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi

# Everything this cluster writes lives here; the daemons are stopped on exit.
STATE="$(mktemp -d /tmp/upbringing-slurm.XXXXXX)"
chmod 755 "$STATE"
stop() {
  "${sudo[@]}" pkill -f "slurmctld -f $STATE" 2>/dev/null || true
  "${sudo[@]}" pkill -f "slurmd -f $STATE" 2>/dev/null || true
  [ -z "${MUNGE_PID:-}" ] || "${sudo[@]}" kill "$MUNGE_PID" 2>/dev/null || true
}
trap stop EXIT

log "a one-node cluster in $STATE"
# munge: a fresh key and a socket of our own, so a system munged is left alone.
"${sudo[@]}" mkdir -p "$STATE/munge"
"${sudo[@]}" dd if=/dev/urandom of="$STATE/munge/munge.key" bs=1024 count=1 status=none
"${sudo[@]}" chmod 700 "$STATE/munge"
"${sudo[@]}" chmod 400 "$STATE/munge/munge.key"
SOCKET="$STATE/munge/munge.socket"
"${sudo[@]}" munged --force --key-file="$STATE/munge/munge.key" --socket="$SOCKET" \
  --pid-file="$STATE/munge/munged.pid" --log-file="$STATE/munge/munged.log" \
  --seed-file="$STATE/munge/munged.seed"
MUNGE_PID="$("${sudo[@]}" cat "$STATE/munge/munged.pid")"

# Everything on localhost, named so: no name lookup of the machine's own
# hostname (which a fresh container may not resolve).
HOST=localhost
CPUS="$(nproc)"
MEM_MB=$(($(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 512))
cat >"$STATE/slurm.conf" <<EOF
ClusterName=upbringing-test
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$SOCKET
CredType=cred/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
SlurmctldPort=16817
SlurmdPort=16818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
NodeName=$HOST NodeHostname=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=test Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
"${sudo[@]}" mkdir -p "$STATE/ctld" "$STATE/d"
export SLURM_CONF="$STATE/slurm.conf"
"${sudo[@]}" env SLURM_CONF="$SLURM_CONF" slurmctld -f "$SLURM_CONF"
"${sudo[@]}" env SLURM_CONF="$SLURM_CONF" slurmd -f "$SLURM_CONF" -N "$HOST"
for _ in $(seq 60); do
  if sinfo -h -N -o '%T' 2>/dev/null | grep -qx idle; then break; fi
  sleep 1
done
sinfo -h -N -o '%T' | grep -qx idle || {
  echo "tests/slurm.sh: the node never became idle:" >&2
  sinfo -N >&2 || true
  "${sudo[@]}" tail -n 20 "$STATE/slurmctld.log" "$STATE/slurmd.log" >&2 || true
  exit 1
}

# A shared folder, as the header says; the jobs inherit PATH (sbatch exports
# the environment), so `upbringing` is the binary the tests built.
WORK="$STATE/work"
mkdir -p "$WORK"
chmod 777 "$WORK"
cd "$WORK"
export PATH="$BIN_DIR:$PATH"
upbringing spec --preset quick >spec.json

log "the array (2 parts of quick) and the dependent merge, as deploy/slurm.sh's header says"
mkdir -p parts
array="$(PARTS=2 SPEC=spec.json sbatch --parsable --array=1-2 "$ROOT/deploy/slurm.sh")"
array="${array%%;*}"
merge="$(sbatch --parsable --dependency="afterok:$array" --output=merge.log --wrap \
  "upbringing merge parts/part-*.json --out results.json --csv results.csv")"
merge="${merge%%;*}"

log "a one-process run of the same spec, while the cluster works"
upbringing run --spec spec.json --threads 1 --jobs 1 --out one.json --csv one.csv >/dev/null 2>one.log

for _ in $(seq 900); do
  [ -n "$(squeue -h -j "$array,$merge" 2>/dev/null)" ] || break
  sleep 1
done
if [ ! -s results.json ]; then
  echo "tests/slurm.sh: the merge job wrote no results.json" >&2
  cat parts/*.log merge.log >&2 2>/dev/null || true
  "${sudo[@]}" tail -n 30 "$STATE/slurmctld.log" >&2 || true
  exit 1
fi

# Counts, stages and depth rows must be identical; only timings and the
# backend's thread note may differ.
python3 - results.json one.json <<'PY'
import json, sys
merged, one = (json.load(open(p)) for p in sys.argv[1:3])
for key in ("rows", "stages", "depth", "logs", "failures"):
    if merged.get(key) != one.get(key):
        sys.exit(f"tests/slurm.sh: the merged file's {key!r} differ from a one-process run's")
print(f"slurm: merged {len(merged['rows'])} rows from 2 array tasks = one process's")
PY
cmp results.csv one.csv
log "the Slurm array and merge equal one run"
