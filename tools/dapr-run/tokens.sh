# Sourced by tools/dapr-run/daprd and tools/dapr-run/with-tokens, so that under
# `dapr run -f .` every sidecar and its app share one Dapr API token and one app token.
# Both exported in the environment that runs the CLI win; otherwise they come from
# .data/dapr-run/tokens.env, made once (random, mode 600) by whichever process starts
# first. Sets $root to the repository root.
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
if [ -z "${DAPR_API_TOKEN:-}" ] || [ -z "${APP_API_TOKEN:-}" ]; then
  tokens_file=$root/.data/dapr-run/tokens.env
  if [ ! -s "$tokens_file" ]; then
    mkdir -p "$(dirname "$tokens_file")"
    draft=$(mktemp "$tokens_file.XXXXXX")
    printf 'DAPR_API_TOKEN=%s\nAPP_API_TOKEN=%s\n' \
      "$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')" "$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')" > "$draft"
    # ln fails when the file exists: of nine sidecars and nine apps starting at once,
    # the first one's tokens stand and the others read them.
    ln "$draft" "$tokens_file" 2> /dev/null || true
    rm -f "$draft"
  fi
  set -a
  # shellcheck source=/dev/null
  . "$tokens_file"
  set +a
fi
