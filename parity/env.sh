#!/usr/bin/env bash
# Creates the parity virtual environment outside the repository, or refreshes it when
# parity/requirements.txt changed (a sha256 stamp inside the venv records what it holds),
# then prints its python on stdout. Progress goes to stderr.
#   SWAY_PARITY_VENV  venv directory (default ${XDG_CACHE_HOME:-$HOME/.cache}/sway/parity-venv)
#   PYTHON            interpreter that creates it (default python3; 3.10 or newer)
# pip's own settings apply (PIP_INDEX_URL, PIP_FIND_LINKS for a local wheel cache, ...).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${SWAY_PARITY_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/sway/parity-venv}"
req="$here/requirements.txt"
stamp="$venv/.sway-requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"

if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null || true)" = "$want" ]; then
  echo "$venv/bin/python"
  exit 0
fi

if [ ! -x "$venv/bin/python" ]; then
  py="${PYTHON:-python3}"
  if ! "$py" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
    echo "parity: $py is missing or older than Python 3.10; set PYTHON to a newer interpreter" >&2
    exit 2
  fi
  echo "parity: creating $venv" >&2
  mkdir -p "$(dirname "$venv")"
  "$py" -m venv "$venv"
fi
echo "parity: installing $req into $venv (torch is large; later runs reuse it)" >&2
rm -f "$stamp"
"$venv/bin/python" -m pip install --disable-pip-version-check --quiet -r "$req" >&2
printf '%s\n' "$want" >"$stamp.tmp" && mv "$stamp.tmp" "$stamp"
echo "$venv/bin/python"
