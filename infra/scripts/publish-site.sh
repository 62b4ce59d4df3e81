#!/usr/bin/env bash
# azd postdeploy hook: publish StaticSite/ to the static website, with config.js pointing at the deployed API
# and the page's Content-Security-Policy allowing that origin in connect-src.
#
#   publish-site.sh                    stage and upload (azd passes API_BASE_URL, STATIC_SITE_STORAGE_ACCOUNT)
#   publish-site.sh --stage-only DIR   only write the files that would be uploaded into DIR (no Azure; used by tests)
#
# Uploads with `az storage blob upload-batch --auth-mode login`: the site account has shared keys off, and the
# deploying identity got Storage Blob Data Contributor on it at provision time (main.bicep, principalId).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
site_dir="${STATIC_SITE_DIR:-$repo_root/StaticSite}"

fail() { echo "publish-site: $*" >&2; exit 1; }

# Writes the deployable copy of the page into $1 for the API at $2. The repo's StaticSite/ is never modified:
# there, config.js keeps the same-origin default that DevServer and func start need.
stage() {
  local dest="$1" api="$2"
  [[ "$api" =~ ^https?://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._~/-]*)?$ ]] || fail "API_BASE_URL '$api' is not a plain http(s) URL."
  api="${api%/}"
  local origin
  origin="$(printf '%s' "$api" | sed -E 's#^(https?://[^/]+).*#\1#')"

  [[ -f "$site_dir/config.js" ]] || fail "$site_dir/config.js not found."
  mkdir -p "$dest"
  cp -R "$site_dir/." "$dest/"

  # config.js holds one `export const apiBase = '...';` line; replace only that, and insist it is there,
  # so a change of the page's config format breaks here (and in the tests) instead of in the browser.
  grep -Eq "^export const apiBase = .*;" "$dest/config.js" || fail "config.js has no 'export const apiBase = ...;' line to rewrite."
  sed -E -i "s#^export const apiBase = .*;#export const apiBase = '${api}';#" "$dest/config.js"

  # A page whose CSP (a <meta http-equiv> line: a storage website cannot send headers) limits connect-src must be
  # allowed to reach the API's origin. Only that line changes.
  local page
  while IFS= read -r -d '' page; do
    sed -E -i "/http-equiv=\"Content-Security-Policy\"/ s#connect-src #connect-src ${origin} #" "$page"
  done < <(find "$dest" -name '*.html' -print0)
}

if [[ "${1:-}" == "--stage-only" ]]; then
  [[ -n "${2:-}" ]] || fail "usage: $0 --stage-only DIR"
  stage "$2" "${API_BASE_URL:?API_BASE_URL is required}"
  exit 0
fi

# Run by hand outside azd: read the environment's values from azd.
if [[ -z "${API_BASE_URL:-}" || -z "${STATIC_SITE_STORAGE_ACCOUNT:-}" ]] && command -v azd >/dev/null; then
  set -a
  # shellcheck disable=SC1090
  source <(azd env get-values)
  set +a
fi
: "${API_BASE_URL:?API_BASE_URL is not set: run azd provision first}"
: "${STATIC_SITE_STORAGE_ACCOUNT:?STATIC_SITE_STORAGE_ACCOUNT is not set: run azd provision first}"
command -v az >/dev/null || fail "the Azure CLI (az) is required to upload the page; install it and run 'az login'."

staging="$(mktemp -d)"
trap 'rm -rf "$staging"' EXIT
stage "$staging" "$API_BASE_URL"

# A role assignment made by the provision a minute ago can take a few minutes to apply: retry 403s for a while.
for attempt in $(seq 1 12); do
  # shellcheck disable=SC2016 # '$web' is the static website's container name, not a variable
  if az storage blob upload-batch \
      --account-name "$STATIC_SITE_STORAGE_ACCOUNT" \
      --destination '$web' \
      --source "$staging" \
      --overwrite \
      --auth-mode login \
      --content-cache-control 'no-cache' \
      --only-show-errors >/dev/null; then
    echo "Chat page published: ${STATIC_SITE_URL:-https://$STATIC_SITE_STORAGE_ACCOUNT (static website)} -> API $API_BASE_URL"
    exit 0
  fi
  echo "Upload attempt $attempt failed (new role assignments take a few minutes); retrying in 20 s..." >&2
  sleep 20
done
fail "could not upload the page to $STATIC_SITE_STORAGE_ACCOUNT; check that you have Storage Blob Data Contributor on it."
