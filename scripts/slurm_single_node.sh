#!/usr/bin/env bash
# Proves the Slurm path on one machine: installs Slurm and munge from Debian's packages,
# starts munged, slurmctld and slurmd on localhost, submits a job array of mgtrial shards,
# waits for it, merges the shards and compares the bytes with a single run.
#
#   sudo bash scripts/slurm_single_node.sh [SHARDS]      (default 4; needs root for apt and the daemons)
#
# Not run in CI. Exit 0 when the merged CSV equals the single run byte for byte.
set -euo pipefail
cd "$(dirname "$0")/.."
shards=${1:-4}
scenario=scenarios/sweep_duration.toml
work=$(mktemp -d /tmp/mgtrial-slurm.XXXXXX)
chmod 755 "$work"

cargo build --release --quiet
bin=$(pwd)/target/release/mgtrial

if ! command -v slurmctld >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge
fi

host=$(hostname -s)
cpus=$(nproc)
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=mgtrial
SlurmctldHost=$host
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmdSpoolDir=/var/spool/slurmd
StateSaveLocation=/var/spool/slurmctld
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SlurmUser=root
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF

# munge needs a key; the daemons run as root here (a single-node test).
[ -s /etc/munge/munge.key ] || /usr/sbin/mungekey --create 2>/dev/null || dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
chown -R munge:munge /etc/munge /run/munge 2>/dev/null || true
chmod 400 /etc/munge/munge.key
pgrep -x munged >/dev/null || runuser -u munge -- /usr/sbin/munged || /usr/sbin/munged --force
pgrep -x slurmctld >/dev/null || slurmctld
pgrep -x slurmd >/dev/null || slurmd
for _ in $(seq 60); do sinfo -h -o %T 2>/dev/null | grep -qE 'idle|mixed' && break; sleep 1; done
sinfo

# The job array: one shard per task; --shard auto reads SLURM_ARRAY_TASK_ID / _COUNT.
cat > "$work/shards.sbatch" <<JOB
#!/bin/bash
#SBATCH --job-name=mgtrial
#SBATCH --array=0-$((shards - 1))
#SBATCH --output=$work/slurm-%A_%a.out
#SBATCH --cpus-per-task=1
"$bin" run "$(pwd)/$scenario" --quiet --threads 1 --shard auto --out "$work/shard_\${SLURM_ARRAY_TASK_ID}.toml"
JOB
job=$(sbatch --parsable --wait "$work/shards.sbatch")
echo "job array $job finished"

"$bin" merge "$scenario" "$work"/shard_*.toml --out "$work/merged.csv" > /dev/null
"$bin" run "$scenario" --quiet --out "$work/single.csv" > /dev/null
if cmp "$work/single.csv" "$work/merged.csv"; then
    echo "merged CSV of $shards Slurm shards is byte-identical to a single run ($work)"
else
    echo "merged CSV differs from a single run ($work)" >&2
    exit 1
fi
