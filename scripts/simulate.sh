#!/usr/bin/env bash
# Runs seeds of the cluster simulation (tests/FunctionsChat.Simulation, issue 18): instances of the real app on a
# model of Azure Storage, page-like clients, an operator; invariants checked after each run. Prints a report for each
# failed seed (the events that led to it) and, last, one JSON line: seeds run, failures with their seeds, lost and
# duplicate deliveries, latency p50/p95/p99 in simulated time, storage operations per delivered message and per idle
# member-minute, executions per member-minute.
#   ./scripts/simulate.sh --seeds 1000 [--first-seed 1] [--instances 3] [--members 12] [--chat-seconds 60]
#                         [--settle-seconds 45] [--rate R (room messages/s; 0: idle)] [--second-tabs 0.2] [--operator on|off]
#                         [--faults on|off] [--seed S] [--reports 3] [--parallel N] [--trace] [--set Chat:Key=value]
# --seed S runs one seed (a failure's seed, to see it again); --trace prints every event of the run.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo_root"
project=tests/FunctionsChat.Simulation
dotnet build "$project" -c Release -nologo -v quiet >&2
exec dotnet "$project/bin/Release/net10.0/FunctionsChat.Simulation.dll" "$@"
