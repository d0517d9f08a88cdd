#!/usr/bin/env bash
# Puts kube-apiserver at .tools/bin/kube-apiserver for the loopback control plane,
# built from the k8s.io/kubernetes module pinned in tools/control-plane/go.mod (its
# README explains the pin and the replaces), with the release stamped into `--version`.
# Cold build on the shared 2-core machine: 4m50s (1,591 packages) with only daprd's,
# Jaeger's and etcd's builds in the Go build cache.
# `kube-apiserver --version`: Kubernetes v1.37.2
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

build_kube_binary kube-apiserver "about 5 minutes"
