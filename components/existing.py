"""ExistingCluster: a cluster you already run (kind, minikube, on-prem), by kubeconfig context."""

from __future__ import annotations

import os
from typing import TypedDict

import pulumi

from components.cluster import ClusterComponent, ClusterTarget, IngressContract


class ExistingClusterArgs(TypedDict):
    context: str
    """kubeconfig context of the cluster; always explicit, never the current context."""
    kubeconfig_path: str
    """Path of the kubeconfig file that holds `context` (`~` is expanded)."""
    ingress_class: str
    """IngressClass of the ingress controller already running in the cluster."""
    ingress_namespace: str
    """Namespace of that controller: the only source the app admits traffic from."""
    region: str
    """Free-form location, for the outputs."""


class ExistingCluster(ClusterComponent):
    """Adopts a running cluster: no cluster resources, one explicit provider.

    The provider reads the kubeconfig file at deploy time; only its path and
    the context land in the Pulumi state, never the credentials in it.
    """

    def __init__(self, name: str, args: ExistingClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("multicloud:index:ExistingCluster", name, None, opts)
        path = os.path.expanduser(args["kubeconfig_path"])
        provider = self._kubernetes_provider(
            name,
            kubeconfig=path,
            context=args["context"],
            cluster_identifier=f"existing/{args['context']}",
        )
        self.target = ClusterTarget(
            name=name,
            cloud="existing",
            region=args["region"],
            provider=provider,
            kubeconfig=pulumi.Output.secret(f"{path}#{args['context']}"),
            ingress=IngressContract(
                class_name=args["ingress_class"],
                traffic_sources=(
                    {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": args["ingress_namespace"]}}},
                ),
            ),
        )
        self.register_outputs({"kubeconfig": self.target.kubeconfig})
