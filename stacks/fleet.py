"""What a stack is made of: config -> clusters -> the app on each -> outputs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pulumi

from components.app import KubernetesApp, KubernetesAppArgs
from components.cluster import ClusterComponent, ClusterTarget
from components.existing import ExistingCluster
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


#: How each kind of cluster is built from the stack config, by `ClusterSpec.cloud`.
_BUILDERS: dict[str, Callable[[StackConfig, ClusterSpec], ClusterComponent]] = {
    "existing": _existing_cluster,
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
