#!/usr/bin/env bash
# Install the system parts of the PDF pipeline on Debian 12 (bookworm): LibreOffice Writer
# headless, free CJK stand-in fonts, poppler-utils. Idempotent: installs only what is missing.
#
# Fandol (FandolFang is the only free Simplified 仿宋 in Debian) ships only inside
# texlive-lang-chinese, whose dependencies add ~280 MB of TeX for ~35 MB of fonts. By default we
# fetch that .deb through apt (hash-checked against the signed archive) and copy just the Fandol
# .otf files to /usr/local/share/fonts/fandol. Set FANDOL_FROM=texlive to install the whole
# package instead (then dpkg tracks the files and apt upgrades them).
#
# Usage (as root): ci/system-packages.sh        FANDOL_FROM=texlive ci/system-packages.sh
set -euo pipefail

PACKAGES=(
    libreoffice-writer-nogui # Writer + the PDF export filter, no GUI toolkits
    fonts-noto-cjk           # Noto Serif/Sans CJK SC: 小标宋 and 黑体 stand-ins, glyph fallback
    fonts-liberation2        # Liberation Serif: metric-compatible Times New Roman
    fonts-arphic-ukai        # AR PL UKai: 楷体 stand-in, and 仿宋's characters FandolFang lacks (镕 堃 ㎡)
    fonts-dejavu-core        # DejaVu Sans: ☑ and □ (Segoe UI Symbol in the templates) from one font
    poppler-utils            # pdffonts, pdftoppm, pdftotext: inspect PDFs by hand
    chromium chromium-driver # headless browser for the preview's browser test (tests/test_preview_browser.py)
)
FANDOL_FROM=${FANDOL_FROM:-extract}
FANDOL_DIR=${FANDOL_DIR:-/usr/local/share/fonts/fandol}
FANDOL_FILES=(FandolFang-Regular FandolSong-Regular FandolSong-Bold FandolHei-Regular FandolHei-Bold FandolKai-Regular)

log() { printf '[system-packages] %s\n' "$*"; }

if [[ $(id -u) -ne 0 ]]; then
    log "must run as root (apt-get install)"; exit 1
fi
export DEBIAN_FRONTEND=noninteractive

is_installed() { [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == 'install ok installed' ]]; }

# apt-get update only when the package lists do not know a package we need (fresh containers).
ensure_lists() {
    local pkg policy
    for pkg in "$@"; do
        # Captured, not piped into grep -q: with pipefail, SIGPIPE would read as "missing".
        policy=$(apt-cache policy "$pkg" 2>/dev/null)
        if [[ ! $policy =~ Candidate:\ [^\(] ]]; then
            log "package lists lack $pkg: apt-get update"
            apt-get update -q
            return
        fi
    done
}

if [[ $FANDOL_FROM == texlive ]]; then
    PACKAGES+=(texlive-lang-chinese)
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
    is_installed "$pkg" || missing+=("$pkg")
done
if ((${#missing[@]})); then
    ensure_lists "${missing[@]}"
    log "installing: ${missing[*]}"
    # Lists that are present but stale name files the mirror no longer has: refresh and retry.
    apt-get install -y -q --no-install-recommends "${missing[@]}" || {
        log "install failed: apt-get update, then retry"
        apt-get update -q
        apt-get install -y -q --no-install-recommends "${missing[@]}"
    }
else
    log "already installed: ${PACKAGES[*]}"
fi

fandol_present() {
    local f
    for f in "${FANDOL_FILES[@]}"; do
        [[ -f $FANDOL_DIR/$f.otf || -f /usr/share/texlive/texmf-dist/fonts/opentype/public/fandol/$f.otf ]] || return 1
    done
}

if [[ $FANDOL_FROM == extract ]] && ! fandol_present; then
    ensure_lists texlive-lang-chinese
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    log "fetching texlive-lang-chinese to extract the Fandol fonts into $FANDOL_DIR"
    # _apt downloads into a directory it can write; root-owned mktemp dirs trigger a warning.
    chown _apt "$work" 2>/dev/null || true
    (cd "$work" && { apt-get download -q texlive-lang-chinese ||
        { apt-get update -q && apt-get download -q texlive-lang-chinese; }; })
    mkdir -p "$work/x" "$FANDOL_DIR"
    dpkg-deb -x "$work"/texlive-lang-chinese_*.deb "$work/x"
    src=$work/x/usr/share/texlive/texmf-dist/fonts/opentype/public/fandol
    for f in "${FANDOL_FILES[@]}"; do
        install -m 0644 "$src/$f.otf" "$FANDOL_DIR/"
    done
    zcat "$work"/x/usr/share/doc/texlive-doc/fonts/fandol/COPYING.gz >"$FANDOL_DIR/COPYING"
    install -m 0644 "$work/x/usr/share/doc/texlive-doc/fonts/fandol/README" "$FANDOL_DIR/README"
    log "installed: $(ls "$FANDOL_DIR" | tr '\n' ' ')"
    fc-cache -f "$FANDOL_DIR" >/dev/null
else
    log "Fandol fonts already present"
fi

log "LibreOffice: $(soffice --version 2>/dev/null | head -n1 || echo 'not found')"
for family in FandolFang FandolSong FandolHei FandolKai 'Noto Serif CJK SC' 'AR PL UKai CN' 'Liberation Serif' 'DejaVu Sans'; do
    log "fc-match '$family' -> $(fc-match -f '%{family[0]} (%{file})' "$family")"
done
