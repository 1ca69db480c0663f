#!/usr/bin/env bash
# Make sure the Debian/Ubuntu packages that Qt (widgets, QtWebEngine, a real window under
# Xvfb) and Chinese text need are installed. Extra package names may be given as arguments.
#
# Root: installs what is missing with apt-get. Not root: prints the exact sudo command and
# fails. Not a dpkg system: says which libraries are needed and carries on.
# Set SKIP_SYSTEM_PACKAGES=1 to skip the check (e.g. a machine managed some other way).
# The list comes from DESIGN.md section 3 ("Debian packages Qt needs on a bare machine").
set -euo pipefail

packages=(
    # Qt widgets, offscreen
    libgl1 libxkbcommon0 libegl1 libglib2.0-0 libfreetype6 libfontconfig1 libdbus-1-3
    # QtWebEngine (the map)
    libnss3 libnspr4 libxcomposite1 libxdamage1 libxrandr2 libxtst6 libasound2 libxkbfile1
    libgssapi-krb5-2
    # QtMultimedia (the CPR metronome's click; QSoundEffect loads libpulse)
    libpulse0
    # a real window under Xvfb (make run without a display, make screenshot)
    xvfb xauth libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0
    libxcb-render0 libxcb-shape0 libxcb-util1 libxcb-xkb1 libxkbcommon-x11-0
    # a CJK font, or Chinese text renders as boxes
    fonts-wqy-microhei
    # the caller's phone in the caller-link end-to-end tests (Playwright drives the system browser)
    chromium
    # services the integration tests start on 127.0.0.1 (tests/services.py; also `make services`):
    # PostgreSQL for the shared event store, Redis for the fan-out across instances. Installed
    # only: nothing here starts them (there is no systemd in CI or most containers).
    postgresql-15 redis-server
    # the Windows installer is built and checked here with wixl (make dist-msi, tests/installer)
    wixl msitools
    # the simulated caller's voice in training (Mandarin voice cmn; app/sim/voice.py)
    espeak-ng
    # PDF pages rendered to PNG (report screenshots, the PDF report tests)
    poppler-utils
    "$@"
)

if [[ "${SKIP_SYSTEM_PACKAGES:-0}" == 1 ]]; then
    echo "system packages: check skipped (SKIP_SYSTEM_PACKAGES=1)"
    exit 0
fi

if ! command -v dpkg-query >/dev/null; then
    echo "system packages: not a Debian/Ubuntu system; make sure the equivalents of these are installed:" >&2
    echo "  ${packages[*]}" >&2
    exit 0
fi

installed() {
    [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]
}

# Debian 13 and Ubuntu 24.04 renamed some libraries for the 64-bit time_t transition
# (libasound2 -> libasound2t64, libglib2.0-0 -> libglib2.0-0t64); either name will do.
missing=()
for p in "${packages[@]}"; do
    installed "$p" || installed "${p}t64" || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
    echo "system packages: all ${#packages[@]} present"
    exit 0
fi

# Prefer the t64 name when apt has a candidate for it: on Ubuntu 24.04 the old name is a
# virtual package that `apt-get install` refuses to choose a provider for.
resolve_names() {
    local p
    for p in "${missing[@]}"; do
        if apt-cache policy "${p}t64" 2>/dev/null | grep -q 'Candidate: [^(]'; then
            echo "${p}t64"
        else
            echo "$p"
        fi
    done
}

echo "system packages missing: ${missing[*]}"
if [[ "$(id -u)" == 0 ]]; then
    apt-get update -qq
    mapfile -t names < <(resolve_names)
    echo "installing: ${names[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${names[@]}"
else
    mapfile -t names < <(resolve_names)
    echo >&2
    echo "Not root, so not installing them. Run this, then run make again:" >&2
    echo "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${names[*]}" >&2
    echo "(or set SKIP_SYSTEM_PACKAGES=1 to skip this check)" >&2
    exit 1
fi
