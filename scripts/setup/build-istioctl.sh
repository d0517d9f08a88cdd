#!/usr/bin/env bash
# Puts istioctl at .tools/bin/istioctl for the loopback control plane,
# built from the istio.io/istio release-branch snapshot pinned in tools/istio/go.mod
# (its README says which Istio minor that is and why).
# Cold build on the shared 2-core machine: 1m00s (294 packages) right after
# pilot-discovery, whose packages it mostly shares.
# `istioctl version --remote=false --short`: client version: 1.31-dev
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

build_pinned_binary istioctl istio istio.io/istio "about 1 minute after pilot-discovery" istio.io/istio/istioctl/cmd/istioctl istio_version_ldflags version --remote=false --short
