#!/usr/bin/env bash
# Soak (issue 6, item 7): 100 members for 5 minutes at 2 messages/s through one Release DevServer on Azurite.
# Samples DevServer's memory and its open connections every 15 s, so "flat" is a measured claim, not a hope.
# Usage: bash bench/soak.sh [--members N] [--minutes M] [--rate R]
# It starts its own in-memory Azurite on ports 20100-20102, so a long-lived development Azurite (whose on-disk
# database grows with every test run and slows it down) does not distort the figures.
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
port=${SOAK_PORT:-7190}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
samples="bench/results/soak-$stamp.csv"
mkdir -p bench/results

dotnet build -c Release -v quiet -nologo DevServer/DevServer.csproj >/dev/null
dotnet build -c Release -v quiet -nologo bench/FunctionsChat.Bench/FunctionsChat.Bench.csproj >/dev/null

azurite_port=${SOAK_AZURITE_PORT:-20100}
node_modules/.bin/azurite --silent --skipApiVersionCheck --loose --disableTelemetry --inMemoryPersistence \
  --blobPort "$azurite_port" --queuePort $((azurite_port + 1)) --tablePort $((azurite_port + 2)) >/dev/null 2>&1 &
azurite=$!
# The well-known development account of Azurite; public, documented by Microsoft, not a secret.
account_key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
export AzureWebJobsStorage="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$account_key;QueueEndpoint=http://127.0.0.1:$((azurite_port + 1))/devstoreaccount1;TableEndpoint=http://127.0.0.1:$((azurite_port + 2))/devstoreaccount1"
export Chat__SigningKey="soak-test-signing-key-not-a-secret-0123456789"
dotnet DevServer/bin/Release/net10.0/DevServer.dll --urls "http://127.0.0.1:$port" >"bench/results/soak-$stamp-devserver.log" 2>&1 &
server=$!
trap 'kill $server $azurite 2>/dev/null; wait $server $azurite 2>/dev/null || true' EXIT
for _ in $(seq 1 150); do curl -fs "http://127.0.0.1:$port/api/health" >/dev/null && break; sleep 0.2; done

dotnet bench/FunctionsChat.Bench/bin/Release/net10.0/FunctionsChat.Bench.dll --url "http://127.0.0.1:$port" \
  --members "$members" --messages "$messages" --rate "$rate" --label "soak-$members-members-${minutes}min" \
  --max-seconds $((minutes * 60 + 180)) &
bench=$!

echo "seconds,working_set_mb,managed_heap_mb,open_connections,storage_operations" >"$samples"
start=$(date +%s)
while kill -0 "$bench" 2>/dev/null; do
  metrics=$(curl -fs "http://127.0.0.1:$port/_dev/metrics" || echo '{}')
  connections=$(ss -Htn state established "( sport = :$port )" | wc -l)
  node -e '
    const m = JSON.parse(process.argv[1]); const p = m.process || {}; const s = m.storageOperations || {};
    const mb = b => (b / 1048576).toFixed(1);
    console.log([process.argv[2], mb(p.workingSetBytes || 0), mb(p.managedHeapBytes || 0), process.argv[3], s.total || 0].join(","));
  ' "$metrics" "$(( $(date +%s) - start ))" "$connections" >>"$samples"
  sleep 15
done
wait "$bench"
status=$?
echo
echo "Samples ($samples):"
column -s, -t "$samples"
exit $status
