#!/usr/bin/env bash
# The control-plane binaries that the loopback cluster tests run, built from their Go
# modules into .tools/bin (git-ignored), each skipped when its pin has not changed:
# etcd, kube-apiserver, kube-controller-manager and kube-scheduler (tools/control-plane),
# istiod's pilot-discovery and istioctl (tools/istio), the Dapr sidecar injector
# (tools/dapr-injector) and xds-dump (tools/xds-dump, reads istiod's Envoy config).
# Not part of `npm run setup`: the stack does not need them and a first run took 15m01s
# on the shared 2-core machine (with daprd and Jaeger already built); the test runner
# that needs them calls this, and a run with nothing to rebuild takes seconds.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/lib.sh"

started=$(now)
go_bin=$(bash "$here/go-toolchain.sh")
[ -n "$go_bin" ] && export PATH="$go_bin:$PATH"
# go build already keeps every core busy, so the builds run one after another.
step "etcd" bash "$here/build-etcd.sh"
step "kube-apiserver" bash "$here/build-kube-apiserver.sh"
step "kube-controller-manager" bash "$here/build-kube-controller-manager.sh"
step "kube-scheduler" bash "$here/build-kube-scheduler.sh"
step "istiod (pilot-discovery)" bash "$here/build-pilot-discovery.sh"
step "istioctl" bash "$here/build-istioctl.sh"
step "Dapr sidecar injector" bash "$here/build-dapr-injector.sh"
step "xds-dump" bash "$here/build-xds-dump.sh"
say "cluster tools done in $(fmt_duration $(( $(now) - started )))"
