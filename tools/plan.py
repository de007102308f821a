"""`python -m tools.plan`: review a stack offline, like `pulumi preview` without credentials.

    python -m tools.plan --stack dev                 # resource tree + summary
    python -m tools.plan --stack dev --json          # {"stack", "resources": [...], "outputs": {...}}
    python -m tools.plan --stack dev --render DIR    # Kubernetes manifests: DIR/<cluster>/<kind>-<name>.yaml
    python -m tools.plan --stack dev --config-file F # any stack file

Exit status: 0 on success, 2 on a config error (message on stderr, no
traceback), 1 on anything else.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.tree import Tree

from stacks.config import ConfigError
from tools.engine import Plan, Resource, evaluate, redact

REDACTED = "[redacted]"
#: Kubernetes resource types that are not objects in the cluster.
_NOT_MANIFESTS = ("pulumi:providers:kubernetes", "kubernetes:helm.sh/", "kubernetes:yaml")


def manifests(plan: Plan) -> dict[str, dict[str, dict[str, Any]]]:
    """Kubernetes objects by cluster, then by `<kind>-<name>`: plain YAML-ready dicts."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for resource in plan:
        if not resource.type.startswith("kubernetes:") or resource.type.startswith(_NOT_MANIFESTS):
            continue
        cluster = plan.cluster_of(resource) or "unassigned"
        body = _manifest(resource)
        key = f"{body['kind'].lower()}-{body['metadata']['name']}"
        out.setdefault(cluster, {})[key] = body
    return out


def _manifest(resource: Resource) -> dict[str, Any]:
    body = redact(resource.inputs, resource.secret_paths)
    if body.get("kind") == "Secret":
        for field in ("data", "stringData"):
            if isinstance(body.get(field), dict):
                body[field] = {k: REDACTED for k in body[field]}
    ordered = {k: _sorted(body[k]) for k in ("apiVersion", "kind", "metadata") if k in body}
    ordered.update({k: _sorted(v) for k, v in sorted(body.items()) if k not in ordered})
    return ordered


def _sorted(value: Any) -> Any:
    """Map keys in a stable order: the recorded protobuf maps have none."""
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def render(plan: Plan, directory: Path) -> list[Path]:
    """Write every Kubernetes object as `DIR/<cluster>/<kind>-<name>.yaml`."""
    written = []
    for cluster, objects in manifests(plan).items():
        folder = directory / cluster
        folder.mkdir(parents=True, exist_ok=True)
        for key, body in sorted(objects.items()):
            path = folder / f"{key}.yaml"
            path.write_text(yaml.safe_dump(body, sort_keys=False, default_flow_style=False))
            written.append(path)
    return written


def tree(plan: Plan) -> Tree:
    """The component tree, as `pulumi preview` shows it."""
    roots = [r for r in plan if r.parent is None]
    top = Tree(f"[bold]{roots[0].type}[/] {roots[0].name}" if roots else plan.stack)

    def add(node: Tree, resource: Resource) -> None:
        for child in plan.children(resource.urn):
            marks = " [yellow](protected)[/]" if child.protect else ""
            branch = node.add(f"[cyan]{child.type}[/] {child.name}{marks}")
            add(branch, child)

    for root in roots:
        add(top, root)
    return top


def summary(plan: Plan) -> str:
    custom = [r for r in plan if r.custom]
    components = [r for r in plan if not r.custom and r.type != "pulumi:pulumi:Stack"]
    per_cluster = Counter(plan.cluster_of(r) or "-" for r in custom)
    clusters = ", ".join(f"{name}: {count}" for name, count in sorted(per_cluster.items()))
    protected = sum(1 for r in plan if r.protect)
    return (
        f"Resources: {len(custom) + len(components) + 1} to create "
        f"({len(components)} components, {len(custom)} custom; {protected} protected)\n"
        f"By cluster: {clusters}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.plan", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", required=True, help="stack name: reads Pulumi.<stack>.yaml")
    parser.add_argument("--config-file", type=Path, help="use this stack file instead of Pulumi.<stack>.yaml")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the recorded resources and outputs as JSON")
    output.add_argument("--render", type=Path, metavar="DIR", help="write Kubernetes manifests under DIR")
    args = parser.parse_args(argv)

    try:
        plan = evaluate(args.stack, config_file=args.config_file)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # noqa: BLE001 - any other failure is exit 1, reported plainly
        print(f"error: {type(error).__name__}: {error}", file=sys.stderr)
        return 1

    if args.json:
        json.dump(plan.as_json(), sys.stdout, indent=2, sort_keys=True)
        print()
    elif args.render:
        written = render(plan, args.render)
        print(f"wrote {len(written)} manifests under {args.render}")
    else:
        console = Console()
        console.print(tree(plan))
        console.print(summary(plan))
        console.print("Outputs:")
        console.print_json(json.dumps(redact(plan.outputs, plan.secret_outputs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
