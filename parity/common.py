"""Shared definitions for the parity generators: paths, the fixture catalogue, seeds."""
from __future__ import annotations

import json
import os
import zlib
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "test" / "fixtures" / "parity"
MODELS = OUT / "models"
ADAPTERS = OUT / "adapters"
GOLDENS = OUT / "goldens"
# Adapter configs name their base relative to the repository root, so both sway and the
# reference CLI resolve it when run from there.
REL_MODELS = "test/fixtures/parity/models"


def seed_of(name: str) -> int:
    """A stable per-name seed (Python's hash() is salted per process)."""
    return zlib.crc32(name.encode("utf-8")) & 0x7FFFFFFF


def seeded(name: str) -> torch.Generator:
    torch.manual_seed(seed_of(name))
    return torch.Generator().manual_seed(seed_of(name) ^ 0x5A5A)


def write_json(path: Path, value: object) -> None:
    """Atomic, stable JSON (sorted keys, trailing newline)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def sig(x: float, digits: int = 8) -> float:
    """Rounds to `digits` significant digits (goldens stay small and stable)."""
    return float(f"{x:.{digits}g}")
