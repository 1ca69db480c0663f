#!/usr/bin/env bash
# Print the absolute path of a Python >= 3.11 to build .venv with, or fail saying what to do.
#
# Order: $PYTHON if set; `python3` when it is new enough (what the developer already uses);
# then 3.11 before newer ones, because 3.11 is what CI tests; then pyenv installs, which
# are often not on PATH (a pyenv shim named python3.12 may exist yet fail to run).
set -euo pipefail

ok() {  # ok CANDIDATE -> prints the real interpreter path if it runs and is >= 3.11
    "$1" -c 'import sys; assert sys.version_info >= (3, 11); print(sys.executable)' 2>/dev/null
}

candidates=()
[[ -n "${PYTHON:-}" ]] && candidates+=("$PYTHON")
candidates+=(python3 python3.11)
shopt -s nullglob
candidates+=("${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.11*/bin/python3)
candidates+=(python3.12 python3.13 python3.14)
for v in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3; do candidates+=("$v"); done

for c in "${candidates[@]}"; do
    if path=$(ok "$c") && [[ -n "$path" ]]; then
        echo "$path"
        exit 0
    fi
done

cat >&2 <<'MSG'
error: no Python >= 3.11 found (tried $PYTHON, python3, python3.11..3.14 and ~/.pyenv/versions).
  Debian 12+/Ubuntu 24.04+: apt-get install python3 python3-venv
  older systems: install 3.11 with pyenv, or run `make PYTHON=/path/to/python3.11 ...`
MSG
exit 1
