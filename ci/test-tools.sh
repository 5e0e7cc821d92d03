#!/usr/bin/env bash
# Tools only the tests need, on top of ci/system-packages.sh (which `make submission` also runs):
# the YAML language server (the editor-schema tests drive the server of VS Code's YAML extension)
# and Debian's Chromium with its driver (the preview's browser test). Idempotent.
# Usage (as root, on Debian 12): ci/test-tools.sh
set -euo pipefail

log() { printf '[test-tools] %s\n' "$*"; }

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    log "installing chromium chromium-driver"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends chromium chromium-driver >/dev/null ||
        { apt-get update -q && apt-get install -y -q --no-install-recommends chromium chromium-driver >/dev/null; }
fi
log "chromium: $(chromium --version 2>/dev/null || echo 'not found')"

YLS_VERSION=1.25.0
if command -v yaml-language-server >/dev/null 2>&1; then
    log "yaml-language-server already present"
else
    command -v npm >/dev/null 2>&1 || { apt-get update -q && apt-get install -y -q nodejs npm; }
    log "installing yaml-language-server@$YLS_VERSION from the npm registry"
    npm install -g --no-audit --no-fund "yaml-language-server@$YLS_VERSION" >/dev/null
fi
log "yaml-language-server: $(command -v yaml-language-server)"
