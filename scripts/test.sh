#!/usr/bin/env bash
# Runs every test: .NET (unit, storage contract on Azurite, DevServer end-to-end, browser, deploy) and the page's
# node tests. Installs what is missing, starts Azurite if needed, and ends with one line "N passed, N failed".
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo_root"

# Chromium for the browser tests, and a CJK font so Chinese text renders (docs/screenshots/ are taken by a test).
ensure_chromium() {
  local chromium="${CHAT_CHROMIUM_PATH:-/usr/bin/chromium}" packages=()
  [ -x "$chromium" ] || packages+=(chromium)
  dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || packages+=(fonts-wqy-microhei)
  [ ${#packages[@]} -eq 0 ] && return 0
  say "Installing ${packages[*]} for the browser tests (apt)"
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq && $sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
  [ -x "$chromium" ] || { echo "Chromium could not be installed at $chromium; the browser tests cannot run." >&2; return 1; }
}

ensure_chromium || exit 1
ensure_node_modules || exit 1

azurite_pid=""
stop_azurite() { [ -n "$azurite_pid" ] && kill "$azurite_pid" 2>/dev/null; wait "$azurite_pid" 2>/dev/null; true; }
trap stop_azurite EXIT
if ! azurite_running; then
  say "Starting Azurite (in memory) for the tests"
  node_modules/.bin/azurite --silent --skipApiVersionCheck --loose --inMemoryPersistence >/dev/null 2>&1 &
  azurite_pid=$!
  # The test fixtures wait for Azurite themselves; this wait only gives a clearer error.
  for _ in $(seq 1 100); do azurite_running && break; sleep 0.2; done
  azurite_running || { echo "Azurite did not start on ports 10000-10002." >&2; exit 1; }
fi

results="$repo_root/TestResults"
rm -rf "$results"
say "dotnet build"
dotnet build FunctionsChat.sln -nologo -v quiet
build_status=$?
dotnet_status=$build_status
# One project at a time, in a fixed order: run side by side (as dotnet test on the solution does on a machine with
# more cores), DevServer's and the browser's end-to-end tests compete for the CPU and their timing checks flake.
projects=(FunctionsChat.Tests FunctionsChat.ContractTests FunctionsChat.Simulation FunctionsChat.DevServer.Tests
  FunctionsChat.ReliabilityTests FunctionsChat.BrowserTests FunctionsChat.DeployTests)
for csproj in tests/*/*.csproj; do # a test project added later runs too, last
  name=$(basename "$csproj" .csproj)
  grep -q 'xunit' "$csproj" && [[ " ${projects[*]} " != *" $name "* ]] && projects+=("$name")
done
for project in "${projects[@]}"; do
  [ "$build_status" -eq 0 ] || break
  say "dotnet test $project"
  dotnet test "tests/$project" --no-build --logger "trx;LogFileName=$project.trx" --logger "console;verbosity=normal" \
    --results-directory "$results" || dotnet_status=$?
done

say "node --test tests/page"
node_output=$(node --test --test-reporter=tap tests/page/ 2>&1)
node_status=$?
printf '%s\n' "$node_output" | grep -E '^(not ok|# (pass|fail|skipped|todo))' || true

sum_trx() { # attribute name -> total over every trx file
  local total=0 n
  for f in "$results"/*.trx; do
    [ -f "$f" ] || continue
    n=$(grep -o "<Counters [^>]*" "$f" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*')
    total=$((total + ${n:-0}))
  done
  echo "$total"
}
tap_count() { printf '%s\n' "$node_output" | sed -n "s/^# $1 \([0-9]*\)$/\1/p" | tail -1; }

# The failed tests' names and the start of their messages, last, so that a log cut to its tail still names them.
list_failed_trx() {
  local f
  for f in "$results"/*.trx; do
    [ -f "$f" ] || continue
    awk '
      /<UnitTestResult / && /outcome="(Failed|Error|Timeout)"/ {
        match($0, /testName="[^"]*"/); name = substr($0, RSTART + 10, RLENGTH - 11); inside = 1; shown = 0
        print "FAILED " name; next
      }
      inside && /<\/UnitTestResult>/ { inside = 0 }
      inside && /<Message>/ { grab = 1 }
      inside && grab && shown < 6 { line = $0; sub(/^ *(<Message>)?/, "", line); sub(/<\/Message>.*/, "", line); print "    " substr(line, 1, 300); shown++ }
      /<\/Message>/ { grab = 0 }
    ' "$f"
  done
}

passed=$(( $(sum_trx passed) + $(tap_count pass) ))
failed=$(( $(sum_trx failed) + $(sum_trx error) + $(sum_trx timeout) + $(tap_count fail) ))
skipped=$(( $(sum_trx notExecuted) + $(tap_count skipped) + $(tap_count todo) ))
if [ "$dotnet_status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; echo "dotnet test failed without a failed test (build error?)" >&2; fi
if [ "$node_status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; echo "node --test failed without a failed test" >&2; fi
[ "$failed" -gt 0 ] && { list_failed_trx; printf '%s\n' "$node_output" | grep -E '^not ok' || true; }
summary="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" -eq 0 ] && [ "$skipped" -eq 0 ]
