"""Running checkov from the tests: one way to find it, start it offline and read its JSON report."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tools.engine import PROJECT_DIR


def binary() -> str:
    """$CHECKOV, else the project's checkov virtualenv; a missing checkov fails the test, never skips it."""
    candidates = [Path(os.environ["CHECKOV"])] if os.environ.get("CHECKOV") else []
    candidates.append(PROJECT_DIR / ".venv-checkov" / "bin" / "checkov")
    for candidate in candidates:
        if candidate.exists():
            return str(candidate)
    raise AssertionError(
        f"checkov not found at {', '.join(map(str, candidates))}: run `make setup` "
        "or point $CHECKOV at a checkov binary (the scans are part of the tests)"
    )


def offline_env() -> dict[str, str]:
    """The environment for a checkov run: no update check against PyPI (`--skip-download` does not cover it)."""
    return {**os.environ, "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true"}


def start(framework: str, targets: Iterable[str], skips: Iterable[str] = ()) -> subprocess.Popen[str]:
    """Start a scan of `targets` (already `-f FILE` / `-d DIR` pairs) with `framework`, JSON out."""
    command = [binary(), "--framework", framework, "--skip-download", "--output", "json", *targets]
    skipped = sorted(skips)
    if skipped:
        command += ["--skip-check", ",".join(skipped)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=offline_env())


def results(process: subprocess.Popen[str], framework: str, timeout: int = 300) -> dict[str, Any]:
    """The `results` of a started scan (passed_checks, failed_checks, ...); fails on a crash."""
    out, err = process.communicate(timeout=timeout)
    assert process.returncode in (0, 1), f"checkov crashed (exit {process.returncode}): {err[-2000:]}"
    assert out.strip(), f"checkov printed nothing (exit {process.returncode}): {err[-2000:]}"
    parsed = json.loads(out)
    reports = [r for r in (parsed if isinstance(parsed, list) else [parsed]) if r.get("check_type") == framework]
    assert len(reports) == 1, f"expected one {framework} report, got {[r.get('check_type') for r in reports]}"
    assert reports[0]["summary"]["parsing_errors"] == 0, "checkov could not parse what it was given"
    return reports[0]["results"]


def scan(framework: str, targets: Iterable[str], skips: Iterable[str] = ()) -> dict[str, Any]:
    """Run one scan to the end and return its results."""
    return results(start(framework, targets, skips), framework)
