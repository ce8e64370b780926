#!/usr/bin/env bash
# Full `grantscope ingest audit` of a large generated file through the release binary: events/s,
# peak RSS and store bytes per event. Criterion (benches/ingest.rs) measures rates on 100k events;
# this checks that memory stays flat at 1M+ and what the store costs per event.
#
#   benches/ingest-at-scale.sh [EVENTS] [WORKDIR] [PROFILE]   (defaults: 1200000, a temp dir, small)
#
# PROFILE is `generate --profile`: small (a few hundred request shapes at any volume) or busy (a
# busy cluster's churning names: about two thirds of the events are distinct shapes), e.g.
#   benches/ingest-at-scale.sh 300000 /tmp/busy busy
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-1200000}
work=${2:-$(mktemp -d)}
profile=${3:-small}
bin=target/release/grantscope
cargo build --release --quiet
mkdir -p "$work"
"$bin" -q generate --profile "$profile" --events "$events" --days 7 --end 2026-11-20 --seed 1 --out "$work/data" >/dev/null
bytes=$(stat -c %s "$work/data/audit.jsonl")
rm -f "$work/bench.db"*
/usr/bin/time -f '%e %M' -o "$work/time" taskset -c 0 "$bin" -q --db "$work/bench.db" ingest audit --cluster bench "$work/data/audit.jsonl" >/dev/null
read -r secs rss_kb < "$work/time"
db_bytes=$(( $(stat -c %s "$work/bench.db") + $(stat -c %s "$work/bench.db-wal" 2>/dev/null || echo 0) ))
shapes=$(sqlite3 "$work/bench.db" 'select count(*) from shapes' 2>/dev/null || echo '?')
awk -v p="$profile" -v n="$events" -v b="$bytes" -v s="$secs" -v r="$rss_kb" -v d="$db_bytes" -v sh="$shapes" 'BEGIN {
  printf "events           %d (%.0f bytes/event in the input), profile %s\n", n, b / n, p
  printf "wall time        %.2f s on one core (taskset -c 0)\n", s
  printf "rate             %.0f events/s\n", n / s
  printf "peak RSS         %.1f MiB\n", r / 1024
  printf "store            %.1f MiB, %.1f bytes/event (%s shapes; per-event rows inside the horizon)\n", d / 1048576, d / n, sh
}'
