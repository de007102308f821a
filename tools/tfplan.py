"""Recorded resources of Terraform-bridged providers (pulumi-aws, pulumi-gcp) as a Terraform plan JSON.

pulumi-aws and pulumi-gcp are generated from the Terraform providers, so a
recorded resource's inputs map field for field onto the Terraform resource:
camelCase keys become snake_case, nested objects (Terraform blocks) become
lists of one object, and maps (tags, labels) stay maps. Pulumi renames a few
fields (plural names of repeatable blocks, for instance); the caller passes
those back. Property dependencies become `configuration` references, so graph
checks that connect two resources (a VPC and its flow log) can run.

The result is what `checkov --framework terraform_plan` reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from tools.engine import Plan, Resource

#: Fields whose value is a map of user keys (not a Terraform block): keys kept as they are.
MAP_FIELDS = frozenset({"tags", "tags_all", "labels", "resource_labels", "metadata", "annotations", "node_labels"})

_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def snake(name: str) -> str:
    """`enabledClusterLogTypes` -> `enabled_cluster_log_types`."""
    return _CAMEL.sub(r"_\1", name).lower()


def _values(value: Any, renames: Mapping[str, str], key: str | None = None) -> Any:
    if isinstance(value, dict):
        if key in MAP_FIELDS:
            return dict(value)
        return {
            renames.get(snake(k), snake(k)): _field(v, renames, renames.get(snake(k), snake(k)))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_values(v, renames, key) for v in value]
    return value


def _field(value: Any, renames: Mapping[str, str], key: str) -> Any:
    converted = _values(value, renames, key)
    if isinstance(value, dict) and key not in MAP_FIELDS:
        return [converted]
    return converted


def _address(tf_type: str, resource: Resource) -> str:
    return f"{tf_type}.{resource.name}"


def to_terraform_plan(
    plan: Plan,
    types: Mapping[str, str],
    renames: Mapping[str, str] | None = None,
    only: Iterable[Resource] | None = None,
) -> dict[str, Any]:
    """A Terraform plan (format 1.2) creating every recorded resource whose type is in `types`.

    `types` maps Pulumi type tokens to Terraform types
    (`aws:eks/cluster:Cluster` -> `aws_eks_cluster`); `renames` maps a
    snake_cased Pulumi field to its Terraform name (`node_pools` -> `node_pool`).
    """
    renames = renames or {}
    chosen = [r for r in (only if only is not None else plan) if r.type in types]
    addresses = {r.urn: _address(types[r.type], r) for r in chosen}
    planned, changes, configuration = [], [], []
    for resource in chosen:
        tf_type = types[resource.type]
        address = addresses[resource.urn]
        values = _values(resource.inputs, renames)
        provider_name = f"registry.terraform.io/hashicorp/{tf_type.split('_', 1)[0]}"
        common = {"address": address, "mode": "managed", "type": tf_type, "name": resource.name}
        planned.append({**common, "provider_name": provider_name, "schema_version": 0, "values": values})
        changes.append(
            {
                **common,
                "provider_name": provider_name,
                "change": {"actions": ["create"], "before": None, "after": values},
            }
        )
        expressions = {
            renames.get(snake(prop), snake(prop)): {
                "references": [
                    ref for urn in urns if urn in addresses for ref in (f"{addresses[urn]}.id", addresses[urn])
                ]
            }
            for prop, urns in resource.property_dependencies.items()
            if any(urn in addresses for urn in urns)
        }
        configuration.append({**common, "provider_config_key": tf_type.split("_", 1)[0], "expressions": expressions})
    return {
        "format_version": "1.2",
        "terraform_version": "1.9.8",
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": changes,
        "configuration": {"root_module": {"resources": configuration}},
    }
