#!/usr/bin/env bash
# Installs the Debian packages the local stack runs privately (it never uses their
# system services): PostgreSQL with its contrib extensions (search needs unaccent and
# pg_trgm), Redis, RabbitMQ (with Erlang's epmd), Prometheus, Chromium for the browser
# tests (driven headless by playwright-core), and curl/unzip/patch for the setup itself. apt
# runs only when something is missing.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

missing=()
compgen -G '/usr/lib/postgresql/*/bin/postgres' > /dev/null || missing+=(postgresql)
# Debian ships them in the server package; postgresql-contrib makes sure, whatever the version.
{ compgen -G '/usr/share/postgresql/*/extension/unaccent.control' > /dev/null \
  && compgen -G '/usr/share/postgresql/*/extension/pg_trgm.control' > /dev/null; } || missing+=(postgresql-contrib)
command -v redis-server > /dev/null || missing+=(redis-server)
{ [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] && command -v epmd > /dev/null; } || missing+=(rabbitmq-server)
command -v prometheus > /dev/null || missing+=(prometheus)
command -v chromium > /dev/null || missing+=(chromium)
command -v curl > /dev/null || missing+=(curl)
command -v unzip > /dev/null || missing+=(unzip)
command -v patch > /dev/null || missing+=(patch)
command -v setpriv > /dev/null || missing+=(util-linux)

if [ ${#missing[@]} -eq 0 ]; then
  say "debian packages: all present"
  exit 0
fi
say "debian packages: installing ${missing[*]}"
as_root apt-get update
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
