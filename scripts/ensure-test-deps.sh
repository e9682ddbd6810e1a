#!/usr/bin/env bash
# Installs what the test suites need beyond npm packages: Debian's chromium for the console's
# browser test (playwright-core drives it; it never downloads a browser of its own).
# The real OpenClaw gateway is installed by the test setup itself into ~/.cache/clawops.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
echo "clawops tests: installing Debian chromium (needed by the console browser test)…" >&2
if [ "$(id -u)" = 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
elif command -v sudo >/dev/null; then
  sudo apt-get update -qq
  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "chromium is missing and this user cannot install it: run 'apt-get install chromium' as root." >&2
  exit 1
fi
