#!/usr/bin/env bash
# Days of the busy profile through the release binary (issue #18): ingest streamed from
# `generate`, then a full replay, a replay after one access entry changed, findings and an HTML
# report, each with its wall time and peak RSS; the store's size, split into the per-event rows
# (kept only inside the dedupe/retention horizon) and everything else (shapes, daily counts,
# decisions: what stays), read from SQLite's dbstat.
#
#   benches/busy-days.sh [DAYS] [RATE] [WORKDIR]   (defaults: 10 days, 10 events/s, a temp dir)
#
# A busy cluster sends ~100 events/s (8.6 million a day, the profile's default); at that rate ten
# days are ~100 GB of JSON, so the default rate is lower and BENCHMARKS.md scales the per-event
# figures. Node churn and rollouts follow the clock, not the rate.
set -euo pipefail
cd "$(dirname "$0")/.."
days=${1:-10}
rate=${2:-10}
work=${3:-$(mktemp -d)}
bin=target/release/grantscope
cargo build --release --quiet
mkdir -p "$work"
rm -f "$work/busy.db"*
db="$work/busy.db"
end=$(date -u -d yesterday +%F) # the window ends today, so every generated day is in it
# The state the events were generated against (and nothing else: --events 1).
"$bin" -q generate --profile busy --events 1 --end "$end" --out "$work/state" >/dev/null
# One access entry changed: the read-only people's View policy scoped to one namespace.
python3 - "$work/state/state.yaml" "$work/changed.yaml" <<'EOF'
import sys
text = open(sys.argv[1]).read()
view = "AmazonEKSViewPolicy\n          accessScope: {type: cluster}"
assert text.count(view) == 1, "the ReadOnly entry's View policy"
open(sys.argv[2], "w").write(text.replace(view, "AmazonEKSViewPolicy\n          accessScope: {type: namespace, namespaces: [payments]}"))
EOF

measure() { # label, command...: wall seconds and peak RSS of the command
  local label=$1
  shift
  /usr/bin/time -f '%e %M' -o "$work/time" "$@" >"$work/out.txt"
  read -r secs rss_kb <"$work/time"
  printf '%-34s %8.2f s  %7.1f MiB peak RSS\n' "$label" "$secs" "$(echo "$rss_kb / 1024" | bc -l)"
}

events=$(echo "$rate * 86400 * $days" | bc)
echo "busy profile: $days days at $rate events/s = $events events, ending $end"
"$bin" -q generate --profile busy --rate "$rate" --days "$days" --end "$end" --seed 1 --out - |
  measure "ingest audit (streamed)" "$bin" -q --db "$db" ingest audit --cluster demo -
shapes=$(sqlite3 "$db" 'select count(*) from shapes')
unkept=$(sqlite3 "$db" 'select count(*) from shapes where unkept')
shape_days=$(sqlite3 "$db" 'select count(*) from shape_days')
measure "state import" "$bin" -q --db "$db" state import --cluster demo "$work/state/state.yaml"
measure "replay (full, 90-day window)" "$bin" -q --db "$db" replay --cluster demo --window 90
measure "state import (one entry changed)" "$bin" -q --db "$db" state import --cluster demo "$work/changed.yaml"
measure "replay (incremental)" "$bin" -q --db "$db" replay --cluster demo --window 90
measure "findings" "$bin" -q --db "$db" findings --cluster demo --window 90
measure "report (html)" "$bin" -q --db "$db" --format html report --cluster demo --window 90 --out "$work/report.html"
days_seen=$(sqlite3 "$db" 'select d, count(*) from (select shape_id, min(day) d from shape_days group by shape_id) group by d order by d' | awk -F'|' '{printf "%s%d", (NR > 1 ? ", " : ""), $2}')
read -r total events_bytes < <(sqlite3 -separator ' ' "$db" "select sum(pgsize), sum(case when name = 'events' then pgsize else 0 end) from dbstat")
awk -v e="$events" -v d="$days" -v t="$total" -v ev="$events_bytes" -v s="$shapes" -v u="$unkept" -v sd="$shape_days" -v seen="$days_seen" 'BEGIN {
  printf "shapes           %d (%d with a name or session unkept), %d shape-days\n", s, u, sd
  printf "new shapes/day   %s\n", seen
  printf "store            %.1f MiB: per-event rows %.1f MiB (%.1f bytes/event = %.0f MiB a day at 100 events/s),\n", t / 1048576, ev / 1048576, ev / e, ev / e * 8640000 / 1048576
  printf "                 everything else %.1f MiB (%.2f MiB/day)\n", (t - ev) / 1048576, (t - ev) / 1048576 / d
}'
