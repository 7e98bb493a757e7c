#!/usr/bin/env bash
# Runs the golden parity test (no Python needed) and writes its agreement table, family ×
# adapter × view max |Δ|, between the markers of docs/parity-goldens.md.
set -euo pipefail
cd "$(dirname "$0")/.."
SWAY_PARITY_TABLE="${SWAY_PARITY_TABLE:-docs/parity-goldens.md}" npx vitest run test/parity/goldens.test.ts
