#!/usr/bin/env bash
# Builds the app with the production UI embedded and drives it under Xvfb.
set -euo pipefail
cd "$(dirname "$0")"
export PATH="$HOME/.cargo/bin:$PATH"
(cd ../../ui && npx vite build --logLevel warn)
cargo build -p clinic-app --locked
xvfb-run -a -s "-screen 0 1280x800x24" npm test
