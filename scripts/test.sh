#!/usr/bin/env bash
# Sets everything up, then runs every check and test. This is what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never CLINIC_KEYCHAIN=off

bash scripts/setup.sh

step() { echo; echo "==> $*"; }

step "rustfmt"
cargo fmt --all --check

step "UI: type check, unit tests (Vitest), screens against a fake backend (Playwright, headless Chromium), production build"
(cd ui && npm run --silent typecheck && npx vitest run && npm run --silent test:screens && npx vite build --logLevel warn)

step "clippy (warnings denied)"
cargo clippy --workspace --all-targets --locked -- -D warnings
# The benchmark only builds with its feature: lint it so it cannot rot.
cargo clippy -p clinic-core --all-targets --features bench-plain --locked -- -D warnings

step "licences, bans and sources of every crate (cargo deny, deny.toml)"
target/tools/cargo-deny check licenses bans sources
# The RustSec database is fetched from GitHub: checked where it can be reached.
if advisories=$(target/tools/cargo-deny check advisories 2>&1); then
  echo "advisories ok"
elif grep -q "failed to fetch advisory database" <<<"$advisories"; then
  echo "advisories: the RustSec database cannot be fetched from here (offline), not checked"
else
  echo "$advisories" >&2
  exit 1
fi

step "core, CLI and Tauri command tests (real encrypted files, mock runtime)"
cargo test --locked --workspace

step "TypeScript bindings are up to date"
if ! git diff --exit-code --stat -- ui/src/bindings || [ -n "$(git ls-files --others --exclude-standard ui/src/bindings)" ]; then
  echo "ui/src/bindings changed when regenerated: run 'cargo test -p clinic-core' and commit them." >&2
  exit 1
fi

step "end to end: the real app under Xvfb through tauri-driver"
bash tests/e2e/run.sh

echo
echo "All checks passed."
