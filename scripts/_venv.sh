# Sourced by the scripts: make .venv and install edocx into it when needed.
# Usage: ensure_venv [EXTRAS]   e.g. ensure_venv test
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO_ROOT/.venv"

ensure_venv() {
    local extras="${1:-}"
    local spec="."
    [ -n "$extras" ] && spec=".[$extras]"

    if [ ! -x "$VENV/bin/python" ]; then
        echo "edocx: creating $VENV" >&2
        "${PYTHON:-python3}" -m venv "$VENV"
        "$VENV/bin/python" -m pip install --quiet --upgrade pip
    fi

    # Reinstall only when the project's requirements changed since last time.
    local stamp="$VENV/.edocx-installed-${extras:-base}"
    local want
    want="$(sha256sum "$REPO_ROOT/pyproject.toml" | cut -d' ' -f1)"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        echo "edocx: installing $spec into $VENV" >&2
        (cd "$REPO_ROOT" && "$VENV/bin/python" -m pip install --quiet -e "$spec")
        echo "$want" > "$stamp"
    fi
}

# Debian's Chromium, for the tests that open the HTML report in a browser.
ensure_chromium() {
    command -v chromium >/dev/null 2>&1 && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "edocx: installing chromium (browser tests)" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            --no-install-recommends chromium >/dev/null
    else
        echo "edocx: install the Debian package chromium to run the browser" \
             "tests; they are skipped without it" >&2
    fi
}

# A font for the browser the tests drive to render Vietnamese pages (Debian:
# fonts-dejavu-core); the hub itself draws with the DejaVu Serif it ships.
ensure_font() {
    [ -f /usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf ] && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "edocx: installing fonts-dejavu-core" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            --no-install-recommends fonts-dejavu-core >/dev/null
    else
        echo "edocx: please install the Debian package fonts-dejavu-core" >&2
    fi
}

# SoftHSM2, the PKCS#11 token in files the tests sign with (Debian: softhsm2).
ensure_softhsm() {
    command -v softhsm2-util >/dev/null 2>&1 && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "edocx: installing softhsm2 (PKCS#11 tests)" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            --no-install-recommends softhsm2 >/dev/null
    else
        echo "edocx: install the Debian package softhsm2 to run the PKCS#11" \
             "tests; they are skipped without it" >&2
    fi
}
