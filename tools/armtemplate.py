"""Recorded azure-native resources as an ARM deployment template, for `checkov --framework arm`.

pulumi-azure-native is generated from the Azure REST API specs: a resource's
inputs are its ARM request body with `properties` flattened to the top level
and the URL path parameters (resource group, parent and resource names) added
as inputs. Putting them back is mechanical: path parameters become the ARM
`name` (`cluster/pool` for child resources), the envelope fields (`location`,
`tags`, `sku`, `identity`, ...) stay on the resource, everything else goes
under `properties`. The `apiVersion` is the one the installed SDK module
calls, read from its documentation, so the template says what `pulumi up`
would send.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.engine import Plan, Resource

SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
#: Request-body fields that sit beside `properties` on most ARM resources.
ENVELOPE = frozenset({"location", "tags", "identity", "extendedLocation", "kind", "zones", "etag"})

_API_VERSION_RE = re.compile(r"Uses Azure REST API version (\d{4}-\d{2}-\d{2}(?:-preview)?)")


@dataclass(frozen=True)
class ArmType:
    """How one azure-native type token maps onto an ARM resource type."""

    type: str
    """ARM resource type, like `Microsoft.ContainerService/managedClusters`."""
    name_inputs: tuple[str, ...]
    """Path-parameter inputs that make up the ARM name, parent first (the last falls back to the Pulumi name)."""
    envelope: frozenset[str] = ENVELOPE
    """Inputs that stay beside `properties` (`sku` is one on some types and inside `properties` on others)."""


#: The azure-native types the AKS component registers, by Pulumi type token.
AZURE_TYPES: dict[str, ArmType] = {
    "azure-native:containerservice:ManagedCluster": ArmType(
        "Microsoft.ContainerService/managedClusters", ("resourceName",), ENVELOPE | {"sku"}
    ),
    "azure-native:containerservice:AgentPool": ArmType(
        "Microsoft.ContainerService/managedClusters/agentPools", ("resourceName", "agentPoolName")
    ),
    "azure-native:containerservice:MaintenanceConfiguration": ArmType(
        "Microsoft.ContainerService/managedClusters/maintenanceConfigurations", ("resourceName", "configName")
    ),
    "azure-native:network:VirtualNetwork": ArmType("Microsoft.Network/virtualNetworks", ("virtualNetworkName",)),
    "azure-native:network:Subnet": ArmType(
        "Microsoft.Network/virtualNetworks/subnets", ("virtualNetworkName", "subnetName")
    ),
    "azure-native:operationalinsights:Workspace": ArmType(
        "Microsoft.OperationalInsights/workspaces", ("workspaceName",)
    ),
    "azure-native:monitor:DataCollectionRule": ArmType(
        "Microsoft.Insights/dataCollectionRules", ("dataCollectionRuleName",)
    ),
}


def _pascal(name: str) -> str:
    return name[:1].upper() + name[1:]


@functools.cache
def api_version(type_token: str) -> str:
    """The REST API version the installed pulumi-azure-native module of `type_token` calls.

    `azure-native:containerservice:ManagedCluster` -> the documented version of
    `pulumi_azure_native.containerservice.ManagedCluster` (the module's default).
    """
    _, module, resource = type_token.split(":")
    cls = getattr(importlib.import_module(f"pulumi_azure_native.{module}"), _pascal(resource))
    source = inspect.getsourcefile(cls)
    match = _API_VERSION_RE.search(Path(source).read_text()) if source else None
    if match is None:
        raise LookupError(f"{type_token}: the installed SDK does not document its API version")
    return match[1]


def _arm_resource(resource: Resource, arm: ArmType) -> dict[str, Any]:
    inputs = dict(resource.inputs)
    inputs.pop("resourceGroupName", None)
    parts = [str(inputs.pop(key, "") or "") for key in arm.name_inputs]
    parts[-1] = parts[-1] or resource.name
    body: dict[str, Any] = {
        "type": arm.type,
        "apiVersion": api_version(resource.type),
        "name": "/".join(parts),
    }
    properties: dict[str, Any] = {}
    for key, value in inputs.items():
        (body if key in arm.envelope else properties)[key] = value
    body["properties"] = properties
    return body


def to_arm_template(
    plan: Plan,
    types: Mapping[str, ArmType] = AZURE_TYPES,
    only: Iterable[Resource] | None = None,
) -> dict[str, Any]:
    """An ARM deployment template of every recorded resource whose type is in `types`."""
    chosen = [r for r in (only if only is not None else plan) if r.type in types]
    return {
        "$schema": SCHEMA,
        "contentVersion": "1.0.0.0",
        "resources": [_arm_resource(r, types[r.type]) for r in chosen],
    }
