"""The offline engine: evaluate the program under mocks and record every registration.

It stands in for the Pulumi CLI where there is none (forks, laptops, CI):
stack config is loaded the way the CLI loads it, `__main__.py` runs inside a
real root Stack, and a recording monitor keeps every resource registration
(type, name, URN, parent, provider, dependencies, inputs, protect,
ignore_changes) and the stack outputs.
"""

from __future__ import annotations

import asyncio
import json
import runpy
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.stack import run_in_stack

from tools.mocks import OfflineMocks

PROJECT_DIR = Path(__file__).resolve().parent.parent
SECRET_PLACEHOLDER = "[secret]"
_SIG = rpc._special_sig_key
_SECRET_SIG = rpc._special_secret_sig
_RESOURCE_SIG = rpc._special_resource_sig
_UNKNOWN = rpc.UNKNOWN


# --------------------------------------------------------------------------- config


def load_config(
    stack: str, config_file: Path | None = None, project_dir: Path = PROJECT_DIR
) -> tuple[str, dict[str, str], list[str]]:
    """Project name, config map and secret keys, as the CLI hands them to a program.

    Project-level values from `Pulumi.yaml` come first, the stack file's win.
    Values are strings; objects and lists are JSON; `secure:` values become a
    placeholder and their keys are marked secret.
    """
    project = yaml.safe_load((project_dir / "Pulumi.yaml").read_text())
    name = str(project["name"])
    path = config_file or project_dir / f"Pulumi.{stack}.yaml"
    if not path.exists():
        raise FileNotFoundError(f"no stack file {path} (create it, or pass --config-file)")
    stack_doc = yaml.safe_load(path.read_text()) or {}
    if not isinstance(stack_doc, dict) or not isinstance(stack_doc.get("config") or {}, dict):
        raise ValueError(f"{path}: a stack file is a YAML mapping whose `config:` is a mapping of keys to values")

    values: dict[str, Any] = {}
    for key, declared in (project.get("config") or {}).items():
        if isinstance(declared, dict) and ({"value", "default"} & declared.keys()):
            declared = declared.get("value", declared.get("default"))
        values[_qualify(name, key)] = declared
    for key, value in (stack_doc.get("config") or {}).items():
        values[_qualify(name, str(key))] = value

    config: dict[str, str] = {}
    secrets: list[str] = []
    for key, value in values.items():
        text, secret = _config_string(value)
        config[key] = text
        if secret:
            secrets.append(key)
    return name, config, secrets


def _qualify(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _config_string(value: Any) -> tuple[str, bool]:
    if isinstance(value, dict) and set(value) == {"secure"}:
        return SECRET_PLACEHOLDER, True
    if isinstance(value, str):
        return value, False
    if isinstance(value, bool):
        return ("true" if value else "false"), False
    if isinstance(value, (int, float)):
        return str(value), False
    if not isinstance(value, (dict, list)):
        return str(value), False  # dates and other YAML scalars: the text the CLI would pass
    scrubbed, secret = _scrub_secure(value)
    return json.dumps(scrubbed, default=str), secret


def _scrub_secure(value: Any) -> tuple[Any, bool]:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return SECRET_PLACEHOLDER, True
        pairs = {k: _scrub_secure(v) for k, v in value.items()}
        return {k: v for k, (v, _) in pairs.items()}, any(s for _, s in pairs.values())
    if isinstance(value, list):
        items = [_scrub_secure(v) for v in value]
        return [v for v, _ in items], any(s for _, s in items)
    return value, False


# --------------------------------------------------------------------------- recording


@dataclass
class Resource:
    """One recorded registration."""

    urn: str
    type: str
    name: str
    parent: str | None
    provider: str | None
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    inputs: dict[str, Any]
    secret_paths: list[str]
    protect: bool
    ignore_changes: list[str]
    custom: bool
    delete_before_replace: bool = False
    retain_on_delete: bool = False
    replace_on_changes: list[str] = field(default_factory=list)

    @property
    def edges(self) -> set[str]:
        """URNs this resource waits for: explicit and property dependencies, and its provider."""
        urns = set(self.dependencies) | {u for us in self.property_dependencies.values() for u in us}
        return urns | ({self.provider} if self.provider else set())

    def as_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "provider": self.provider,
            "dependencies": self.dependencies,
            "propertyDependencies": self.property_dependencies,
            "inputs": redact(self.inputs, self.secret_paths),
            "protect": self.protect,
            "ignoreChanges": self.ignore_changes,
            "deleteBeforeReplace": self.delete_before_replace,
            "retainOnDelete": self.retain_on_delete,
            "replaceOnChanges": self.replace_on_changes,
        }


@dataclass
class Plan:
    """What one evaluation of the program registered."""

    stack: str
    resources: list[Resource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    secret_outputs: list[str] = field(default_factory=list)

    def __iter__(self) -> Iterator[Resource]:
        return iter(self.resources)

    def by_urn(self, urn: str) -> Resource:
        return next(r for r in self.resources if r.urn == urn)

    def of_type(self, type_: str) -> list[Resource]:
        return [r for r in self.resources if r.type == type_]

    def named(self, name: str) -> Resource:
        return next(r for r in self.resources if r.name == name)

    def children(self, urn: str) -> list[Resource]:
        return sorted((r for r in self.resources if r.parent == urn), key=lambda r: r.name)

    def ancestors(self, resource: Resource) -> list[Resource]:
        chain: list[Resource] = []
        while resource.parent:
            resource = self.by_urn(resource.parent)
            chain.append(resource)
        return chain

    @property
    def cluster_names(self) -> list[str]:
        return sorted(self.outputs.get("clusters", {}))

    def cluster_of(self, resource: Resource) -> str | None:
        """The cluster a resource belongs to: the longest cluster name its name starts with."""
        matches = [c for c in self.cluster_names if resource.name == c or resource.name.startswith(f"{c}-")]
        return max(matches, key=len) if matches else None

    def cross_cluster_edges(self) -> list[str]:
        """Every dependency from a resource of one cluster onto a resource of another (there must be none)."""
        by_urn = {r.urn: r for r in self.resources}
        found = []
        for resource in self.resources:
            mine = self.cluster_of(resource)
            for urn in sorted(resource.edges):
                other = self.cluster_of(by_urn[urn])
                if other not in (mine, None):
                    found.append(f"{resource.name} ({mine}) -> {by_urn[urn].name} ({other})")
        return found

    def as_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "resources": [r.as_json() for r in sorted(self.resources, key=lambda r: r.urn)],
            "outputs": redact(self.outputs, self.secret_outputs),
        }


def redact(value: Any, secret_paths: list[str], path: str = "") -> Any:
    """A copy of `value` with every secret path replaced by the placeholder."""
    if path in secret_paths:
        return SECRET_PLACEHOLDER
    if isinstance(value, dict):
        return {k: redact(v, secret_paths, f"{path}.{k}" if path else k) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, secret_paths, f"{path}[{i}]") for i, v in enumerate(value)]
    return value


def _plain(value: Any, secret_paths: list[str], path: str = "") -> Any:
    """Protobuf JSON -> plain Python: secrets unwrapped (their paths kept), refs as URNs, whole floats as ints."""
    if isinstance(value, dict):
        sig = value.get(_SIG)
        if sig == _SECRET_SIG:
            secret_paths.append(path)
            return _plain(value.get("value"), secret_paths, path)
        if sig == _RESOURCE_SIG:
            return value.get("urn")
        return {k: _plain(v, secret_paths, f"{path}.{k}" if path else k) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, secret_paths, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value == _UNKNOWN:
        return "[unknown]"
    return value


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A MockMonitor that keeps every registration request and the stack outputs."""

    def __init__(self, mocks: pulumi_mocks.Mocks, plan: Plan) -> None:
        super().__init__(mocks)
        self.plan = plan

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        response = super().RegisterResource(request)
        secret_paths: list[str] = []
        inputs = _plain(json_format.MessageToDict(request.object), secret_paths)
        provider = request.provider.rsplit("::", 1)[0] if request.provider else None
        self.plan.resources.append(
            Resource(
                urn=response.urn,
                type=request.type,
                name=request.name,
                parent=request.parent or None,
                provider=provider,
                dependencies=list(request.dependencies),
                property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
                inputs=inputs if isinstance(inputs, dict) else {},
                secret_paths=secret_paths,
                protect=bool(request.protect),
                ignore_changes=list(request.ignoreChanges),
                custom=bool(request.custom),
                delete_before_replace=bool(request.deleteBeforeReplace),
                retain_on_delete=bool(request.retainOnDelete),
                replace_on_changes=list(request.replaceOnChanges),
            )
        )
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        if request.urn.endswith(f"::pulumi:pulumi:Stack::{settings.get_project()}-{settings.get_stack()}"):
            secret_paths: list[str] = []
            outputs = _plain(json_format.MessageToDict(request.outputs), secret_paths)
            self.plan.outputs = outputs if isinstance(outputs, dict) else {}
            self.plan.secret_outputs = secret_paths
        return super().RegisterResourceOutputs(request)


# --------------------------------------------------------------------------- running


def evaluate(
    stack: str,
    config_file: Path | None = None,
    project_dir: Path = PROJECT_DIR,
    into: Plan | None = None,
) -> Plan:
    """Run the program of `project_dir` for `stack` offline and return what it registered.

    Raises whatever the program raises, `stacks.config.ConfigError` included;
    pass `into` to keep what was registered before the failure.
    """
    project, config, secrets = load_config(stack, config_file, project_dir)
    if str(project_dir) not in sys.path:
        sys.path.insert(0, str(project_dir))
    main = project_dir / "__main__.py"

    def program() -> None:
        runpy.run_path(str(main), run_name="__main__")

    return run(program, project, stack, config, secrets, into)


def run(
    program: Callable[[], None],
    project: str = "multicloud",
    stack: str = "test",
    config: Mapping[str, str] | None = None,
    secrets: list[str] | None = None,
    into: Plan | None = None,
) -> Plan:
    """Run any program function inside a root Stack under the offline mocks."""
    plan = into if into is not None else Plan(stack=stack)
    mocks = OfflineMocks()
    monitor = RecordingMonitor(mocks, plan)
    # What `pulumi.runtime.set_mocks` does, minus the root Stack it would make:
    # `run_in_stack` below makes the real one, as the language host does.
    settings.configure(
        pulumi_mocks.MockSettings(
            monitor=monitor,
            monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),
            engine=pulumi_mocks.MockEngine(None),
            project=project,
            stack=stack,
            dry_run=True,
            organization="organization",
            callbacks=None,
        )
    )
    settings.ROOT.set(None)
    set_all_config(dict(config or {}), list(secrets or []))

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(run_in_stack(program))
    finally:
        for task in asyncio.all_tasks(loop):
            task.cancel()
        loop.close()
        asyncio.set_event_loop(None)
    return plan


def registered_non_stack(plan: Plan) -> list[Resource]:
    """Everything the program registered besides the root Stack."""
    return [r for r in plan.resources if r.type != "pulumi:pulumi:Stack"]
