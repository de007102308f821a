"""What a stack is made of: config -> clusters -> the app on each -> outputs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pulumi

from components.app import KubernetesApp, KubernetesAppArgs
from components.aws import EksCluster
from components.azure import AksCluster
from components.cluster import ClusterComponent, ClusterTarget
from components.existing import ExistingCluster
from components.gcp import GkeCluster
from stacks.config import ClusterSpec, StackConfig


@dataclass(frozen=True)
class Fleet:
    """The clusters of one stack and the app on each, by cluster name."""

    clusters: dict[str, ClusterComponent]
    apps: dict[str, KubernetesApp]


def build(config: StackConfig) -> Fleet:
    """Create every cluster the stack names, then the app on each of them.

    Clusters never depend on each other, so a `pulumi up` takes as long as the
    slowest cluster rather than the sum.
    """
    clusters = {spec.name: _BUILDERS[spec.cloud](config, spec) for spec in config.clusters}
    apps = {name: _deploy_app(config, cluster.target) for name, cluster in clusters.items()}
    return Fleet(clusters=clusters, apps=apps)


def _existing_cluster(config: StackConfig, spec: ClusterSpec) -> ClusterComponent:
    existing = next(e for e in config.existing if e.name == spec.name)
    return ExistingCluster(
        spec.name,
        {
            "context": existing.context,
            "kubeconfig_path": existing.kubeconfig,
            "ingress_class": existing.ingress_class,
            "ingress_namespace": existing.ingress_namespace,
            "region": existing.region,
        },
    )


def _aws_cluster(config: StackConfig, spec: ClusterSpec) -> ClusterComponent:
    aws = config.aws
    vpc_cidr = aws.vpc_cidr_of(spec.region)
    assert vpc_cidr is not None, "checked by config.parse"
    return EksCluster(
        spec.name,
        {
            "region": spec.region,
            "mode": aws.mode,
            "kubernetes_version": aws.kubernetes_version,
            "vpc_cidr": vpc_cidr,
            "availability_zones": aws.availability_zones,
            "nat_gateway_per_zone": aws.nat_gateway_per_zone,
            "api_allowed_cidrs": aws.api_allowed_cidrs,
            "admin_role_arns": aws.admin_role_arns,
            "assume_role_arn": aws.assume_role_arn,
            "node_instance_types": aws.nodes.instance_types,
            "node_min_size": aws.nodes.min_size,
            "node_max_size": aws.nodes.max_size,
            "node_capacity_type": aws.nodes.capacity_type,
            "node_disk_size": aws.nodes.disk_size,
            "protect": config.profile.protect,
            "tags": {"multicloud:environment": config.environment.value, "managed-by": "pulumi"},
        },
    )


def _gcp_cluster(config: StackConfig, spec: ClusterSpec) -> ClusterComponent:
    gcp = config.gcp
    ranges = gcp.ranges_of(spec.region)
    if gcp.project is None or ranges is None:  # parse() reports both as config errors
        raise ValueError(f"{spec.name}: gcp.project and the region's ranges are validated before building")
    app = config.app_for(spec.name)
    return GkeCluster(
        spec.name,
        {
            "project": gcp.project,
            "region": spec.region,
            "mode": gcp.mode,
            "release_channel": gcp.release_channel,
            "master_authorized_cidrs": gcp.master_authorized_cidrs,
            "subnet_range": str(ranges.subnet),
            "pods_range": str(ranges.pods),
            "services_range": str(ranges.services),
            "machine_type": gcp.nodes.machine_type,
            "min_nodes_per_zone": gcp.nodes.min_per_zone,
            "max_nodes_per_zone": gcp.nodes.max_per_zone,
            "spot": gcp.nodes.spot,
            "disk_size_gb": gcp.nodes.disk_size_gb,
            "maintenance_start": gcp.maintenance_window.start,
            "maintenance_end": gcp.maintenance_window.end,
            "maintenance_recurrence": gcp.maintenance_window.recurrence,
            "static_ip": gcp.static_ip,
            "protect": config.profile.protect,
            "certificate_host": app.host if gcp.managed_certificate else None,
        },
    )


def _azure_cluster(config: StackConfig, spec: ClusterSpec) -> ClusterComponent:
    azure = config.azure
    vnet_cidr, node_subnet_cidr = azure.vnet_cidr_of(spec.region), azure.node_subnet_cidr_of(spec.region)
    assert vnet_cidr is not None and node_subnet_cidr is not None, "checked by config.parse"
    return AksCluster(
        spec.name,
        {
            "region": spec.region,
            "mode": "automatic" if azure.mode == "automatic" else "standard",
            "subscription_id": azure.subscription_id,
            "kubernetes_version": azure.kubernetes_version,
            "sku_tier": azure.sku_tier.value,
            "api_allowed_cidrs": azure.api_allowed_cidrs,
            "admin_group_object_ids": azure.admin_group_object_ids,
            "kubelogin_mode": azure.kubelogin_mode.value,
            "vnet_cidr": vnet_cidr,
            "node_subnet_cidr": node_subnet_cidr,
            "pod_cidr": azure.pod_cidr,
            "service_cidr": azure.service_cidr,
            "dns_service_ip": azure.dns_service_ip,
            "availability_zones": azure.availability_zones,
            "system_pool": {
                "vm_size": azure.system_pool.vm_size,
                "min_count": azure.system_pool.min_count,
                "max_count": azure.system_pool.max_count,
                "os_disk_size_gb": azure.system_pool.os_disk_size_gb,
                "ephemeral_os_disk": azure.system_pool.ephemeral_os_disk,
            },
            "user_pool": {
                "vm_size": azure.user_pool.vm_size,
                "min_count": azure.user_pool.min_count,
                "max_count": azure.user_pool.max_count,
                "os_disk_size_gb": azure.user_pool.os_disk_size_gb,
                "ephemeral_os_disk": azure.user_pool.ephemeral_os_disk,
            },
            "log_retention_days": azure.log_retention_days,
            "maintenance": {
                "day": azure.maintenance.day.value,
                "start_time": azure.maintenance.start_time,
                "duration_hours": azure.maintenance.duration_hours,
                "utc_offset": azure.maintenance.utc_offset,
            },
            "protect": config.profile.protect,
        },
    )


#: How each kind of cluster is built from the stack config, by `ClusterSpec.cloud`.
_BUILDERS: dict[str, Callable[[StackConfig, ClusterSpec], ClusterComponent]] = {
    "existing": _existing_cluster,
    "aws": _aws_cluster,
    "azure": _azure_cluster,
    "gcp": _gcp_cluster,
}


def _deploy_app(config: StackConfig, target: ClusterTarget) -> KubernetesApp:
    settings = config.app_for(target.name)
    args: KubernetesAppArgs = {
        "target": target,
        "name": settings.name,
        "namespace": settings.namespace_name,
        "image": settings.image,
        "port": settings.port,
        "replicas": settings.replicas,
        "max_replicas": settings.max_replicas,
        "target_cpu_utilization": settings.target_cpu_utilization,
        "requests": settings.resources.requests.model_dump(),
        "limits": settings.resources.limits.model_dump(),
        "liveness_path": settings.probes.liveness,
        "readiness_path": settings.probes.readiness,
        "startup_path": settings.probes.startup,
        "run_as_user": settings.run_as_user,
        "host": settings.host,
        "tls_secret_name": settings.tls_secret_name,
        "env": settings.env,
        "protect": config.profile.protect,
    }
    return KubernetesApp(f"{target.name}-app", args)


def export(fleet: Fleet) -> None:
    """Stack outputs: per-cluster facts and app URL; kubeconfigs only as a secret."""
    pulumi.export(
        "clusters",
        {
            name: {"cloud": c.target.cloud, "region": c.target.region, "url": fleet.apps[name].url}
            for name, c in fleet.clusters.items()
        },
    )
    pulumi.export("appUrls", {name: app.url for name, app in fleet.apps.items()})
    pulumi.export(
        "kubeconfigs",
        pulumi.Output.secret({name: c.target.kubeconfig for name, c in fleet.clusters.items()}),
    )
