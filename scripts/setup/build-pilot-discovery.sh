#!/usr/bin/env bash
# Puts pilot-discovery, istiod's discovery server (what the istiod image runs), at
# .tools/bin/pilot-discovery for the loopback control plane, built from the istio.io/istio
# release-branch snapshot pinned in tools/istio/go.mod (its README says which Istio
# minor that is and why).
# Cold build on the shared 2-core machine: 6m53s (1,423 packages) with the Kubernetes
# builds in the Go build cache (none of their k8s.io packages match: Istio uses v0.36).
# `pilot-discovery version --short`: client version: 1.31-dev
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

build_pinned_binary pilot-discovery istio istio.io/istio "about 7 minutes" istio.io/istio/pilot/cmd/pilot-discovery istio_version_ldflags version --short
