#!/usr/bin/env bash
# The GNU parallel path: N shards on the local cores, merged, compared with a single run.
#   bash scripts/parallel_shards.sh [SHARDS] [SCENARIO]
set -euo pipefail
cd "$(dirname "$0")/.."
shards=${1:-4}
scenario=${2:-scenarios/sweep_duration.toml}
work=$(mktemp -d)
cargo build --release --quiet
bin=target/release/mgtrial
seq 0 $((shards - 1)) | parallel "$bin run $scenario --quiet --threads 1 --shard {}/$shards --out $work/shard_{}.toml"
"$bin" merge "$scenario" "$work"/shard_*.toml --out "$work/merged.csv" > /dev/null
"$bin" run "$scenario" --quiet --out "$work/single.csv" > /dev/null
cmp "$work/single.csv" "$work/merged.csv" && echo "merged CSV of $shards GNU parallel shards is byte-identical to a single run"
