#!/usr/bin/env bash
# Builds the app with the production UI embedded and drives it under Xvfb.
set -euo pipefail
cd "$(dirname "$0")"
export PATH="$HOME/.cargo/bin:$PATH"
(cd ../../ui && npx vite build --logLevel warn)
cargo build -p clinic-app --locked
# Closing the window as a window manager would (WM_DELETE_WINDOW) needs python-xlib: the
# system's (apt python3-xlib, from setup.sh), else the python3 on PATH with it from pip.
CLINIC_PYTHON=""
for py in python3 /usr/bin/python3; do
  if "$py" -c "import Xlib" 2>/dev/null; then CLINIC_PYTHON=$py; break; fi
done
if [ -z "$CLINIC_PYTHON" ]; then
  python3 -m pip install --quiet --disable-pip-version-check python-xlib==0.33
  CLINIC_PYTHON=python3
fi
export CLINIC_PYTHON
xvfb-run -a -s "-screen 0 1280x800x24" npm test
