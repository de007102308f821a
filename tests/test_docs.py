"""The README's config reference is generated from the config model and never drifts."""

from __future__ import annotations

from stacks.config import SECTIONS
from tools.docs import END, START, table
from tools.engine import PROJECT_DIR


def test_readme_config_reference_matches_the_config_model() -> None:
    readme = (PROJECT_DIR / "README.md").read_text()
    assert START in readme and END in readme
    committed = readme.split(START, 1)[1].split(END, 1)[0].strip()
    assert committed == table().strip(), "README config reference is stale: run `make docs`"


def test_every_config_key_is_in_the_reference() -> None:
    generated = table()
    for section in SECTIONS:
        assert f"`multicloud:{section}`" in generated
    for key in ("app.probes.readiness", "existing[i].context", "overrides.<cluster>.replicas", "aws.mode"):
        assert f"`multicloud:{key}`" in generated
