#!/usr/bin/env bash
# Puts kube-controller-manager at .tools/bin/kube-controller-manager for the loopback
# control plane, built from the k8s.io/kubernetes module pinned in
# tools/control-plane/go.mod (its README explains the pin and the replaces), with the
# release stamped into `--version`.
# Cold build on the shared 2-core machine: 1m37s (363 packages) right after
# kube-apiserver, whose packages it mostly shares; alone, about as long as kube-apiserver.
# `kube-controller-manager --version`: Kubernetes v1.37.2
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

build_kube_binary kube-controller-manager "about 1.5 minutes after kube-apiserver"
