# Shared set-up steps for dev.sh and test.sh. Sourced, not run.
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# npm ci only when node_modules is missing or older than the lock file.
ensure_node_modules() {
  if [ ! -x "$repo_root/node_modules/.bin/azurite" ] || [ "$repo_root/package-lock.json" -nt "$repo_root/node_modules/.package-lock.json" ]; then
    say "Installing Azurite and dev tools (npm ci)"
    (cd "$repo_root" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

# Functions/local.settings.json is git-ignored; start from the sample's development values.
ensure_local_settings() {
  if [ ! -f "$repo_root/Functions/local.settings.json" ]; then
    say "Creating Functions/local.settings.json from local.settings.sample.json"
    cp "$repo_root/local.settings.sample.json" "$repo_root/Functions/local.settings.json"
  fi
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

azurite_running() { port_open 10000 && port_open 10001 && port_open 10002; }
