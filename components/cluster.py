"""The contract every cluster component fulfils: a read-only `ClusterTarget`.

A cluster component (EKS, GKE, AKS or an existing cluster) knows nothing about
the app; the app knows nothing about clouds. They meet here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

#: The exec credential API every supported kubectl and Kubernetes provider speaks.
EXEC_API_VERSION = "client.authentication.k8s.io/v1beta1"


@dataclass(frozen=True)
class IngressContract:
    """How an Ingress is exposed on one cluster."""

    class_name: str | None
    """`spec.ingressClassName` of the app's Ingress (None: the cluster's default class)."""
    annotations: Mapping[str, str] = field(default_factory=dict)
    """Annotations the Ingress needs on this cluster (ALB scheme, target type, ...)."""
    service_type: str = "ClusterIP"
    """Type of the app's Service behind the Ingress."""
    service_annotations: Mapping[str, str] = field(default_factory=dict)
    """Annotations the Service needs (GKE NEG, ...)."""
    health_check_path_annotation: str | None = None
    """Ingress annotation that takes the app's readiness path, where the load balancer needs one."""
    traffic_sources: Sequence[Mapping[str, Any]] = ()
    """NetworkPolicy peers the ingress traffic arrives from (controller pods or load balancer ranges)."""
    serves_https: bool = False
    """The load balancer terminates TLS itself (a cloud-managed certificate): the app URL is https."""


@dataclass(frozen=True)
class ClusterTarget:
    """Everything the app needs to know about one cluster."""

    name: str
    """Stable cluster key, `<cloud>-<region>` or the existing cluster's name."""
    cloud: str
    """`aws`, `gcp`, `azure` or `existing`."""
    region: str
    """Where the cluster runs."""
    provider: k8s.Provider
    """The explicit Kubernetes provider for this cluster."""
    kubeconfig: pulumi.Output[str]
    """How to reach the cluster; always a secret."""
    ingress: IngressContract
    """How the app's Ingress is exposed here."""
    ready: Sequence[pulumi.Resource] = ()
    """Resources workloads must wait for (node pools, ingress class, add-ons)."""


def exec_kubeconfig(
    name: str, server: pulumi.Input[str], ca_data: pulumi.Input[str | None], exec_spec: Mapping[str, Any]
) -> pulumi.Output[str]:
    """A kubeconfig built from stable fields only, with exec-plugin auth.

    No token or key is ever stored: the plugin (`aws`, `gke-gcloud-auth-plugin`,
    `kubelogin`) fetches a short-lived one each time. `exec_spec` holds the
    command, its args and hints. The result is always a secret.
    """
    return pulumi.Output.secret(
        pulumi.Output.json_dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": name, "cluster": {"server": server, "certificate-authority-data": ca_data}}],
                "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
                "current-context": name,
                "users": [
                    {
                        "name": name,
                        "user": {"exec": {"apiVersion": EXEC_API_VERSION, "interactiveMode": "Never", **exec_spec}},
                    }
                ],
            }
        )
    )


class ClusterComponent(pulumi.ComponentResource):
    """Base of the cluster components: each one sets `target` once."""

    target: ClusterTarget
    """The contract the app is deployed through."""

    def _kubernetes_provider(
        self,
        name: str,
        kubeconfig: pulumi.Input[str],
        cluster_identifier: pulumi.Input[str],
        context: str | None = None,
    ) -> k8s.Provider:
        """The cluster's Kubernetes provider.

        `cluster_identifier` pins the provider's identity: a change of
        credentials or kubeconfig text updates the provider in place instead
        of replacing it, and with it every object on the cluster.
        """
        return k8s.Provider(
            f"{name}-k8s",
            kubeconfig=kubeconfig,
            context=context,
            cluster_identifier=cluster_identifier,
            enable_server_side_apply=True,
            delete_unreachable=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
