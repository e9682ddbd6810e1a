#!/bin/sh
# clawops agent installer. A clawops control plane serves it at <url>/agent/install.sh with its
# own URL and the SHA-256 of the agent it serves filled in (src/node/agent-install.ts); this file
# is the template. `clawops enroll <host>` prints the command that runs it, as root, on the host:
#
#   curl -fsSL <url>/agent/install.sh | sh -s -- --host node-3 --code XXXX-XXXX-XXXX
#
# It finds the Node >= 24.16 the OpenClaw gateway runs on (or takes --node), downloads the
# single-file agent from the control plane and checks its SHA-256 against the one in this script,
# installs it as <prefix>/clawops-agent.mjs, enrolls
# the host with the one-time code and starts the agent: a systemd service (the control plane's
# infra/systemd/clawops-agent.service), a LaunchAgent on macOS (infra/launchd/ai.clawops.agent.plist),
# or in the foreground (--foreground, or where systemd is not running). Everything is downloaded
# and checked before anything is installed. POSIX sh.
set -eu

CLAWOPS_URL='@@CLAWOPS_URL@@'
AGENT_SHA256='@@AGENT_SHA256@@'
AGENT_VERSION='@@AGENT_VERSION@@'
# scripts/build-agent.ts AGENT_NODE_FLAGS and AGENT_SERVICE_ENV, as in the service units.
AGENT_NODE_FLAGS='@@AGENT_NODE_FLAGS@@'
AGENT_SERVICE_ENV='@@AGENT_SERVICE_ENV@@'
MIN_NODE_MAJOR=24
MIN_NODE_MINOR=16

usage() {
  cat <<EOF
Installs clawops-agent ${AGENT_VERSION} from ${CLAWOPS_URL} on this host and starts it.

Usage: sh install.sh --host NAME --code CODE [options]
  (usually: curl -fsSL ${CLAWOPS_URL}/agent/install.sh | sh -s -- --host NAME --code CODE)

  --host NAME     the host's name in clawops (as given to \`clawops enroll NAME\`)
  --code CODE     the one-time enrollment code \`clawops enroll NAME\` printed
  --foreground    run the agent in this terminal instead of installing a service
                  (also what happens where neither systemd nor launchd runs)
  --user USER     the user the agent runs as: the OpenClaw gateway's user, so the agent reads
                  its config and runs \`openclaw\` with the same state (default: openclaw with
                  systemd, the user who ran sudo on macOS, the current user in the foreground)
  --node PATH     the Node.js >= 24.16 to run the agent with (default: the one the OpenClaw
                  gateway runs on: its running process's, its service's, its launcher's; else
                  the first suitable of node on PATH, nvm, volta, fnm, asdf, mise, /usr/local/bin)
  --prefix DIR    where the agent is installed (default: /opt/clawops)
  --server URL    the control plane's URL (default: ${CLAWOPS_URL})
  --bin-dir DIR   where \`clawops-agent\` goes on PATH with a service (default: /usr/local/bin)
EOF
}

say() { printf 'clawops-install: %s\n' "$*" >&2; }
die() {
  say "$*"
  exit 1
}

# Downloads $1 (a path on the control plane) to the file $2. An answer other than 200 stops the
# install with the control plane's own reason (its JSON error's message), not only a status.
download() {
  if command -v curl >/dev/null 2>&1; then
    # No -f: the body of an error answer is kept to quote it (--retry still retries 429 and 5xx).
    status=$(curl -sSL --retry 3 -o "$2" -w '%{http_code}' "${SERVER}$1" </dev/null) ||
      die "could not download ${SERVER}$1 (curl failed, see above). Nothing was installed."
    [ "$status" = 200 ] || die "could not download ${SERVER}$1: the control plane answered HTTP $status: $(server_reason "$2"). Nothing was installed."
  elif command -v wget >/dev/null 2>&1; then
    wget -q -O "$2" "${SERVER}$1" </dev/null ||
      die "could not download ${SERVER}$1 (wget failed: $(server_reason "$2")). Nothing was installed."
  else
    die "neither curl nor wget is installed: install one of them and run this command again. Nothing was installed."
  fi
}

# The message of a clawops error answer in the file $1 ({"ok":false,"error":{"message":…}}), else its first line.
server_reason() {
  run_node -e 'let t = ""; try { t = require("node:fs").readFileSync(process.argv[1], "utf8"); const m = JSON.parse(t).error.message; if (typeof m === "string") t = m; } catch {} process.stdout.write(t.split("\n")[0].slice(0, 500) || "no message")' "$1" </dev/null 2>/dev/null || head -c 300 "$1"
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d' ' -f1
  else
    run_node -e 'process.stdout.write(require("node:crypto").createHash("sha256").update(require("node:fs").readFileSync(process.argv[1])).digest("hex"))' "$1" </dev/null
  fi
}

# Runs a command as $RUN_AS with HOME set to $RUN_HOME (as is, when that is who runs this script);
# with AS_USER_EXEC=1 the command replaces this shell.
AS_USER_EXEC=0
as_user() {
  if [ "$RUN_AS" = "$(id -un)" ]; then
    set -- env HOME="$RUN_HOME" "$@"
  elif command -v runuser >/dev/null 2>&1; then
    set -- runuser -u "$RUN_AS" -- env HOME="$RUN_HOME" "$@"
  elif command -v sudo >/dev/null 2>&1; then
    set -- sudo -H -u "$RUN_AS" "$@"
  else
    die "cannot run commands as $RUN_AS here (no runuser or sudo)."
  fi
  if [ "$AS_USER_EXEC" = 1 ]; then exec "$@" </dev/null; fi
  "$@" </dev/null
}

home_of() {
  if command -v getent >/dev/null 2>&1; then
    getent passwd "$1" | cut -d: -f6
  else
    # macOS: no getent; the user name was checked against a safe pattern before this eval.
    eval "printf '%s\n' ~$1"
  fi
}

# Whether the node at $1 belongs to another user than root while this script runs as root: the file,
# a link to it or either's folder is theirs (nvm, volta, fnm under their home, the gateway's own
# path). Such a node is never run with root's rights: whoever owns it could put anything there.
foreign_node() {
  [ "$(id -u)" -eq 0 ] || return 1
  real=$(readlink -f "$1" 2>/dev/null || printf '%s\n' "$1")
  for f in "$1" "${1%/*}" "$real" "${real%/*}"; do
    uid=$(stat -c %u "$f" 2>/dev/null || stat -f %u "$f" 2>/dev/null || echo 0)
    [ "$uid" = 0 ] || return 0
  done
  return 1
}

# The version $1 (a node) reports, or nothing when it does not run; a foreign node runs as $RUN_AS.
node_version() {
  if foreign_node "$1"; then
    as_user "$1" -p 'process.versions.node' 2>/dev/null || true
  else
    "$1" -p 'process.versions.node' </dev/null 2>/dev/null || true
  fi
}

# Runs $NODE with these arguments: as $RUN_AS when it is foreign (foreign_node), else as this shell.
NODE_AS_USER=0
run_node() {
  if [ "$NODE_AS_USER" = 1 ]; then as_user "$NODE" "$@"; else "$NODE" "$@" </dev/null; fi
}

# Whether the version $1 is a Node.js >= 24.16.
node_version_ok() {
  major=${1%%.*}
  rest=${1#*.}
  minor=${rest%%.*}
  case $major$minor in
    '' | *[!0-9]*) return 1 ;;
  esac
  [ "$major" -gt "$MIN_NODE_MAJOR" ] || { [ "$major" -eq "$MIN_NODE_MAJOR" ] && [ "$minor" -ge "$MIN_NODE_MINOR" ]; }
}

# Fails unless Node >= 24.16 is at $NODE (given with --node), saying what to do.
check_node() {
  case $NODE in
    /*) ;;
    *) NODE=$(command -v "$NODE" || true) ;;
  esac
  [ -n "$NODE" ] && [ -x "$NODE" ] || die "--node: no executable at that path. Nothing was installed."
  version=$(node_version "$NODE")
  [ -n "$version" ] || die "$NODE does not run (\`$NODE -p process.versions.node\` failed). Nothing was installed."
  case $version in
    *[!0-9.]* | '') die "$NODE reports version '$version', which is not a Node.js version. Nothing was installed." ;;
  esac
  node_version_ok "$version" ||
    die "Node.js $version at $NODE is too old: clawops-agent needs Node.js >= ${MIN_NODE_MAJOR}.${MIN_NODE_MINOR}. Pass the node the OpenClaw gateway runs with (OpenClaw needs >= ${MIN_NODE_MAJOR}.${MIN_NODE_MINOR} too) with --node /path/to/node. Nothing was installed."
  NODE_WHY="given with --node"
}

# Where a gateway host keeps its Node, one candidate a line: "<path>\t<why>", in the order they are
# preferred. The node the gateway runs on comes first: OpenClaw needs Node >= 24.16 as the agent
# does, and on gateway hosts that node is often not the first `node` on PATH (nvm, volta, fnm, or a
# service's own path, while /usr/bin/node is the distribution's older one).
node_candidates() {
  # A running gateway: its process title is `openclaw-gateway` (the kernel's comm keeps 15
  # characters, `openclaw-gatewa`), its executable the node it runs on.
  for proc in /proc/[0-9]*; do
    [ -r "$proc/comm" ] || continue
    case $(cat "$proc/comm" 2>/dev/null) in
      openclaw-gatewa*)
        exe=$(readlink "$proc/exe" 2>/dev/null || true)
        [ -n "$exe" ] && printf '%s\tthe node the running OpenClaw gateway (pid %s) runs on\n' "$exe" "${proc#/proc/}"
        ;;
    esac
  done
  # The gateway's service, as `openclaw gateway install` writes it: ExecStart= starts with its node.
  for home in "$RUN_HOME" "${HOME:-}"; do
    [ -n "$home" ] || continue
    for unit in "$home"/.config/systemd/user/openclaw-gateway*.service /etc/systemd/system/openclaw-gateway*.service; do
      [ -f "$unit" ] || continue
      exe=$(sed -n 's/^ExecStart=[-@+!:]*\([^ ]*\).*/\1/p' "$unit" | head -n 1)
      case $exe in /*) printf '%s\tthe node of the gateway service %s\n' "$exe" "$unit" ;; esac
    done
  done
  # The `openclaw` launcher: an npm global install's bin folder holds the node that installed it
  # (nvm, fnm, the official tarball); a launcher with an absolute `#!` names its node.
  launcher=$(command -v openclaw 2>/dev/null || true)
  for home in "$RUN_HOME" "${HOME:-}"; do
    for prefix in "$home/.npm-global" "$home/.local"; do
      [ -z "$launcher" ] && [ -x "$prefix/bin/openclaw" ] && launcher=$prefix/bin/openclaw
    done
  done
  if [ -n "$launcher" ]; then
    [ -x "${launcher%/*}/node" ] && printf '%s\tthe node beside the openclaw launcher %s\n' "${launcher%/*}/node" "$launcher"
    shebang=$(head -n 1 "$launcher" 2>/dev/null | sed -n 's/^#! *\(\/[^ ]*\).*/\1/p')
    case $shebang in */node) printf '%s\tthe node the openclaw launcher %s names\n' "$shebang" "$launcher" ;; esac
  fi
  onpath=$(command -v node 2>/dev/null || true)
  [ -n "$onpath" ] && printf '%s\tthe first node on PATH\n' "$onpath"
  # Version managers and package managers' places, the gateway user's and this shell's.
  for home in "$RUN_HOME" "${HOME:-}"; do
    [ -n "$home" ] || continue
    for exe in "$home"/.nvm/versions/node/*/bin/node "$home"/.volta/tools/image/node/*/bin/node \
      "$home"/.local/share/fnm/node-versions/*/installation/bin/node "$home"/.fnm/node-versions/*/installation/bin/node \
      "$home"/.asdf/installs/nodejs/*/bin/node "$home"/.local/share/mise/installs/node/*/bin/node; do
      [ -x "$exe" ] && printf '%s\tNode.js under %s\n' "$exe" "$home"
    done
  done
  for exe in /usr/local/bin/node /opt/homebrew/bin/node /usr/local/n/versions/node/*/bin/node /usr/bin/node; do
    [ -x "$exe" ] && printf '%s\tNode.js at %s\n' "$exe" "$exe"
  done
  return 0
}

# Picks the first candidate that is Node >= 24.16 (node_candidates' order) into $NODE, $version
# and $NODE_WHY; otherwise stops, saying what it found and how to bring a suitable one.
pick_node() {
  tab=$(printf '\t')
  list=$TMP/node-candidates
  node_candidates >"$list"
  tried=''
  TOO_OLD=''
  while IFS="$tab" read -r exe why; do
    [ -x "$exe" ] || continue
    case " $tried " in *" $exe "*) continue ;; esac
    tried="$tried $exe"
    # Another user's node would run as root here (the agent runs as root too): not without --node.
    if foreign_node "$exe" && [ "$RUN_AS" = "$(id -un)" ]; then
      TOO_OLD="${TOO_OLD:+$TOO_OLD; }$exe ($why), not used: another user owns it and the agent would run as $RUN_AS (pass --user with its owner)"
      continue
    fi
    v=$(node_version "$exe")
    if [ -n "$v" ] && node_version_ok "$v"; then
      NODE=$exe
      version=$v
      NODE_WHY=$why
      return 0
    fi
    [ -n "$v" ] || v='a node that does not run'
    TOO_OLD="${TOO_OLD:+$TOO_OLD; }Node.js $v at $exe ($why)"
  done <"$list"
  homes=$RUN_HOME
  [ -z "${HOME:-}" ] || [ "$HOME" = "$RUN_HOME" ] || homes="$RUN_HOME and $HOME"
  onpath=$(command -v node 2>/dev/null || true)
  if [ -n "$onpath" ]; then
    v=$(node_version "$onpath")
    first="Node.js ${v:-?} at $onpath is too old: clawops-agent needs Node.js >= ${MIN_NODE_MAJOR}.${MIN_NODE_MINOR}"
  else
    first="Node.js was not found on PATH: clawops-agent needs Node.js >= ${MIN_NODE_MAJOR}.${MIN_NODE_MINOR}"
  fi
  die "$first, and no Node.js >= ${MIN_NODE_MAJOR}.${MIN_NODE_MINOR} was found where a gateway host keeps the one OpenClaw runs on (a running openclaw-gateway process, the openclaw-gateway service, the openclaw launcher, nvm, volta, fnm, asdf or mise under $homes, /usr/local/bin, /opt/homebrew/bin)${TOO_OLD:+; found: $TOO_OLD}. OpenClaw needs Node.js >= ${MIN_NODE_MAJOR}.${MIN_NODE_MINOR} too, so the node the gateway runs with will do: pass it with --node /path/to/node. Otherwise upgrade Node.js to ${MIN_NODE_MAJOR} (your package manager's nodejs ${MIN_NODE_MAJOR} package, \`nvm install ${MIN_NODE_MAJOR}\`, or the official binaries) and run this command again. Nothing was installed."
}

main() {
  SERVER=$CLAWOPS_URL
  HOST=''
  CODE=''
  RUN_AS=''
  NODE=''
  PREFIX=/opt/clawops
  BIN_DIR=/usr/local/bin
  FOREGROUND=0
  while [ $# -gt 0 ]; do
    case $1 in
      --host | --code | --user | --node | --prefix | --server | --bin-dir)
        [ $# -ge 2 ] || die "$1 needs a value (see --help)."
        case $1 in
          --host) HOST=$2 ;;
          --code) CODE=$2 ;;
          --user) RUN_AS=$2 ;;
          --node) NODE=$2 ;;
          --prefix) PREFIX=$2 ;;
          --server) SERVER=$2 ;;
          --bin-dir) BIN_DIR=$2 ;;
        esac
        shift 2
        ;;
      --foreground)
        FOREGROUND=1
        shift
        ;;
      -h | --help)
        usage
        exit 0
        ;;
      *) die "unknown option '$1' (see --help)." ;;
    esac
  done
  [ -n "$HOST" ] && [ -n "$CODE" ] || die "--host and --code are required: run \`clawops enroll <host>\` on the control plane for the exact command."
  case $HOST in *[!a-zA-Z0-9-]*) die "--host '$HOST': a host name is letters, digits and '-'." ;; esac
  case $CODE in *[!0-9A-Za-z-]*) die "--code: an enrollment code is letters, digits and '-'." ;; esac
  case $RUN_AS in *[!a-zA-Z0-9_.-]*) die "--user '$RUN_AS' is not a user name." ;; esac
  case $PREFIX in /*) ;; *) die "--prefix must be an absolute path." ;; esac
  case $PREFIX in *[!a-zA-Z0-9_./-]*) die "--prefix: use letters, digits, '_', '.', '-' and '/' only." ;; esac
  case $BIN_DIR in /*) ;; *) die "--bin-dir must be an absolute path." ;; esac
  case $BIN_DIR in *[!a-zA-Z0-9_./-]*) die "--bin-dir: use letters, digits, '_', '.', '-' and '/' only." ;; esac
  SERVER=${SERVER%/}
  case $SERVER in http://* | https://*) ;; *) die "--server must be an http:// or https:// URL." ;; esac

  # How the agent will run.
  if [ "$FOREGROUND" = 1 ]; then
    MODE=foreground
  elif [ "$(uname -s)" = Darwin ]; then
    MODE=launchd
  elif command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    MODE=systemd
  else
    MODE=foreground
    say "systemd is not running on this host, so the agent will run in the foreground here (Ctrl-C stops it). To keep it running, start \`node $PREFIX/clawops-agent.mjs run\` from your init system (docs/agents-and-ssm.md)."
  fi
  if [ "$MODE" != foreground ] && [ "$(id -u)" -ne 0 ]; then
    die "installing the $MODE service needs root: run the command with sudo (... | sudo sh -s -- ...), or add --foreground to run the agent in this terminal. Nothing was installed."
  fi

  # Who the agent runs as, and where its state (key, config) lives.
  if [ -z "$RUN_AS" ]; then
    case $MODE in
      systemd) RUN_AS=openclaw ;;
      launchd) RUN_AS=${SUDO_USER:-$(id -un)} ;;
      foreground) RUN_AS=$(id -un) ;;
    esac
  fi
  id "$RUN_AS" >/dev/null 2>&1 || die "there is no user '$RUN_AS' on this host: pass --user with the user the OpenClaw gateway runs as. Nothing was installed."
  # A service gets its user's home from the user database; the foreground agent keeps this shell's.
  if [ "$MODE" = foreground ] && [ "$RUN_AS" = "$(id -un)" ] && [ -n "${HOME:-}" ]; then
    RUN_HOME=$HOME
  else
    RUN_HOME=$(home_of "$RUN_AS")
  fi
  [ -n "$RUN_HOME" ] || die "cannot find the home folder of '$RUN_AS'. Nothing was installed."

  TMP=$(mktemp -d)
  trap 'rm -rf "$TMP"' EXIT
  trap 'exit 130' INT TERM

  # The node the agent runs with: --node, else the one the gateway runs on (pick_node).
  if [ -n "$NODE" ]; then check_node; else pick_node; fi
  say "using Node.js $version at $NODE: $NODE_WHY"
  if foreign_node "$NODE"; then
    # Root never runs another user's node: the checks below run it as $RUN_AS, who must read $TMP.
    NODE_AS_USER=1
    chmod 0755 "$TMP"
    say "$NODE belongs to another user than root: it runs as $RUN_AS only, never as root"
  fi

  # Everything the install needs, downloaded and checked before anything is written.
  say "downloading clawops-agent $AGENT_VERSION from $SERVER"
  download /agent/clawops-agent.mjs "$TMP/clawops-agent.mjs"
  got=$(sha256_of "$TMP/clawops-agent.mjs")
  if [ "$got" != "$AGENT_SHA256" ]; then
    die "the agent downloaded from $SERVER/agent/clawops-agent.mjs has SHA-256 $got, but this script expects $AGENT_SHA256. Refusing to install it: nothing was installed. Something between this host and the control plane may have changed the file, or the control plane was restarted with another agent between the two downloads (then run the command again)."
  fi
  say "SHA-256 $got verified"
  chmod 0644 "$TMP/clawops-agent.mjs"
  ran=$(run_node "$TMP/clawops-agent.mjs" --version 2>&1) || die "the downloaded agent does not run with $NODE: $ran. Nothing was installed."

  STATE_DIR=$RUN_HOME/.clawops-agent
  [ "$MODE" != foreground ] || STATE_DIR=${CLAWOPS_AGENT_DIR:-$STATE_DIR}
  case $MODE in
    systemd)
      download /agent/clawops-agent.service "$TMP/unit.orig"
      # The unit's defaults are /usr/bin/node, /opt/clawops and User=openclaw: this host's instead.
      # ReadWritePaths= names the default user's home (/home/openclaw): the agent's user's home instead.
      sed -e "s|^ExecStart=/usr/bin/node |ExecStart=$NODE |" -e "s|/opt/clawops|$PREFIX|g" -e "s|^User=.*|User=$RUN_AS|" \
        -e "/^ReadWritePaths=/s|/home/openclaw/|$RUN_HOME/|g" \
        "$TMP/unit.orig" >"$TMP/clawops-agent.service"
      grep -q "^ExecStart=$NODE .*$PREFIX/clawops-agent.mjs run" "$TMP/clawops-agent.service" ||
        die "the unit $SERVER/agent/clawops-agent.service has no 'ExecStart=/usr/bin/node ... /opt/clawops/clawops-agent.mjs run' line to point at this host's paths; install it by hand (docs/agents-and-ssm.md). Nothing was installed."
      # A state folder the unit names (Environment=CLAWOPS_AGENT_DIR=...) is where the agent enrolls.
      named=$(sed -n 's/^Environment=.*CLAWOPS_AGENT_DIR=\([^ "]*\).*/\1/p' "$TMP/clawops-agent.service" | tail -n 1)
      if [ -n "$named" ]; then
        STATE_DIR=$(printf '%s\n' "$named" | sed -e 's|%S|/var/lib|g' -e "s|%h|$RUN_HOME|g")
      fi
      ;;
    launchd)
      download /agent/ai.clawops.agent.plist "$TMP/plist.orig"
      sed -e "s|<string>/opt/homebrew/bin/node</string>|<string>$NODE</string>|" -e "s|/opt/clawops|$PREFIX|g" \
        "$TMP/plist.orig" >"$TMP/ai.clawops.agent.plist"
      grep -q "<string>$NODE</string>" "$TMP/ai.clawops.agent.plist" ||
        die "the plist $SERVER/agent/ai.clawops.agent.plist does not name /opt/homebrew/bin/node to point at this host's node; install it by hand (docs/agents-and-ssm.md). Nothing was installed."
      ;;
  esac

  # Install: the agent file replaced in one rename.
  mkdir -p "$PREFIX" 2>/dev/null || die "cannot create $PREFIX: run as root, or pass --prefix with a folder you can write. Nothing was installed."
  AGENT=$PREFIX/clawops-agent.mjs
  cp "$TMP/clawops-agent.mjs" "$AGENT.new" 2>/dev/null || die "cannot write $PREFIX: run as root, or pass --prefix with a folder you can write. Nothing was installed."
  chmod 0755 "$AGENT.new"
  mv -f "$AGENT.new" "$AGENT"
  say "installed $AGENT"

  # Enroll: the agent makes its key in its state folder, as the user it will run as.
  if [ ! -d "$STATE_DIR" ]; then
    mkdir -p "$STATE_DIR"
    chmod 0700 "$STATE_DIR"
    [ "$(id -u)" -ne 0 ] || chown "$RUN_AS" "$STATE_DIR"
  fi
  # Its own "start the agent" hint is for an enrollment by hand: this script starts it below.
  as_user "$NODE" "$AGENT" enroll --server "$SERVER" --host "$HOST" --code "$CODE" --dir "$STATE_DIR" >/dev/null ||
    die "enrollment failed (the agent says why above). The agent is installed at $AGENT; issue a new code with \`clawops enroll $HOST\` on the control plane and run its command again."
  say "enrolled $HOST with $SERVER (its key is in $STATE_DIR)"

  # With a service, \`clawops-agent\` on PATH for the agent's own commands (\`clawops-agent probe\`,
  # \`--version\`), run with this host's node.
  # A foreign node (foreign_node) is run as the agent's user when root calls the command, too.
  if [ "$MODE" != foreground ]; then
    as_root=''
    if [ "$NODE_AS_USER" = 1 ]; then
      if command -v runuser >/dev/null 2>&1; then
        as_root="if [ \"\$(id -u)\" = 0 ]; then exec runuser -u '$RUN_AS' -- '$NODE' '$AGENT' \"\$@\"; fi"
      else
        as_root="if [ \"\$(id -u)\" = 0 ]; then exec sudo -H -u '$RUN_AS' '$NODE' '$AGENT' \"\$@\"; fi"
      fi
    fi
    mkdir -p "$BIN_DIR" 2>/dev/null &&
      printf '#!/bin/sh\n# Installed by the clawops install script: the agent at %s, run by %s.\n%s\nexec %s %s "$@"\n' \
        "$AGENT" "$NODE" "$as_root" "'$NODE'" "'$AGENT'" >"$BIN_DIR/clawops-agent.new" &&
      chmod 0755 "$BIN_DIR/clawops-agent.new" && mv -f "$BIN_DIR/clawops-agent.new" "$BIN_DIR/clawops-agent" &&
      say "installed $BIN_DIR/clawops-agent (the agent's commands: clawops-agent probe, clawops-agent --version)" ||
      say "could not write $BIN_DIR/clawops-agent; the agent's commands run as: $NODE $AGENT <command>"
  fi

  case $MODE in
    systemd)
      install -m 0644 "$TMP/clawops-agent.service" /etc/systemd/system/clawops-agent.service
      systemctl daemon-reload
      systemctl enable clawops-agent >/dev/null 2>&1 || die "systemctl enable clawops-agent failed."
      systemctl restart clawops-agent || die "systemctl restart clawops-agent failed: see \`journalctl -u clawops-agent\`."
      say "clawops-agent runs as a systemd service (user $RUN_AS) with the node its unit names, $NODE. Status: systemctl status clawops-agent; log: journalctl -u clawops-agent -f"
      ;;
    launchd)
      dest=$RUN_HOME/Library/LaunchAgents/ai.clawops.agent.plist
      mkdir -p "$RUN_HOME/Library/LaunchAgents"
      # The plist logs to /Library/Logs/clawops (the agent rotates its own file there).
      install -d -o "$RUN_AS" -m 0750 /Library/Logs/clawops || die "cannot create /Library/Logs/clawops: run the command with sudo."
      cp "$TMP/ai.clawops.agent.plist" "$dest"
      chown "$RUN_AS" "$dest"
      uid=$(id -u "$RUN_AS")
      launchctl bootout "gui/$uid/ai.clawops.agent" >/dev/null 2>&1 || true
      launchctl bootstrap "gui/$uid" "$dest" || die "launchctl bootstrap gui/$uid $dest failed."
      say "clawops-agent runs as a LaunchAgent of $RUN_AS ($dest) with the node it names, $NODE."
      ;;
    foreground)
      rm -rf "$TMP"
      trap - EXIT
      say "starting clawops-agent in the foreground as $RUN_AS (Ctrl-C stops it)"
      # This loop is the agent's supervisor here: exit 75 asks for a restart into the file an
      # upgrade in place just put in place (src/agent/upgrade/); any other exit ends it.
      while :; do
        rc=0
        # shellcheck disable=SC2086 # the flags and the environment are words without spaces
        as_user env CLAWOPS_AGENT_SUPERVISOR=install.sh $AGENT_SERVICE_ENV "$NODE" $AGENT_NODE_FLAGS "$AGENT" run --dir "$STATE_DIR" || rc=$?
        [ "$rc" = 75 ] || exit "$rc"
        say "clawops-agent restarts into its upgrade"
      done
      ;;
  esac
}

main "$@"
