#!/usr/bin/env bash
# Node.js 24 LTS, the project's runtime (Node 20 reached end of life in April 2026). When the
# node on PATH is older, Node 24 comes from the npm registry (the official binaries, published as
# the package node-linux-<arch>) into $AUDITFLOW_HOME, once, and goes first on PATH for the
# command and everything it starts: pnpm, tsx, vitest and every service spawned with
# process.execPath.
#   bash scripts/node.sh <command> [args...]   runs the command on Node 24
#   source scripts/node.sh                     puts Node 24 on PATH in the calling script

auditflow_node24() {
  local want=24 version=24.22.3 cache=${AUDITFLOW_HOME:-$HOME/.cache/auditflow} major arch dir bin
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  [ "$major" -ge "$want" ] && return 0
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *)
      echo "scripts/node.sh: no Node.js $want package for $(uname -m); install Node.js $want yourself" >&2
      return 1
      ;;
  esac
  dir="$cache/node-$version"
  bin="$dir/node_modules/node-linux-$arch/bin"
  if [ ! -x "$bin/node" ]; then
    command -v npm >/dev/null 2>&1 || {
      echo "scripts/node.sh: npm is missing; install Node.js with npm (any version) or Node.js $want" >&2
      return 1
    }
    echo "installing Node.js $version from the npm registry (node-linux-$arch) into $dir" >&2
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-save --no-fund --no-audit --loglevel=error \
      "node-linux-$arch@$version" >/dev/null || return 1
  fi
  export PATH="$bin:$PATH"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  auditflow_node24 || exit 1
  exec "$@"
fi
auditflow_node24 || exit 1
