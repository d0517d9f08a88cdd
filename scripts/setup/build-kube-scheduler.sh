#!/usr/bin/env bash
# Puts kube-scheduler at .tools/bin/kube-scheduler for the loopback control plane,
# built from the k8s.io/kubernetes module pinned in tools/control-plane/go.mod (its
# README explains the pin and the replaces), with the release stamped into `--version`.
# Cold build on the shared 2-core machine: 17s (6 packages) right after kube-apiserver
# and kube-controller-manager, whose packages it shares.
# `kube-scheduler --version`: Kubernetes v1.37.2
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

build_kube_binary kube-scheduler "about 20 seconds after kube-apiserver"
