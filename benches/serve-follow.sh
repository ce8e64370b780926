#!/usr/bin/env bash
# `grantscope serve` following a stream of audit events: a feeder appends RATE events per second
# to a file the daemon follows (poll every second, an assessment every INTERVAL s), for SECONDS seconds; the
# daemon's RSS and CPU share (of one core: it is pinned to core 0, the feeder to core 1) are
# sampled every 10 s from /proc, with its lag: the events fed but not yet stored, in seconds of the
# feed. Target (issue: daemon): RSS < 150 MB and flat, < 25 % of one core at 5,000 events/s; issue
# #18: busy profile, 2,000 events/s, 30 minutes, RSS < 256 MiB, CPU < 25 %, lag under two polls.
#
#   benches/serve-follow.sh [SECONDS] [RATE] [WORKDIR] [PROFILE] [INTERVAL]
#       (defaults: 300, 5000, a temp dir, small, 60)
#
# PROFILE is `generate --profile` (small, or busy: churning names and sessions); INTERVAL the
# seconds between assessments. Issue #18's soak: benches/serve-follow.sh 1800 2000 DIR busy 300.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-300}
rate=${2:-5000}
work=${3:-$(mktemp -d)}
profile=${4:-small}
interval=${5:-60}
bin=$PWD/target/release/grantscope
cargo build --release --quiet
mkdir -p "$work"
rm -f "$work"/g.db* "$work/stream.jsonl" "$work/fed"
"$bin" -q generate --profile "$profile" --events $((secs * rate)) --days 7 --seed 3 --out "$work/data" >/dev/null
: > "$work/stream.jsonl"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/grantscope.toml" <<TOML
[server]
listen = "127.0.0.1:$port"
[analysis]
interval_seconds = $interval
[[clusters]]
name = "bench"
[clusters.files]
audit = ["$work/stream.jsonl"]
state = ["$work/data/state.yaml"]
poll_seconds = 1
TOML
taskset -c 0 "$bin" --db "$work/g.db" --config "$work/grantscope.toml" serve 2> "$work/serve.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
# The feeder: RATE lines a second, in tenths, from the generated file.
# It writes how many lines it has fed to `fed` after each write, for the lag column.
taskset -c 1 python3 - "$work/data/audit.jsonl" "$work/stream.jsonl" "$rate" "$secs" "$work/fed" <<'PY' &
import os, sys, time
src, dst, rate, secs, fed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
chunk = max(rate // 10, 1)
start = time.monotonic()
with open(src, "rb") as f, open(dst, "ab", buffering=0) as out:
    for tick in range(secs * 10):
        lines = [f.readline() for _ in range(chunk)]
        out.write(b"".join(lines))
        with open(fed + ".tmp", "w") as n:
            n.write(str((tick + 1) * chunk))
        os.replace(fed + ".tmp", fed)
        delay = start + (tick + 1) / 10 - time.monotonic()
        if delay > 0:
            time.sleep(delay)
PY
feeder=$!
hz=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
prev=$(ticks); prev_t=$(date +%s.%N)
printf "%8s %10s %8s %12s %8s\n" "elapsed" "RSS MiB" "CPU %" "events" "lag s"
for ((t = 10; t <= secs; t += 10)); do
  sleep 10
  now=$(ticks); now_t=$(date +%s.%N)
  rss=$(awk '/VmRSS/ {print $2 / 1024}' "/proc/$pid/status")
  cpu=$(awk -v a="$prev" -v b="$now" -v ta="$prev_t" -v tb="$now_t" -v hz="$hz" 'BEGIN {printf "%.1f", (b - a) / hz / (tb - ta) * 100}')
  events=$(curl -s "localhost:$port/metrics" | awk '/^grantscope_events_ingested_total\{cluster="bench",source="audit"\}/ {print $2}')
  fed=$(cat "$work/fed" 2>/dev/null || echo 0)
  lag=$(awk -v f="$fed" -v e="${events:-0}" -v r="$rate" 'BEGIN {printf "%.1f", (f - e) / r}')
  printf "%8s %10.1f %8s %12s %8s\n" "${t}s" "$rss" "$cpu" "${events:-0}" "$lag"
  prev=$now; prev_t=$now_t
done
wait $feeder
sleep 3
fed=$(wc -l < "$work/stream.jsonl")
events=$(curl -s "localhost:$port/metrics" | awk '/^grantscope_events_ingested_total\{cluster="bench",source="audit"\}/ {print $2}')
echo "fed $fed lines; the daemon stored $events events"
