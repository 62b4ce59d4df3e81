#!/usr/bin/env bash
# One bench run on its own stack: a fresh Azurite (on disk, in a new temporary folder), one Release DevServer (two with --two-instances), the
# bench with the given options, then everything stopped. A long-lived development Azurite keeps every test's rows and
# slows down as it grows, so figures taken on it depend on its history; these do not.
# Usage: bash bench/run.sh [--two-instances] [--workers N] [--kill-worker-every SECONDS] [--stop-worker-every SECONDS] [--warm-up] [--sample-csv FILE] -- <bench options, e.g. --members 50 --rate 5>
# --warm-up first runs two unmeasured chats (30, then 100 members; 100 messages at 5/s; random spread) in other rooms
# on the same stack, so every worker process has compiled its request paths before the measured run: a run on N fresh workers
# otherwise measures N just-in-time compilations sharing 2 cores.
# --workers N sets FUNCTIONS_WORKER_PROCESS_COUNT=N (1-10) for each DevServer: N worker processes, each invocation
# sent to any of them, so N instances on one storage account. --kill-worker-every SECONDS SIGKILLs one random worker
# process (a child of a DevServer running FunctionsChat.Functions.dll) every SECONDS while the bench runs, logged with
# a timestamp on stderr; DevServer starts a new one. --stop-worker-every SECONDS stops one random ready worker
# gracefully every SECONDS instead (POST /_dev/workers/stop to a random one of our DevServers): DevServer stops routing
# to it, lets its invocations in flight finish within DevServer:WorkerDrainSeconds (default 5), then sends
# InvocationCancel for what still runs and WorkerTerminate, kills it 5 s later if it has not exited, and starts its
# replacement at once: the host's order when an instance is stopped (docs/reliability.md, "How an instance stops").
# Also logged with a timestamp on stderr. Both may be given.
# While the bench runs, the app's memory (its worker processes', and DevServer's own), open connections and storage operations are sampled every 10 s
# (to --sample-csv FILE if given), with the time Azurite takes to answer one (unauthenticated) queue request: the
# length of its backlog. Ports: DevServer 7190 (and 7191), Azurite 20100-20102; override with
# BENCH_PORT / BENCH_AZURITE_PORT. BENCH_DEVSERVER_DLL runs another DevServer build (an older commit's, to compare).
# BENCH_COMMAND=sends runs 'FunctionsChat.Bench sends' (sequential sends, the request path's latency) instead;
# BENCH_COMMAND=queue-cost times the fresh Azurite's queue calls alone (put, receive, delete; e.g. -- --queues 100).
set -euo pipefail
cd "$(dirname "$0")/.."
two=false samples="" workers="" kill_every="" stop_every="" warm_up=false
while [ $# -gt 0 ]; do
  case "$1" in
    --two-instances) two=true; shift ;;
    --sample-csv) samples=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    --kill-worker-every) kill_every=$2; shift 2 ;;
    --stop-worker-every) stop_every=$2; shift 2 ;;
    --warm-up) warm_up=true; shift ;;
    --) shift; break ;;
    *) echo "unknown option $1 (bench options go after --)" >&2; exit 2 ;;
  esac
done
if [ -n "$workers" ] && ! [[ "$workers" =~ ^([1-9]|10)$ ]]; then echo "--workers takes 1 to 10, not '$workers'" >&2; exit 2; fi
if [ -n "$kill_every" ] && ! [[ "$kill_every" =~ ^[1-9][0-9]{0,3}$ ]]; then echo "--kill-worker-every takes whole seconds (1-9999), not '$kill_every'" >&2; exit 2; fi
if [ -n "$stop_every" ] && ! [[ "$stop_every" =~ ^[1-9][0-9]{0,3}$ ]]; then echo "--stop-worker-every takes whole seconds (1-9999), not '$stop_every'" >&2; exit 2; fi
[ -n "$workers" ] && export FUNCTIONS_WORKER_PROCESS_COUNT=$workers
port=${BENCH_PORT:-7190}
azurite_port=${BENCH_AZURITE_PORT:-20100}
mkdir -p bench/results/logs
[ -x node_modules/.bin/azurite ] || npm ci --no-audit --no-fund >/dev/null

dotnet build -c Release -v quiet -nologo DevServer/DevServer.csproj >/dev/null
dotnet build -c Release -v quiet -nologo bench/FunctionsChat.Bench/FunctionsChat.Bench.csproj >/dev/null

pids=()
# On disk, not --inMemoryPersistence: the in-memory store keeps one extent per queue message and its garbage
# collector removes them one by one, re-sorting an index each time; at a few hundred puts/s that stalls Azurite
# for minutes (docs/performance.md, "Azurite's own limits"). The disk store appends messages to shared files.
azurite_data=$(mktemp -d)
stop_all() { kill "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null || true; rm -rf "$azurite_data"; }
trap stop_all EXIT

# BENCH_AZURITE_NODE_ARGS passes options to Azurite's node, e.g. "--cpu-prof --cpu-prof-dir=bench/results/profile".
node ${BENCH_AZURITE_NODE_ARGS:-} node_modules/azurite/dist/src/azurite.js --silent --skipApiVersionCheck --loose --disableTelemetry --location "$azurite_data" \
  --blobPort "$azurite_port" --queuePort $((azurite_port + 1)) --tablePort $((azurite_port + 2)) >/dev/null 2>&1 &
pids+=($!)
# The well-known development account of Azurite; public, documented by Microsoft, not a secret.
account_key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
export AzureWebJobsStorage="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$account_key;QueueEndpoint=http://127.0.0.1:$((azurite_port + 1))/devstoreaccount1;TableEndpoint=http://127.0.0.1:$((azurite_port + 2))/devstoreaccount1"
export Chat__SigningKey="bench-signing-key-not-a-secret-0123456789abcdef"
# Every simulated member joins from 127.0.0.1 into one room: lift the per-address join limit (30 a minute) and the
# room capacity (1,000 members) to their maximums. The send limit stays at its default (see docs/performance.md).
export Chat__JoinLimitPerMinute=100000 Chat__MaxMembersPerRoom=10000
export ASPNETCORE_ENVIRONMENT=Development Logging__LogLevel__Default=Warning

devservers=()
start_devserver() {
  dotnet "${BENCH_DEVSERVER_DLL:-DevServer/bin/Release/net10.0/DevServer.dll}" --urls "http://127.0.0.1:$1" >"bench/results/logs/devserver-$1.log" 2>&1 &
  pids+=($!)
  devservers+=($!)
  for _ in $(seq 1 150); do curl -fs "http://127.0.0.1:$1/api/health" >/dev/null && return 0; sleep 0.2; done
  echo "DevServer on port $1 did not answer /api/health; see bench/results/logs/devserver-$1.log" >&2
  exit 1
}
start_devserver "$port"
second=()
if $two; then
  start_devserver $((port + 1))
  second=(--second-url "http://127.0.0.1:$((port + 1))")
fi

if $warm_up; then
  warm_urls="http://127.0.0.1:$port"
  $two && warm_urls="$warm_urls,http://127.0.0.1:$((port + 1))"
  # Twice: on two cores, four workers' background JIT lags well behind one short chat.
  for warm_members in 30 100; do
    dotnet bench/FunctionsChat.Bench/bin/Release/net10.0/FunctionsChat.Bench.dll --urls "$warm_urls" --spread random --members $warm_members --messages 100 --rate 5 \
      --label warm-up --out "$(mktemp -d)" >/dev/null 2>&1 || echo "warm-up run failed (the measured run goes ahead)" >&2
  done
  sleep 5
fi
echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
dotnet bench/FunctionsChat.Bench/bin/Release/net10.0/FunctionsChat.Bench.dll ${BENCH_COMMAND:-} --url "http://127.0.0.1:$port" "${second[@]}" "$@" &
bench=$!

# The worker processes of our DevServers: their children whose command line names the function app's assembly.
worker_pids() {
  local parent child cmdline
  for parent in "${devservers[@]}"; do
    for child in $(pgrep -P "$parent" || true); do
      cmdline=$(tr '\0' ' ' <"/proc/$child/cmdline" 2>/dev/null) || continue
      [[ $cmdline == *FunctionsChat.Functions.dll* ]] && echo "$child"
    done
  done
  return 0
}
# Every $kill_every s until the bench exits: SIGKILL one random worker (no grace, as when an instance is lost).
kill_workers() {
  local waited=0 victims victim
  while kill -0 "$bench" 2>/dev/null; do
    sleep 1
    waited=$((waited + 1))
    [ "$waited" -lt "$kill_every" ] && continue
    waited=0
    kill -0 "$bench" 2>/dev/null || break
    mapfile -t victims < <(worker_pids)
    if [ ${#victims[@]} -eq 0 ]; then
      echo "[kill-worker] $(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) no worker process running (all restarting); none killed" >&2
      continue
    fi
    victim=${victims[RANDOM % ${#victims[@]}]}
    kill -KILL "$victim" 2>/dev/null \
      && echo "[kill-worker] $(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) SIGKILL worker pid $victim (1 of ${#victims[@]}; DevServer restarts it)" >&2
  done
}
if [ -n "$kill_every" ]; then
  kill_workers &
  pids+=($!)
fi
# Every $stop_every s until the bench exits: ask one of our DevServers to stop a random ready worker in order.
stop_workers() {
  local waited=0 ports=("$port") target answer
  $two && ports+=($((port + 1)))
  while kill -0 "$bench" 2>/dev/null; do
    sleep 1
    waited=$((waited + 1))
    [ "$waited" -lt "$stop_every" ] && continue
    waited=0
    kill -0 "$bench" 2>/dev/null || break
    target=${ports[RANDOM % ${#ports[@]}]}
    if answer=$(curl -fs -m 5 -X POST "http://127.0.0.1:$target/_dev/workers/stop"); then
      echo "[stop-worker] $(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) graceful stop of worker pid $(sed -E 's/[^0-9]//g' <<<"$answer") of DevServer :$target (DevServer drains, terminates and replaces it)" >&2
    else
      echo "[stop-worker] $(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) DevServer :$target has no ready worker to stop (all stopping or starting); none stopped" >&2
    fi
  done
}
if [ -n "$stop_every" ]; then
  stop_workers &
  pids+=($!)
fi

if [ -n "$samples" ]; then
  echo "seconds,workers_working_set_mb,devserver_working_set_mb,open_connections,storage_operations,azurite_answer_ms" >"$samples"
  start=$(date +%s)
  while kill -0 "$bench" 2>/dev/null; do
    metrics=$(curl -fs "http://127.0.0.1:$port/_dev/metrics" || echo '{}')
    connections=$(ss -Htn state established "( sport = :$port )" | wc -l)
    answer=$(curl -s -o /dev/null -m 60 -w '%{time_total}' "http://127.0.0.1:$((azurite_port + 1))/devstoreaccount1?comp=list" || echo 60)
    node -e '
      const m = JSON.parse(process.argv[1]); const p = m.process || {}; const s = m.storageOperations || {};
      const mb = b => (b / 1048576).toFixed(1);
      console.log([process.argv[2], mb(p.workingSetBytes || 0), mb(p.devServerWorkingSetBytes || 0), process.argv[3], s.total || 0,
        Math.round(process.argv[4] * 1000)].join(","));
    ' "$metrics" "$(( $(date +%s) - start ))" "$connections" "$answer" >>"$samples"
    sleep 10
  done
fi
status=0
wait "$bench" || status=$?
if [ -n "$samples" ]; then
  echo
  echo "Samples ($samples):"
  column -s, -t "$samples"
fi
exit $status
