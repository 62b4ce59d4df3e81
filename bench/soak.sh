#!/usr/bin/env bash
# Soak (issue 6, item 7): 100 members for 5 minutes at 2 messages/s through one Release DevServer on a fresh Azurite
# (bench/run.sh). DevServer's memory and open connections are sampled every 10 s, so "flat" is a measured claim.
# Usage: bash bench/soak.sh [--members N] [--minutes M] [--rate R]
# Output: the bench's table and JSON (bench/results/), and bench/results/soak-<time>.csv with the samples.
set -euo pipefail
cd "$(dirname "$0")/.."
members=100 minutes=5 rate=2
while [ $# -gt 0 ]; do
  case "$1" in
    --members) members=$2; shift 2 ;;
    --minutes) minutes=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
messages=$(awk "BEGIN { printf \"%d\", $minutes * 60 * $rate }")
stamp=$(date -u +%Y%m%dT%H%M%SZ)
exec bash bench/run.sh --sample-csv "bench/results/soak-$stamp.csv" -- \
  --members "$members" --messages "$messages" --rate "$rate" --label "soak-$members-members-${minutes}min" \
  --max-seconds $((minutes * 60 + 180))
