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

# For a tool fetched as a prebuilt release into the folder $1 (go, node): prints $1/bin and
# succeeds when the copy there reports version $2 through the command "${@:3}", a binary
# of $1/bin and its arguments. A later pin fails it, so the caller fetches again.
fetched_release_bin() {
  local dir=$1 wanted=$2
  shift 2
  [ -x "$1" ] && [ "$("$@")" = "$wanted" ] || return 1
  printf '%s\n' "$dir/bin"
}

# The machine's architecture as a release names it: $1 for x86_64 (amd64 or x64), arm64
# for arm64; stops for any other.
release_arch() {
  case $(uname -m) in
    x86_64) printf '%s' "$1" ;;
    aarch64 | arm64) printf arm64 ;;
    *) die "no prebuilt release for $(uname -m)" ;;
  esac
}

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
# can add or change files there; $2 is a command run inside the copy to do that, $3 the
# copy's folder name (default: module@version). Files named after that (the patches $2
# applies) are hashed into the marker, so a changed patch makes a fresh copy.
# Prints the copy's path.
writable_module_copy() {
  local dest=$TOOLS/src/${3:-${1##*/}} cached prepared=
  [ $# -ge 4 ] && prepared=$(files_hash "${@:4}")
  if [ ! -f "$dest/.meshmart-prepared" ] || [ "$(cat "$dest/.meshmart-prepared")" != "$prepared" ]; then
    cached=$(module_dir "$1")
    rm -rf "$dest.tmp" "$dest"
    mkdir -p "$TOOLS/src"
    cp -R "$cached" "$dest.tmp"
    chmod -R u+w "$dest.tmp"
    (cd "$dest.tmp" && eval "$2")
    printf '%s' "$prepared" > "$dest.tmp/.meshmart-prepared"
    mv "$dest.tmp" "$dest"
  fi
  printf '%s' "$dest"
}

# Runs "$@" as one named step of a setup script, with a start line and its duration.
step() {
  local label=$1 t0
  shift
  t0=$(now)
  say "▸ $label"
  "$@"
  say "✓ $label ($(fmt_duration $(( $(now) - t0 ))))"
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

# Prints the version of module $2 that the go.mod file $1 requires (or replaces it with).
go_mod_version() {
  awk -v m="$2" '$1 == "require" { $1 = ""; $0 = $0 } $1 == m && $2 ~ /^v/ { print $2; exit }' "$1"
}

# A short hash of the given files, so a stamp changes when any of them does.
files_hash() { cat "$@" | sha256sum | cut -c1-16; }

# The commit time of module $2 as the Go module proxy reports it, read in the module
# folder $1 (ISO 8601, UTC): a reproducible build date for version ldflags.
go_mod_time() {
  go list -C "$1" -m -f '{{if .Time}}{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}{{end}}' "$2"
}

# -ldflags that stamp a Kubernetes binary built from the k8s.io/kubernetes module
# required in $1/go.mod with its release, as the Kubernetes release build does, so
# `--version` and the API server's /version report it (and the compatibility version is
# derived from it). The build date is the release's commit time.
kube_version_ldflags() {
  local version major minor date flags="-s -w" pkg key
  version=$(go_mod_version "$1/go.mod" k8s.io/kubernetes)
  [ -n "$version" ] || die "no k8s.io/kubernetes requirement in $1/go.mod"
  major=${version#v}; major=${major%%.*}
  minor=${version#v*.}; minor=${minor%%.*}
  date=$(go_mod_time "$1" k8s.io/kubernetes)
  for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    for key in gitVersion=$version gitMajor=$major gitMinor=$minor gitTreeState=clean buildDate=$date; do
      flags+=" -X $pkg.$key"
    done
  done
  printf '%s' "$flags"
}

# -ldflags that stamp an Istio binary built from the istio.io/istio module required in
# $1/go.mod: the module's VERSION file names the release branch's minor, and a build of
# a branch snapshot is "<minor>-dev" (as Istio's own Makefile names it) with the
# snapshot's commit as its revision.
istio_version_ldflags() {
  local version dir revision pkg=istio.io/istio/pkg/version
  version=$(go_mod_version "$1/go.mod" istio.io/istio)
  [ -n "$version" ] || die "no istio.io/istio requirement in $1/go.mod"
  dir=$(go list -C "$1" -m -f '{{.Dir}}' istio.io/istio)
  [ -f "$dir/VERSION" ] || die "no VERSION file in istio.io/istio@$version"
  revision=${version##*-}
  printf '%s' "-s -w -X $pkg.buildVersion=$(tr -d '[:space:]' < "$dir/VERSION")-dev" \
    " -X $pkg.buildGitRevision=$revision -X $pkg.buildTag=$version -X $pkg.buildStatus=Clean" \
    " -X $pkg.buildOS=$(go env GOOS) -X $pkg.buildArch=$(go env GOARCH)"
}

# Builds package $5 of module $3, pinned in the Go module at tools/$2, into $BIN/$1 with the
# ldflags that function $6 prints for that module; skipped while the pin is unchanged.
# $4 is how long a first build takes, for the start line; the rest is the command that
# prints the built binary's version.
build_pinned_binary() {
  local name=$1 src=$ROOT/tools/$2 module=$3 expected=$4 package=$5 ldflags_of=$6 version want
  shift 6
  version=$(go_mod_version "$src/go.mod" "$module")
  [ -n "$version" ] || die "no $module requirement in $src/go.mod"
  want="$version $(files_hash "$src/go.mod" "$src/go.sum")"
  if [ -x "$BIN/$name" ] && stamp_matches "$name" "$want"; then
    say "$name $version: up to date"
    return 0
  fi
  say "$name: building $module $version (a first build takes $expected on 2 cores)"
  go_build_progress "$name" go build -C "$src" -v -trimpath \
    -ldflags "$("$ldflags_of" "$src")" \
    -o "$BIN/$name.new" "$package"
  mv "$BIN/$name.new" "$BIN/$name"
  stamp_write "$name" "$want"
  say "$name: $("$BIN/$name" "$@")"
}

# A Kubernetes component from the module pinned in tools/control-plane.
build_kube_binary() {
  build_pinned_binary "$1" control-plane k8s.io/kubernetes "$2" "k8s.io/kubernetes/cmd/$1" kube_version_ldflags --version
}
