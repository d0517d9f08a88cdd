#!/usr/bin/env bash
# Creates a local kind cluster ready for `skaffold dev`: Istio with the profile in istio/,
# Dapr (pinned, mTLS off because Istio owns it) and the meshmart namespaces with their
# injection labels. Safe to re-run: every step converges instead of failing on existing state.
#
#   scripts/kind-up.sh            # cluster "meshmart"
#   MESHMART_CLUSTER=dev scripts/kind-up.sh
set -euo pipefail

cluster=${MESHMART_CLUSTER:-meshmart}
dapr_version=1.17.13
istio_minor=1.31
# istioctl 1.31 needs 1.32+; the manifests are checked against 1.37 (kind v0.33's node image).
min_k8s_minor=32
repo=$(cd "${BASH_SOURCE[0]%/*}/.." && pwd)

missing=()
need() {
  command -v "$1" >/dev/null 2>&1 || missing+=("$1 — $2")
}
need docker "install Docker Desktop or Docker Engine: https://docs.docker.com/get-docker/"
need kind "install kind v0.33 or newer: https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
need kubectl "install kubectl: https://kubernetes.io/docs/tasks/tools/"
need istioctl "install istioctl ${istio_minor}.x: https://istio.io/latest/docs/setup/getting-started/#download"
need helm "install Helm 3: https://helm.sh/docs/intro/install/"
need skaffold "install skaffold v2 (config v4beta13): https://skaffold.dev/docs/install/"
need npm "install Node.js 24 LTS with npm: https://nodejs.org/"
if ((${#missing[@]} > 0)); then
  echo "kind-up: missing prerequisites:" >&2
  printf '  - %s\n' "${missing[@]}" >&2
  exit 1
fi
if ! docker info >/dev/null 2>&1; then
  echo "kind-up: docker is installed but the daemon does not answer; start Docker and retry." >&2
  exit 1
fi
istio_client=$(istioctl version --remote=false 2>/dev/null | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n 1 || true)
if [[ ${istio_client} != ${istio_minor}.* ]]; then
  echo "kind-up: warning: istioctl is ${istio_client:-unknown}; the manifests are validated against Istio ${istio_minor}." >&2
fi
if [[ ! -d ${repo}/node_modules ]]; then
  echo "kind-up: run 'npm install' in ${repo} first (the manifests are synthesized with cdk8s)." >&2
  exit 1
fi

step() { printf '\n==> %s\n' "$*"; }

step "kind cluster '${cluster}'"
if kind get clusters 2>/dev/null | grep -qx "${cluster}"; then
  echo "exists; reusing it"
else
  kind create cluster --name "${cluster}" --wait 120s
fi
kubectl config use-context "kind-${cluster}" >/dev/null
server_minor=$(kubectl version -o json | sed -n 's/.*"minor": *"\([0-9]*\).*/\1/p' | tail -n 1)
if [[ -z ${server_minor} || ${server_minor} -lt ${min_k8s_minor} ]]; then
  echo "kind-up: Kubernetes 1.${server_minor:-?} is too old; Istio ${istio_minor} needs 1.${min_k8s_minor}+ (use a newer kind)." >&2
  exit 1
fi

step "Istio (istio/istio-operator.yaml)"
istioctl install -y -f "${repo}/istio/istio-operator.yaml"
kubectl apply -f "${repo}/istio/mesh-telemetry.yaml"

step "Dapr ${dapr_version}"
helm repo add dapr https://dapr.github.io/helm-charts/ --force-update >/dev/null
helm repo update dapr >/dev/null
# global.mtls.enabled=false: Istio already encrypts and authenticates every hop; two
# layers of mTLS would double the handshakes and certificates for no gain.
# global.actors.enabled=false, global.scheduler.enabled=false: meshmart uses no actors,
# workflows or jobs, so neither placement nor scheduler is installed and no sidecar
# waits on them (a sidecar's health includes both whenever it is given their address).
helm upgrade --install dapr dapr/dapr \
  --version "${dapr_version}" \
  --namespace dapr-system --create-namespace \
  --set global.mtls.enabled=false \
  --set global.actors.enabled=false \
  --set global.scheduler.enabled=false \
  --set global.logAsJson=true \
  --set dapr_sidecar_injector.sidecarDropALLCapabilities=true \
  --wait --timeout 10m

step "meshmart namespaces"
(cd "${repo}" && npm run --silent synth --workspace @meshmart/cdk8s)
kubectl apply -f "${repo}/cdk8s/dist/00-namespaces.yaml"

cat <<DONE

Cluster '${cluster}' is ready. Next:
  skaffold dev            # or: skaffold dev -p small   (laptops with ~6 GB for Docker)
Then open:
  http://localhost:8080         meshmart (web UI, /api, /s/<code>) through the Istio ingress
  http://localhost:3000         Grafana (dashboards in the "meshmart" folder)
  http://localhost:16686        Jaeger
  http://localhost:9090         Prometheus
DONE
