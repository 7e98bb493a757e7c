#!/usr/bin/env bash
# npm run parity: environment -> fixtures -> goldens -> sway against the goldens (agreement
# table into docs/parity-goldens.md) -> the report comparison (parity/report/run.sh, when
# present, gets the venv's interpreter as SWAY_PARITY_PYTHON).
set -euo pipefail
cd "$(dirname "$0")/.."
py="$(bash parity/env.sh)"
echo "parity: python $py" >&2
"$py" parity/make_fixtures.py
"$py" parity/goldens.py
changed="$(git status --porcelain -- test/fixtures/parity 2>/dev/null | wc -l | tr -d ' ')"
if [ "$changed" != "0" ]; then
  echo "parity: $changed fixture/golden files differ from the committed ones (review with git diff, then commit)" >&2
fi
bash parity/agreement.sh
if [ -f parity/report/run.sh ]; then
  SWAY_PARITY_PYTHON="$py" bash parity/report/run.sh
fi
