#!/usr/bin/env bash
# Builds (once) the Python environment for the http backend's real-server test:
# llama-cpp-python's OpenAI-compatible server at pinned versions, in
#   ${XDG_CACHE_HOME:-$HOME/.cache}/sway/http-venv
# The llama-cpp-python wheel is built from the PyPI sdist (it compiles llama.cpp) and
# cached in ${XDG_CACHE_HOME:-$HOME/.cache}/sway/wheels, so later runs only install.
# Exit 0 with the venv ready; any other exit means "not available" (the test then skips
# with the reason printed). SWAY_LLAMA_BUILD_TIMEOUT caps the compile (seconds, default 2400).
set -euo pipefail

CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/sway"
VENV="$CACHE/http-venv"
WHEELS="$CACHE/wheels"
LLAMA_CPP_PYTHON=0.3.36
# The [server] extras, pinned.
PINS=(
  "uvicorn==0.35.0"
  "fastapi==0.116.1"
  "pydantic-settings==2.10.1"
  "sse-starlette==2.4.1"
  "starlette-context==0.3.6"
  "PyYAML==6.0.2"
  "numpy==2.3.2"
  "diskcache==5.6.3"
  "jinja2==3.1.6"
)
STAMP="$VENV/.sway-llama-server-$LLAMA_CPP_PYTHON"

if [[ -f "$STAMP" ]] && "$VENV/bin/python" -c 'import llama_cpp.server.app' 2>/dev/null; then
  echo "llama-server-env: ready ($VENV)"
  exit 0
fi

PY="${SWAY_PYTHON:-$(command -v python3.11 || command -v python3 || true)}"
if [[ -z "$PY" ]]; then
  echo "llama-server-env: no python3 on PATH" >&2
  exit 3
fi
mkdir -p "$WHEELS"
if ! ls "$WHEELS"/llama_cpp_python-"$LLAMA_CPP_PYTHON"-*.whl >/dev/null 2>&1; then
  echo "llama-server-env: building llama-cpp-python $LLAMA_CPP_PYTHON from source (compiles llama.cpp; cached in $WHEELS)" >&2
  # CPU only, portable (no -march=native), so the cached wheel runs on any x86-64 CI machine.
  CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_CUDA=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF}" \
    timeout "${SWAY_LLAMA_BUILD_TIMEOUT:-2400}" "$PY" -m pip wheel --no-deps --no-cache-dir -w "$WHEELS" \
    "llama-cpp-python==$LLAMA_CPP_PYTHON" >&2
fi
rm -rf "$VENV"
"$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --find-links "$WHEELS" \
  "llama-cpp-python[server]==$LLAMA_CPP_PYTHON" "${PINS[@]}" >&2
"$VENV/bin/python" -c 'import llama_cpp.server.app' >&2
touch "$STAMP"
echo "llama-server-env: ready ($VENV)"
