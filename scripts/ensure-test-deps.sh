#!/usr/bin/env bash
# What `npm run test:all` needs beyond npm packages, and what it changes outside the project
# (README, "Testing"): Debian's chromium for the console's browser tests (playwright-core drives
# it; it never downloads a browser of its own). It asks before installing it, unless CI=true
# (a CI machine is there to be changed). The real OpenClaw gateway is installed by the test setup
# itself into ~/.cache/clawops (CLAWOPS_CACHE_DIR), not into the system.
set -euo pipefail
# The browser the tests launch (test/support/console-server.ts reads the same variable).
chromium=${CLAWOPS_CHROMIUM:-/usr/bin/chromium}
if [ -x "$chromium" ]; then
  exit 0
fi
say() { printf 'clawops tests: %s\n' "$*" >&2; }
if [ "$(id -u)" = 0 ]; then
  install=(env DEBIAN_FRONTEND=noninteractive apt-get)
elif command -v sudo >/dev/null; then
  install=(sudo env DEBIAN_FRONTEND=noninteractive apt-get)
else
  say "chromium is missing (the console's browser tests drive it) and this user cannot install it: run 'apt-get install chromium' as root, then this command again."
  exit 1
fi
if [ "${CI:-}" != true ]; then
  say "the browser tests need Debian's chromium ($chromium), which is not installed."
  say "installing it runs apt-get update and apt-get install chromium$([ "$(id -u)" = 0 ] || echo " through sudo") (about 80 MB to download, 290 MB on disk, outside this project)."
  if [ ! -t 0 ]; then
    say "not asking without a terminal: install it yourself, or run with CI=true to let this script install it."
    exit 1
  fi
  printf 'clawops tests: install chromium now? [y/N] ' >&2
  read -r answer
  case $answer in
    y | Y | yes | YES) ;;
    *)
      say "not installed. Install it yourself, or skip the browser tests: npm test -- typecheck lint unit gateway workers workerd"
      exit 1
      ;;
  esac
fi
say "installing Debian chromium (needed by the console browser tests)…"
"${install[@]}" update -qq
"${install[@]}" install -y -qq chromium >/dev/null
