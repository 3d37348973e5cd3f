#!/bin/sh
# Installs code-server (the VS Code server + web workbench) for the extension's e2e and web integration
# tests, from the npm registry only — no GitHub downloads (they are unreachable in CI).
#
#   sh test/extension/e2e/install-code-server.sh [PREFIX]      (default PREFIX: /opt/code-server)
#   → $PREFIX/node_modules/.bin/code-server
#
# code-server 4.100.3 (VS Code 1.100.3) is the newest release whose engines field is Node 20 (4.103+ want
# Node 22, 4.133+ Node 24). Its npm postinstall would fetch ripgrep from GitHub and prebuilt binaries, so
# scripts are skipped and the native modules are compiled here instead. Needs: node 20 with headers
# (/usr/include/node, Debian's nodejs package has them), g++, make, python3, and ripgrep (Debian package
# `ripgrep`) which replaces the @vscode/ripgrep download. Takes about 1–2 minutes on 2 cores.
set -eu
VERSION=4.100.3
PREFIX=${1:-${CODE_SERVER_PREFIX:-/opt/code-server}}
if [ -d /usr/include/node ]; then export npm_config_nodedir=/usr; fi
GYP="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"
RG=$(command -v rg || true)
[ -n "$RG" ] || { echo "ripgrep (rg) is needed: apt-get install ripgrep" >&2; exit 1; }

mkdir -p "$PREFIX"
cd "$PREFIX"
[ -f package.json ] || echo '{"private":true}' > package.json
npm install --ignore-scripts --no-audit --no-fund --loglevel=error "code-server@$VERSION"
# code-server's own native module (password hashing; loaded at start even with --auth none).
(cd node_modules/argon2 && ../.bin/node-pre-gyp rebuild --build-from-source --loglevel=error >/dev/null)

cd node_modules/code-server/lib/vscode
npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error
for m in @vscode/spdlog native-watchdog node-pty @vscode/deviceid; do
  (cd "node_modules/$m" && node "$GYP" rebuild --loglevel=error >/dev/null)
done
# kerberos (proxy authentication) is optional and needs libkrb5-dev: left out.
mkdir -p node_modules/@vscode/ripgrep/bin
cp "$RG" node_modules/@vscode/ripgrep/bin/rg
rm -rf node_modules.asar && ln -s node_modules node_modules.asar
(cd bin/remote-cli && ln -sf code-linux.sh code-server)
(cd bin/helpers && ln -sf browser-linux.sh browser.sh)
(cd extensions && npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error && node postinstall.mjs >/dev/null)
"$PREFIX/node_modules/.bin/code-server" --version
