#!/usr/bin/env bash
# Start-up time and memory of the release app beside an empty Tauri window (see
# startup-bench.mjs). Needs what scripts/setup.sh installs. Not part of CI: figures, not tests.
set -euo pipefail
cd "$(dirname "$0")"
export PATH="$HOME/.cargo/bin:$PATH"
(cd ../../ui && npx vite build --logLevel warn)
cargo build --release --locked -p clinic-app -p clinic-cli --features clinic-app/custom-protocol --bins --example empty_window
# A private session bus with an unlocked Secret Service keyring, as on a signed-in desktop.
exec dbus-run-session -- bash -c '
  echo -n bench | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  xvfb-run -a -s "-screen 0 1280x800x24" node startup-bench.mjs'
