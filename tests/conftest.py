"""Shared fixtures: evaluate a stack offline once and hand the recorded plan to tests."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from stacks.config import ConfigError
from tools.engine import PROJECT_DIR, Plan, evaluate

STACKS = ("dev", "staging", "prod")


def stack_config(stack: str) -> dict[str, Any]:
    """The `multicloud:` keys of a committed stack file, unqualified (`app`, `existing`, ...)."""
    doc = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())
    return {key.split(":", 1)[1]: value for key, value in doc["config"].items() if key.startswith("multicloud:")}


def write_stack(tmp_path: Path, values: dict[str, Any], name: str = "test") -> Path:
    """A stack file with these `multicloud:` keys, for `evaluate(..., config_file=...)`."""
    path = tmp_path / f"Pulumi.{name}.yaml"
    path.write_text(yaml.safe_dump({"config": {f"multicloud:{k}": v for k, v in values.items()}}))
    return path


def evaluate_failing(stack: str, config_file: Path) -> tuple[ConfigError | None, Plan]:
    """Run the program; return its ConfigError (None if it succeeded) and what it registered either way.

    Any other exception propagates: a config mistake must never surface as one.
    """
    plan = Plan(stack=stack)
    try:
        evaluate(stack, config_file=config_file, into=plan)
    except ConfigError as error:
        return error, plan
    return None, plan


_CACHE: dict[str, Plan] = {}


@pytest.fixture(scope="session")
def committed_plan() -> Callable[[str], Plan]:
    """Evaluate a committed stack once per test session."""

    def get(stack: str) -> Plan:
        if stack not in _CACHE:
            _CACHE[stack] = evaluate(stack)
        return _CACHE[stack]

    return get


@pytest.fixture
def plan_with(tmp_path: Path) -> Callable[..., Plan]:
    """Evaluate a committed stack with some `multicloud:` keys replaced (None removes a key)."""

    def run(stack: str = "dev", **changes: Any) -> Plan:
        values = copy.deepcopy(stack_config(stack))
        for key, value in changes.items():
            if value is None:
                values.pop(key, None)
            else:
                values[key] = value
        return evaluate(stack, config_file=write_stack(tmp_path, values, stack))

    return run
