# Shared helpers for the setup scripts: paths, step timing, stamps and a progress line
# for long Go builds. Sourced, not run.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TOOLS=$ROOT/.tools
BIN=$TOOLS/bin
STAMPS=$TOOLS/stamps
LOGS=$TOOLS/logs
mkdir -p "$BIN" "$STAMPS" "$LOGS"

if [ -t 1 ]; then TTY=1; else TTY=; fi

now() { date +%s; }
fmt_duration() { local s=$1; if [ "$s" -ge 60 ]; then printf '%dm%02ds' $((s / 60)) $((s % 60)); else printf '%ds' "$s"; fi; }
say() { printf '%s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# A stamp records what a cached artefact was built from, so a changed pin rebuilds it.
stamp_matches() { [ -f "$STAMPS/$1" ] && [ "$(cat "$STAMPS/$1")" = "$2" ]; }
stamp_write() { printf '%s' "$2" > "$STAMPS/$1"; }

# Prints the module cache folder of module@version, downloading it first.
module_dir() {
  local dir
  dir=$(cd "$TOOLS" && GOFLAGS=-mod=mod go mod download -json "$1" | sed -nE 's/^\s*"Dir": "(.*)",?$/\1/p')
  [ -d "$dir" ] || die "go mod download $1 gave no source folder"
  printf '%s' "$dir"
}

# Copies module@version out of the read-only module cache into $TOOLS/src so a build
# can add or change files there; $2 is a command run inside the copy to do that.
# Prints the copy's path.
writable_module_copy() {
  local dest=$TOOLS/src/${1##*/} cached
  if [ ! -f "$dest/.meshmart-prepared" ]; then
    cached=$(module_dir "$1")
    rm -rf "$dest.tmp" "$dest"
    mkdir -p "$TOOLS/src"
    cp -R "$cached" "$dest.tmp"
    chmod -R u+w "$dest.tmp"
    (cd "$dest.tmp" && eval "$2")
    touch "$dest.tmp/.meshmart-prepared"
    mv "$dest.tmp" "$dest"
  fi
  printf '%s' "$dest"
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Runs "$@" (a `go build -v`/`go install -v`), whose stderr lists each package as it is
# compiled, and shows how many have been compiled so far: a rewritten line on a
# terminal, a plain line every 30s otherwise so CI logs show the build is alive.
# The full output lands in $LOGS/<label>.log and its tail is shown on failure.
go_build_progress() {
  local label=$1; shift
  local log=$LOGS/$label.log start=$(now) rc
  : > "$log"
  "$@" > "$log" 2>&1 &
  local pid=$! last_report=$start
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    local n elapsed
    n=$(grep -cvE '^(go: |#|\s)' "$log" || true)
    elapsed=$(( $(now) - start ))
    if [ -n "$TTY" ]; then
      printf '\r  %s: %d packages compiled, %s ' "$label" "$n" "$(fmt_duration "$elapsed")"
    elif [ $(( $(now) - last_report )) -ge 30 ]; then
      printf '  %s: %d packages compiled, %s\n' "$label" "$n" "$(fmt_duration "$elapsed")"
      last_report=$(now)
    fi
  done
  wait "$pid" && rc=0 || rc=$?
  [ -n "$TTY" ] && printf '\r\033[K'
  if [ "$rc" != 0 ]; then
    printf '  %s failed after %s; last lines of %s:\n' "$label" "$(fmt_duration $(( $(now) - start )))" "$log" >&2
    tail -n 30 "$log" >&2
    return "$rc"
  fi
  printf '  %s: built in %s\n' "$label" "$(fmt_duration $(( $(now) - start )))"
}
