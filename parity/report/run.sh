#!/usr/bin/env bash
# Report parity (issue 11, items 5-6): reference `sway run` (PyPI dlm-sway) beside ours.
# Interpreter: $SWAY_PARITY_PYTHON, default the cached parity venv. Extra args go to driver.py.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
py="${SWAY_PARITY_PYTHON:-${XDG_CACHE_HOME:-$HOME/.cache}/sway/parity-venv/bin/python}"
export SWAY_PARITY_PYTHON="$py"
"$py" "$here/test_compare.py" 2>&1 | tail -n 3
exec "$py" "$here/driver.py" "$@"
