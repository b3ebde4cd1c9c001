#!/usr/bin/env bash
# Sets everything up, builds the UI and starts the Clinic CRM window.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
(cd ui && npx vite build --logLevel warn)
exec cargo run --release -p clinic-app --locked
