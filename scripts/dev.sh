#!/usr/bin/env bash
# Runs the chat on this machine: DevServer on http://localhost:7071, starting Azurite if it is not running.
# Extra arguments go to DevServer, e.g. --urls http://localhost:5000
set -euo pipefail
source "$(dirname "$0")/lib.sh"
command -v dotnet >/dev/null || { echo "The .NET 10 SDK is needed: https://dotnet.microsoft.com/download" >&2; exit 1; }
command -v npm >/dev/null || { echo "Node.js 20+ with npm is needed for Azurite." >&2; exit 1; }
ensure_node_modules
ensure_local_settings
cd "$repo_root"
# Built quietly first: the Functions SDK's generated extensions project restores with NU1603 warnings about
# versions of the host's own packages, which say nothing about this app. Errors still show.
say "Building DevServer and the function app"
if ! build_output=$(dotnet build DevServer -nologo -v quiet 2>&1); then
  printf '%s\n' "$build_output" | grep -E 'error|Error' >&2 || printf '%s\n' "$build_output" >&2
  exit 1
fi
exec dotnet run --no-build --project DevServer -- "$@"
