#!/usr/bin/env bash
# azd preprovision hook: make sure this azd environment has CHAT_SIGNING_KEY before main.parameters.json
# hands it to Bicep as the @secure() chatSigningKey. The key lives only in the azd environment
# (.azure/<env>/.env, git-ignored) and in the function app's settings, never in a tracked file.
#
# - already stored in the azd environment: kept as is (rotating it would log every member out);
# - given in the process environment (CI secret): stored, so provision and later runs agree;
# - missing on a person's machine: generated once, 48 random bytes;
# - missing in CI: fail, because a fresh key on every pipeline run would invalidate all tokens.
#
# CHAT_PREVIOUS_SIGNING_KEY (optional, the key before a rotation; docs/deploy.md) is stored when given in the process
# environment (a CI secret) and checked like the signing key; empty means none.
set -euo pipefail

min_length=32

stored="$(azd env get-value CHAT_SIGNING_KEY 2>/dev/null)" || stored=""
given="${CHAT_SIGNING_KEY:-}"

if [[ -n "$stored" ]]; then
  key="$stored"
  echo "CHAT_SIGNING_KEY: using the key already stored in this azd environment."
elif [[ -n "$given" ]]; then
  key="$given"
  azd env set CHAT_SIGNING_KEY "$key" >/dev/null
  echo "CHAT_SIGNING_KEY: stored the key from the process environment in this azd environment."
elif [[ -n "${CI:-}" || -n "${GITHUB_ACTIONS:-}" || -n "${TF_BUILD:-}" ]]; then
  echo "CHAT_SIGNING_KEY is not set. In a pipeline, pass it from a secret (see docs/deploy.md); a generated key would change on every run." >&2
  exit 1
else
  # URL-safe base64 of 48 random bytes: 64 characters, no quoting trouble in shells or app settings.
  key="$(head -c 48 /dev/urandom | base64 | tr -d '\n=' | tr '+/' '-_')"
  azd env set CHAT_SIGNING_KEY "$key" >/dev/null
  echo "CHAT_SIGNING_KEY: generated a new random key and stored it in this azd environment."
fi

if (( ${#key} < min_length )); then
  echo "CHAT_SIGNING_KEY must be at least $min_length characters (it has ${#key})." >&2
  exit 1
fi

stored_previous="$(azd env get-value CHAT_PREVIOUS_SIGNING_KEY 2>/dev/null)" || stored_previous=""
previous="${CHAT_PREVIOUS_SIGNING_KEY:-$stored_previous}"
if [[ "$previous" != "$stored_previous" ]]; then
  azd env set CHAT_PREVIOUS_SIGNING_KEY "$previous" >/dev/null
  echo "CHAT_PREVIOUS_SIGNING_KEY: stored the previous key from the process environment; tokens it signed stay valid."
fi
if [[ -n "$previous" ]] && (( ${#previous} < min_length )); then
  echo "CHAT_PREVIOUS_SIGNING_KEY must be empty or at least $min_length characters (it has ${#previous})." >&2
  exit 1
fi
