#!/usr/bin/env bash
# Generates the Prisma client into src/generated/prisma (gitignored), offline.
# `prisma generate` insists on a native schema engine it cannot download here, yet never runs it
# for generate: any existing file satisfies the check. Prisma 7 would download it otherwise, and
# build machines may reach only the package registries.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${PRISMA_SCHEMA_ENGINE_BINARY:-}" ]]; then
  for candidate in /usr/bin/true /bin/true; do
    if [[ -x "$candidate" ]]; then PRISMA_SCHEMA_ENGINE_BINARY="$candidate"; break; fi
  done
fi
export PRISMA_SCHEMA_ENGINE_BINARY
# No update check or telemetry: the machines reach only the package registries.
export CHECKPOINT_DISABLE=1 PRISMA_HIDE_UPDATE_MESSAGE=1

exec node_modules/.bin/prisma generate "$@"
