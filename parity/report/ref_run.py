"""Run the reference CLI (`sway run` from PyPI dlm-sway) on one spec, timing the backend load.

Usage: python ref_run.py SPEC JSON_OUT TIMING_OUT THREADS

Runs the reference's own typer app in-process (the same code path as its `sway` console
script), after pinning torch's thread count. The only thing added is a timer around
`dlm_sway.backends.build`, so the model + adapter load is reported apart from the suite
(the report's own `wall_seconds` covers the suite only). Nothing in site-packages is patched.
"""

from __future__ import annotations

import json
import sys
import time


def main() -> int:
    spec, json_out, timing_out, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    t_process = time.perf_counter()

    import torch

    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)

    # Imported before the timer so `load_s` is the model + adapter load, not library imports.
    import peft  # noqa: F401
    import transformers  # noqa: F401

    import dlm_sway.backends as backends
    from dlm_sway.cli.app import app

    loads: list[float] = []
    real_build = backends.build

    def timed_build(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return real_build(*args, **kwargs)
        finally:
            loads.append(time.perf_counter() - t0)

    backends.build = timed_build
    t_imports = time.perf_counter() - t_process

    rc = 0
    try:
        app(["run", spec, "--json", json_out], standalone_mode=False)
    except SystemExit as exc:  # typer.Exit surfaces as SystemExit in some paths
        rc = int(exc.code or 0)
    except Exception as exc:  # noqa: BLE001 - reported, not hidden
        print(f"reference run failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        rc = 1
    with open(timing_out, "w", encoding="utf-8") as fh:
        json.dump(
            {
                "imports_s": t_imports,
                "load_s": sum(loads),
                "process_s": time.perf_counter() - t_process,
                "threads": torch.get_num_threads(),
                "rc": rc,
            },
            fh,
        )
    return rc


if __name__ == "__main__":
    sys.exit(main())
