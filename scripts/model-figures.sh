#!/usr/bin/env bash
# The model's figures for docs/performance.md (issue 18 B): the cluster simulation at 1, 4 and 10 instances x 100 and
# 1,000 members, idle and 1 and 5 messages/s, with the app's delivery mechanisms as they are; then each mechanism
# switched off or changed, at 4 x 100 and 10 x 1,000. One JSON line per run (the simulate.sh summary plus "variant")
# to bench/results/model-<date>.jsonl, or the file given with --out.
#   ./scripts/model-figures.sh [--out FILE] [--only-matrix | --only-variants]
# The figures are in simulated time and do not depend on this machine's speed; a full run takes about 30 minutes here.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo_root"
out="bench/results/model-$(date -u +%Y-%m-%d).jsonl"
matrix=1 variants=1
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --only-matrix) variants=0; shift ;;
    --only-variants) matrix=0; shift ;;
    *) echo "Unknown argument $1" >&2; exit 2 ;;
  esac
done
project=tests/FunctionsChat.Simulation
dotnet build "$project" -c Release -nologo -v quiet >&2
sim="$project/bin/Release/net10.0/FunctionsChat.Simulation.dll"

# One room, every person one tab, no operator (the instance count stays as given), no faults, join notices off (the
# figures are about messages; 1,000 joins would otherwise fan out 1,000 notices). The first 10 s (the joins) are not
# measured; idle runs measure the last 60 s of 90.
run() { # variant instances members rate [app settings...]
  local variant="$1" instances="$2" members="$3" rate="$4"; shift 4
  local seeds=1 timing=(--chat-seconds 40 --settle-seconds 40)
  [ "$members" -le 100 ] && seeds=3
  [ "$rate" = 0 ] && timing=(--chat-seconds 15 --settle-seconds 75)
  local settings=(--set Chat:RoomNotices=false)
  for s in "$@"; do settings+=(--set "$s"); done
  say "model: $variant, $instances instances x $members members, $rate/s"
  dotnet "$sim" --seeds "$seeds" --instances "$instances" --members "$members" --rate "$rate" --second-tabs 0 \
    --operator off --warm-up-seconds 10 "${timing[@]}" "${settings[@]}" --reports 1 | tail -1 |
    jq -c --arg v "$variant" --arg s "$*" '. + {variant: $v, settings: $s}' >> "$out"
}

if [ "$matrix" = 1 ]; then
  for instances in 1 4 10; do
    for rate in 0 1 5; do run default "$instances" 100 "$rate"; done
    for rate in 0 1; do run default "$instances" 1000 "$rate"; done
  done
  # 1,000 members at 5/s is 5,000 deliveries a second: about 6 minutes of this machine each, so only the target's.
  run default 10 1000 5
fi

if [ "$variants" = 1 ]; then
  declare -A variant_settings=(
    [no-hand-over]="Chat:CrossInstanceHandOver=false"
    [watcher-250ms]="Chat:RoomWatchIntervalMilliseconds=250 Chat:RoomWatchIdleIntervalMilliseconds=2000"
    [no-watcher]="Chat:RoomWatchIntervalMilliseconds=0"
    [linger-250ms]="Chat:PollLingerMilliseconds=250"
  )
  for variant in no-hand-over watcher-250ms no-watcher linger-250ms; do
    # shellcheck disable=SC2086
    for rate in 0 1 5; do run "$variant" 4 100 "$rate" ${variant_settings[$variant]}; done
    # shellcheck disable=SC2086
    for rate in 0 1; do run "$variant" 10 1000 "$rate" ${variant_settings[$variant]}; done
  done
fi
say "model figures in $out"
