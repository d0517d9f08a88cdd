#!/usr/bin/env bash
# Makes sure the Node release in .node-version runs the project. A machine node of that
# major or newer will do; otherwise the official binary, published on the npm registry as
# the package node-linux-<arch>, is fetched into .tools/node (checked against the
# registry's sha512) and kept there for the next run.
# Prints the folder to put first on PATH, or nothing when the installed node will do.
# Progress goes to stderr: stdout is only that folder.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

wanted=$(tr -d '[:space:]' < "$ROOT/.node-version")
major=${wanted%%.*}

if command -v node > /dev/null; then
  have=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$have" -ge "$major" ]; then exit 0; fi
fi

dir=$TOOLS/node
fetched_release_bin "$dir" "v$wanted" "$dir/bin/node" --version && exit 0
package=node-linux-$(release_arch x64)@$wanted
# Read with the machine's npm, so a configured registry or proxy applies here too.
read -r tarball integrity < <(npm view "$package" dist.tarball dist.integrity --json |
  node -e 'const d = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(d["dist.tarball"], d["dist.integrity"])')
[ -n "$tarball" ] && [ -n "$integrity" ] || die "the npm registry has no $package"

say "node: fetching $package (the machine's node is $(node --version 2>/dev/null || echo missing))" >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -t 2 ]; then progress=--progress-bar; else progress=--silent; fi
curl -fSL $progress --show-error -o "$tmp/node.tgz" "$tarball"
actual=sha512-$(node -e 'process.stdout.write(require("crypto").createHash("sha512").update(require("fs").readFileSync(process.argv[1])).digest("base64"))' "$tmp/node.tgz")
[ "$actual" = "$integrity" ] || die "$package: checksum mismatch (expected $integrity, got $actual)"
mkdir -p "$tmp/unpacked"
tar -xzf "$tmp/node.tgz" -C "$tmp/unpacked" package/bin/node package/LICENSE
rm -rf "$dir"
mv "$tmp/unpacked/package" "$dir"
say "node: $("$dir/bin/node" --version) in ${dir#"$ROOT"/}" >&2
printf '%s\n' "$dir/bin"
