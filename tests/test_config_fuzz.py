"""Property: a wrong value at any key path of the stack config is one ConfigError naming that path.

Every key path is enumerated from the pydantic models in `stacks.config`
(`SECTIONS`, each model's `model_fields` under its stack-file alias), so a new
field is fuzzed as soon as it lands. For each path a value that is certainly
wrong for it is written into an otherwise valid dev stack file, the whole
program runs through the offline engine, and the run must end in a
`ConfigError` (never another exception, never success) whose message names the
path, with nothing registered but the root Stack.

"Certainly wrong" leaves out what pydantic's lax mode accepts on purpose, the
way `pulumi config set --path` writes values: "8080" and 8080.0 for an int,
"true"/"yes"/"on"/1/0.0 for a bool, true (as 1) for an int.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import string
import types
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import annotated_types
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from stacks import config
from stacks.config import ConfigError
from tests import conftest
from tests.conftest import write_stack
from tools.engine import Plan, registered_non_stack

STACK = "fuzz"
TAGGED = "ghcr.io/acme/hello:1.4.2"
#: The profile `parse` validates a dev stack with (staging and prod add the digest rule to images).
DEV_CONTEXT = {"profile": config.PROFILES[config.Environment.DEV]}

#: A valid dev stack. BASE (below) is this with every default written out, so every key path has a value.
SEED: dict[str, Any] = {
    "environment": "dev",
    "aws": {"regions": ["us-west-2"]},
    "gcp": {"regions": ["us-central1"]},
    "azure": {"regions": ["westeurope"]},
    "existing": [{"name": "kind", "context": "kind-kind"}],
    "app": {
        "name": "hello",
        "image": TAGGED,
        "namespace": "hello",
        "host": "hello.dev.example.com",
        "tlsSecretName": "hello-tls",
        "env": {"LOG_LEVEL": "info"},
    },
    "overrides": {"kind": {"replicas": 2, "maxReplicas": 3, "image": "ghcr.io/acme/hello:1.5.0"}},
}


def densify(seed: dict[str, Any]) -> dict[str, Any]:
    """The seed as `parse` reads it, every field written out in stack-file spelling (profile defaults included)."""
    parsed = config.parse(seed)
    dense: dict[str, Any] = {}
    for key, model in config.SECTIONS.items():
        value = getattr(parsed, key)
        if isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, Mapping):
            value = dict(value)
        dense[key] = TypeAdapter(model).dump_python(value, by_alias=True, mode="json")
    return dense


BASE = densify(SEED)


# --------------------------------------------------------------------------- key paths


@dataclass(frozen=True)
class Slot:
    """One key path of the stack config and the type that is allowed there."""

    path: str
    keys: tuple[str | int, ...]
    annotation: Any
    optional: bool
    owner: type[BaseModel] | None = None
    field: str | None = None
    info: FieldInfo | None = None


def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], len(args) < len(get_args(annotation))
    return annotation, False


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def enumerate_slots() -> list[Slot]:
    """Every key path: each section, each field under its alias, list items as `[0]`, dict entries by BASE's key.

    Lists and dicts of models are entered only where BASE has an entry (`existing[0]`, `overrides.kind`).
    """
    slots: list[Slot] = []

    def walk(path: str, keys: tuple[str | int, ...], annotation: Any, **where: Any) -> None:
        inner, optional = _unwrap_optional(annotation)
        slots.append(Slot(path, keys, inner, optional, **where))
        here = _at(BASE, keys)
        if _is_model(inner):
            for name, info in inner.model_fields.items():
                alias = info.alias or name
                walk(f"{path}.{alias}", (*keys, alias), info.annotation, owner=inner, field=name, info=info)
        elif get_origin(inner) is list and _is_model(get_args(inner)[0]) and here:
            walk(f"{path}[0]", (*keys, 0), get_args(inner)[0])
        elif get_origin(inner) is dict and _is_model(get_args(inner)[1]) and here:
            key = next(iter(here))
            walk(f"{path}.{key}", (*keys, key), get_args(inner)[1])

    for section, model in config.SECTIONS.items():
        walk(section, (section,), model)
    return slots


def _at(document: Any, keys: tuple[str | int, ...]) -> Any:
    for key in keys:
        document = document[key]
    return document


def with_value(keys: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    """SEED with `value` at `keys`; the section around it written out in full (from BASE), the others as seeded.

    Writing only the touched section out keeps the stack file, and so each example, small.
    """
    raw = copy.deepcopy(SEED)
    raw[keys[0]] = copy.deepcopy(BASE[keys[0]])
    _at(raw, keys[:-1])[keys[-1]] = value
    return raw


# --------------------------------------------------------------------------- wrong values


def _not_secure(value: dict[str, Any]) -> bool:
    """The engine reads a mapping whose only key is `secure` as an encrypted value."""
    return set(value) != {"secure"}


_scalars = st.one_of(st.integers(), st.floats(allow_nan=False), st.booleans(), st.text(max_size=8), st.none())
ints = st.integers(min_value=-(10**20), max_value=10**20)
fractions = st.floats(allow_nan=False, min_value=-1e9, max_value=1e9).filter(lambda f: not f.is_integer())
bools = st.booleans()
texts = st.text(max_size=12)
lists = st.lists(_scalars, max_size=3)
dicts = st.dictionaries(st.text(max_size=6), _scalars, max_size=3).filter(_not_secure)
nones = st.none()
#: Characters that no name, label, host, image, quantity, region, CIDR or variable name allows.
#: (`+`, `=`, `,` and `@` are left out: IAM names allow them.)
FORBIDDEN = " \t!#$%&*;?^`{|}~\"'<>\\"
#: What pydantic's lax mode reads as a bool (compared after strip + lower, to stay on the safe side).
BOOL_WORDS = {"0", "1", "f", "t", "n", "y", "no", "yes", "on", "off", "true", "false"}


def spoil(valid: str) -> st.SearchStrategy[str]:
    """`valid` with a forbidden character inserted anywhere (never a trailing newline: see test_config)."""
    return st.builds(lambda i, c: valid[:i] + c + valid[i:], st.integers(0, len(valid)), st.sampled_from(FORBIDDEN))


def one_of_texts(*values: str) -> st.SearchStrategy[str]:
    return st.sampled_from(values)


_name_like = st.one_of(spoil("hello"), one_of_texts("", "1hello", "Hello", "-hello", "hello-", "hello.world", "hel_lo"))
_label_like = st.one_of(spoil("hello"), one_of_texts("", "Hello", "-hello", "hello-", "hello.world", "hel_lo"))
#: DNS subdomains (Secret and IngressClass names): labels joined by dots, so `hello.world` is fine.
_subdomain_like = st.one_of(
    spoil("hello.world"),
    one_of_texts("", "Hello", "-hello", "hello-", ".hello", "hello.", "hello..world", "hel_lo", "hello.-world"),
)
_image_like = st.one_of(
    spoil(TAGGED),
    one_of_texts(
        "",
        "ghcr.io/acme/hello",
        "hello",
        "ghcr.io/acme/hello:latest",
        "ghcr.io/Acme/hello:1",
        "ghcr.io/acme/hello:1@sha256:abc",
        "ghcr.io/acme/hello@md5:" + "0" * 32,
        "ghcr.io/acme/hello:-1",
        "https://ghcr.io/acme/hello:1",
    ),
)
_region_items = {
    "us-west-2": st.one_of(spoil("us-west-2"), one_of_texts("", "US-WEST-2", "us-west2", "uswest-2")),
    "us-central1": st.one_of(spoil("us-central1"), one_of_texts("", "US-CENTRAL1", "us-central", "uscentral1")),
    "westeurope": st.one_of(spoil("westeurope"), one_of_texts("", "WestEurope", "west-europe", "1westeurope")),
}


def _regions(valid: str) -> st.SearchStrategy[list[Any]]:
    bad_item = st.one_of(_region_items[valid], ints, fractions, bools, nones, lists, dicts)
    return st.one_of(
        st.lists(bad_item, min_size=1, max_size=3).flatmap(lambda bad: st.permutations([valid, *bad])),
        st.just([valid, valid]),
    )


def _env_dicts() -> st.SearchStrategy[dict[str, Any]]:
    bad_key = st.one_of(spoil("LOG_LEVEL"), one_of_texts("", "1ABC", "A-B", "A.B", "LOG LEVEL"))
    # Numbers and booleans are fine: `pulumi config set --path` stores them typed and they are written as text.
    bad_value = st.one_of(nones, lists, dicts)
    return st.one_of(
        st.dictionaries(bad_key, st.text(max_size=6), min_size=1, max_size=2),
        st.dictionaries(st.sampled_from(["A", "LOG_LEVEL", "_X1"]), bad_value, min_size=1, max_size=2),
    )


_quantity_like = st.one_of(
    spoil("250m"),
    st.text(alphabet=string.ascii_letters, max_size=6),
    one_of_texts("", "-1", "1.", ".5", "1 Gi", "1Gb", "1mi", "1gi", "0x10", "1/2"),
)
_probe_like = st.one_of(
    st.text(max_size=10).filter(lambda s: not s.startswith("/")),
    st.builds(
        lambda a, w, b: f"/{a}{w}{b}", st.text(max_size=4), st.sampled_from(" \t\r\n\u00a0\u2003"), st.text(max_size=4)
    ),
)

#: Malformed values written by hand from each rule's definition, keyed by (model name, field name). A validated
#: field without an entry gets `rejected_candidates`: edits of its BASE value that its own model rejects.
MALFORMED: dict[tuple[str, str], st.SearchStrategy[Any]] = {
    ("AppSettings", "name"): _name_like,
    ("AppSettings", "namespace"): _label_like,
    ("AppSettings", "tls_secret_name"): _subdomain_like,
    ("AppSettings", "host"): st.one_of(
        spoil("hello.example.com"),
        one_of_texts("", "hello", "Hello.example.com", ".example.com", "hello..example.com", "hello.example.com."),
    ),
    ("AppSettings", "image"): _image_like,
    ("AppSettings", "env"): _env_dicts(),
    ("ClusterOverride", "image"): _image_like,
    ("AwsSettings", "regions"): _regions("us-west-2"),
    ("GcpSettings", "regions"): _regions("us-central1"),
    ("AzureSettings", "regions"): _regions("westeurope"),
    ("ExistingClusterSettings", "name"): _name_like,
    ("ExistingClusterSettings", "ingress_class"): _subdomain_like,
    ("ExistingClusterSettings", "ingress_namespace"): _label_like,
    ("ExistingClusterSettings", "kubernetes_version"): st.one_of(
        st.text(max_size=6).filter(lambda s: s not in config.KUBERNETES_VERSIONS),
        one_of_texts("1.30", "1.99", "v1.34", "1.34.0", " 1.34"),
    ),
    ("ResourceAmounts", "cpu"): _quantity_like,
    ("ResourceAmounts", "memory"): _quantity_like,
    ("Probes", "liveness"): _probe_like,
    ("Probes", "readiness"): _probe_like,
    ("Probes", "startup"): _probe_like,
}


def _hand_written(slot: Slot) -> st.SearchStrategy[Any] | None:
    if slot.owner is None or slot.field is None:
        return None
    for cls in slot.owner.__mro__:
        if (cls.__name__, slot.field) in MALFORMED:
            return MALFORMED[(cls.__name__, slot.field)]
    return None


def _validated_fields(model: type[BaseModel]) -> set[str]:
    return {name for d in model.__pydantic_decorators__.field_validators.values() for name in d.info.fields}


def _string_candidates(valid: str | None) -> list[str]:
    out = ["", " ", "x", "X", "-", "0", "a" * 300, "hello world", "#", "..", "/", "Ω"]
    if valid:
        middle = len(valid) // 2
        out += [valid.upper(), f" {valid}", f"{valid} ", f"{valid[:middle]} {valid[middle:]}", f"#{valid}", valid[:-1]]
        out += [f"{valid[:middle]}{c}{valid[middle:]}" for c in FORBIDDEN]
    return out


@functools.cache
def _adapter(section: str) -> TypeAdapter[Any]:
    return TypeAdapter(config.SECTIONS[section])


def _rejected_by_its_model(slot: Slot, value: Any) -> bool:
    """Whether the section's own model rejects BASE with `value` at this slot (validated as `parse` does)."""
    section = with_value(slot.keys, value)[slot.keys[0]]
    try:
        _adapter(str(slot.keys[0])).validate_python(section, context=DEV_CONTEXT)
    except ValidationError:
        return True
    return False


def rejected_candidates(slot: Slot) -> list[Any]:
    """Malformed values for a validated field that has no hand-written ones: edits of its BASE value that
    its own model rejects. The property then checks they reach the user as a ConfigError at this path."""
    current = _at(BASE, slot.keys)
    kind = slot.annotation
    if kind is str:
        candidates: list[Any] = _string_candidates(current)
    elif get_origin(kind) is list:
        first = current[0] if current and isinstance(current[0], str) else None
        candidates = [[*current, c] for c in _string_candidates(first)]
    elif get_origin(kind) is dict:
        key = next(iter(current), None) or next(iter(_at(BASE, slot.keys[:-1]).get("regions", [])), "x")
        candidates = [{**current, key: c} for c in _string_candidates(current.get(key))]
    else:
        candidates = []
    return [c for c in candidates if _rejected_by_its_model(slot, c)]


def _malformed(slot: Slot) -> st.SearchStrategy[Any] | None:
    hand_written = _hand_written(slot)
    if hand_written is not None:
        return hand_written
    if slot.owner is None or slot.field not in _validated_fields(slot.owner):
        return None
    rejected = rejected_candidates(slot)
    return st.sampled_from(rejected) if rejected else None


def _too_short_or_long(slot: Slot) -> list[st.SearchStrategy[Any]]:
    """Values outside the field's declared bounds: ge/le for numbers, min/max length for text and lists."""
    out: list[st.SearchStrategy[Any]] = []
    sequence = get_origin(slot.annotation) is list
    for bound in slot.info.metadata if slot.info is not None else []:
        if isinstance(bound, annotated_types.Ge):
            out.append(st.integers(min_value=int(bound.ge) - 10**6, max_value=int(bound.ge) - 1))
        elif isinstance(bound, annotated_types.Le):
            out.append(st.integers(min_value=int(bound.le) + 1, max_value=int(bound.le) + 10**12))
        elif isinstance(bound, annotated_types.MaxLen) and not sequence:
            out.append(st.integers(bound.max_length + 1, bound.max_length + 20).map(lambda n: "a" * n))
        elif isinstance(bound, annotated_types.MinLen) and bound.min_length > 0:
            out.append(st.just([] if sequence else ""))
    return out


def _top_level_safe(value: Any) -> bool:
    """A top-level string goes through `json.loads` on its way in; keep only text that stays text."""
    if not isinstance(value, str):
        return True
    try:
        json.loads(value)
    except ValueError:
        return True
    return False


def wrong_values(slot: Slot) -> st.SearchStrategy[Any]:
    """Values that are certainly wrong at `slot`, whatever pydantic's lax mode would coerce (built once a slot)."""
    if slot.path not in _STRATEGIES:
        _STRATEGIES[slot.path] = _build_wrong_values(slot)
    return _STRATEGIES[slot.path]


_STRATEGIES: dict[str, st.SearchStrategy[Any]] = {}


def _build_wrong_values(slot: Slot) -> st.SearchStrategy[Any]:
    kind = slot.annotation
    options: list[st.SearchStrategy[Any]] = [] if slot.optional else [nones]
    if _is_model(kind):
        options += [ints, fractions, bools, texts, lists]
    elif get_origin(kind) is list:
        options += [ints, fractions, bools, texts, dicts]
        if _is_model(get_args(kind)[0]):
            options.append(st.lists(st.one_of(ints, fractions, bools, texts, dicts, nones), min_size=1, max_size=2))
    elif get_origin(kind) is dict:
        options += [ints, fractions, bools, texts, lists]
        if _is_model(get_args(kind)[1]):
            non_model = st.one_of(ints, fractions, bools, texts, lists, nones)
            options.append(st.dictionaries(st.text(max_size=6), non_model, min_size=1, max_size=2).filter(_not_secure))
    elif isinstance(kind, type) and issubclass(kind, Enum):
        members = {member.value for member in kind}
        options += [ints, fractions, bools, lists, dicts, texts.filter(lambda s: s not in members)]
    elif kind is bool:
        words = texts.filter(lambda s: s.strip().lower() not in BOOL_WORDS)
        options += [ints.filter(lambda i: i not in (0, 1)), fractions, words, lists, dicts]
    elif kind is int:
        no_digits = texts.filter(lambda s: not any(c.isdigit() or c.isnumeric() for c in s))
        options += [fractions, no_digits, lists, dicts]
    elif kind is str:
        options += [ints, fractions, bools, lists, dicts]
    else:
        raise AssertionError(f"{slot.path}: no wrong values known for {kind!r}; teach wrong_values() this type")
    options += _too_short_or_long(slot)
    malformed = _malformed(slot)
    if malformed is not None:
        options.append(malformed)
    strategy = st.one_of(options)
    return strategy.filter(_top_level_safe) if len(slot.keys) == 1 else strategy


SLOTS = enumerate_slots()
#: Examples for the whole property, shared out over the key paths: one example runs the program once
#: (~20-30 ms), so the file stays near 20 s of CPU however many fields the models grow.
#: `MULTICLOUD_FUZZ_EXAMPLES=20000 make unit` digs deeper before a release.
EXAMPLES = int(os.environ.get("MULTICLOUD_FUZZ_EXAMPLES", "560"))
EXAMPLES_PER_PATH = max(3, EXAMPLES // len(SLOTS))
#: libyaml's loader when PyYAML has it: the round-trip check below should not double the cost of an example.
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# --------------------------------------------------------------------------- running


def evaluate_failing(config_file: Path) -> tuple[ConfigError | None, Plan]:
    return conftest.evaluate_failing(STACK, config_file)


def _at_or_under(issue_path: str, path: str) -> bool:
    """`app.env.A` is under `app.env`, `existing[0].name` under `existing`; `app.namespace` is not under `app.name`."""
    return issue_path == path or issue_path.startswith((f"{path}.", f"{path}["))


# --------------------------------------------------------------------------- the checks on the harness


def test_every_key_path_of_the_models_is_fuzzed() -> None:
    paths = {slot.path for slot in SLOTS}

    for expected in (
        "environment",
        "aws.enabled",
        "aws.regions",
        "aws.mode",
        "gcp.mode",
        "azure.mode",
        "existing[0].context",
        "existing[0].kubernetesVersion",
        "app.resources.requests.cpu",
        "app.resources.limits.memory",
        "app.probes.liveness",
        "app.env",
        "app.tlsSecretName",
        "overrides.kind.replicas",
        "overrides.kind.image",
    ):
        assert expected in paths
    for slot in SLOTS:
        _at(BASE, slot.keys)  # BASE writes every key, so every slot replaces a real value


def test_every_validated_field_has_malformed_values() -> None:
    for slot in SLOTS:
        if slot.owner is not None and slot.field in _validated_fields(slot.owner):
            assert _malformed(slot) is not None, (
                f"{slot.path} has a validator, but no edit of its BASE value is rejected: add it to MALFORMED"
            )


def test_hand_written_malformed_values_name_real_fields() -> None:
    fields = {(m.__name__, f) for slot in SLOTS if (m := slot.owner) is not None for f in m.model_fields}

    assert set(MALFORMED) <= fields


def test_the_base_stack_is_valid_and_deploys(tmp_path: Path) -> None:
    error, plan = evaluate_failing(write_stack(tmp_path, BASE, STACK))

    assert error is None
    assert registered_non_stack(plan)


# --------------------------------------------------------------------------- the property


@pytest.mark.parametrize("slot", SLOTS, ids=lambda slot: slot.path)
# Each example runs the whole program, so time is no signal of a bad strategy (too_slow), and a loaded CI
# machine must not fail on it; tmp_path is reused across examples on purpose (the stack file is rewritten).
@settings(
    max_examples=EXAMPLES_PER_PATH,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_wrong_value_anywhere_is_a_config_error_naming_its_path(
    slot: Slot, data: st.DataObject, tmp_path: Path
) -> None:
    value = data.draw(wrong_values(slot), label=slot.path)
    raw = with_value(slot.keys, value)
    stack_file = write_stack(tmp_path, raw, STACK)
    written = yaml.load(stack_file.read_text(), Loader=_FAST_LOADER)["config"]
    assert written == {f"multicloud:{k}": v for k, v in raw.items()}, "the value did not survive the YAML round trip"

    error, plan = evaluate_failing(stack_file)

    assert error is not None, f"multicloud:{slot.path} = {value!r} was accepted"
    named = [issue for issue in error.issues if _at_or_under(issue.path, slot.path)]
    assert named, f"no issue at {slot.path}: {[str(i) for i in error.issues]}"
    assert any(f"multicloud:{issue.path}: found " in str(error) for issue in named)
    assert registered_non_stack(plan) == []
