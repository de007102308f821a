"""KubernetesApp: everything one application needs on one cluster.

Namespace (Pod Security `restricted`), ServiceAccount, hardened Deployment,
Service and Ingress shaped by the cluster's ingress contract, autoscaler,
disruption budget and a NetworkPolicy that admits only the ingress path.
Every object has a stable human name: no random suffixes inside the cluster.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_kubernetes as k8s

from components.cluster import ClusterTarget

ObjectMeta = k8s.meta.v1.ObjectMetaArgsDict

#: Port the Service exposes to the Ingress; the container port is the app's own.
SERVICE_PORT = 80
#: Name of the container port, used by probes, Service and NetworkPolicy.
PORT_NAME = "http"
#: Size cap of the writable scratch directory under the read-only root filesystem.
TMP_SIZE_LIMIT = "64Mi"


class KubernetesAppArgs(TypedDict):
    target: ClusterTarget
    """The cluster to deploy onto (its provider, ingress contract and readiness)."""
    name: str
    """App name: labels and the name of every object."""
    namespace: str
    """Namespace to create and deploy into."""
    image: pulumi.Input[str]
    """Container image, ideally pinned by digest."""
    port: int
    """Port the container listens on."""
    replicas: int
    """Autoscaler floor."""
    max_replicas: int
    """Autoscaler ceiling."""
    target_cpu_utilization: int
    """Average CPU use (percent of requests) the autoscaler aims for."""
    requests: Mapping[str, str]
    """CPU and memory requests."""
    limits: Mapping[str, str]
    """CPU and memory limits."""
    liveness_path: str
    """HTTP path of the liveness probe."""
    readiness_path: str
    """HTTP path of the readiness probe (and the load balancer health check)."""
    startup_path: str
    """HTTP path of the startup probe."""
    run_as_user: int
    """Numeric user and group of the container."""
    host: NotRequired[str | None]
    """Public DNS name of the Ingress; host-less when absent."""
    tls_secret_name: NotRequired[str | None]
    """TLS Secret for `host` in the namespace."""
    env: NotRequired[Mapping[str, str]]
    """Plain environment variables."""
    protect: NotRequired[bool]
    """Protect the namespace (deleting it deletes everything in it)."""


class KubernetesApp(pulumi.ComponentResource):
    """The application on one cluster, through that cluster's provider only."""

    url: pulumi.Output[str]
    """Where the app answers: `https://host`, `http://host`, or the load balancer address."""
    namespace: pulumi.Output[str]
    """Namespace the app runs in."""

    def __init__(self, name: str, args: KubernetesAppArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("multicloud:index:KubernetesApp", name, None, opts)
        target = args["target"]
        app = args["name"]
        labels = {
            "app.kubernetes.io/name": app,
            "app.kubernetes.io/instance": f"{app}-{target.name}",
            "app.kubernetes.io/managed-by": "pulumi",
            "app.kubernetes.io/part-of": "multicloud",
        }
        selector = {"app.kubernetes.io/name": app, "app.kubernetes.io/instance": labels["app.kubernetes.io/instance"]}

        def child(**extra: Any) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(parent=self, provider=target.provider, **extra)

        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={
                "name": args["namespace"],
                "labels": {
                    **labels,
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/enforce-version": "latest",
                    "pod-security.kubernetes.io/audit": "restricted",
                    "pod-security.kubernetes.io/warn": "restricted",
                },
            },
            opts=child(depends_on=list(target.ready), protect=args.get("protect", False)),
        )
        ns = namespace.metadata.name

        def meta(object_name: str, annotations: Mapping[str, str] | None = None) -> ObjectMeta:
            metadata: ObjectMeta = {"name": object_name, "namespace": ns, "labels": labels}
            if annotations:
                metadata["annotations"] = dict(annotations)
            return metadata

        service_account = k8s.core.v1.ServiceAccount(
            f"{name}-sa",
            metadata=meta(app),
            automount_service_account_token=False,
            opts=child(),
        )

        deployment_spec: k8s.apps.v1.DeploymentSpecArgsDict = {
            # No `replicas`: the HorizontalPodAutoscaler owns the count, so
            # `pulumi up` never fights it.
            "selector": {"match_labels": selector},
            "revision_history_limit": 5,
            "strategy": {
                "type": "RollingUpdate",
                # Surge first, never take a ready pod away: a rollout never
                # goes below the disruption budget.
                "rolling_update": {"max_surge": 1, "max_unavailable": 0},
            },
            "template": {
                "metadata": {"labels": labels},
                "spec": _pod_spec(args, service_account.metadata.name, selector),
            },
        }
        deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=meta(app),
            spec=deployment_spec,
            opts=child(depends_on=list(target.ready)),
        )

        ingress_contract = target.ingress
        service_spec: k8s.core.v1.ServiceSpecArgsDict = {
            "type": ingress_contract.service_type,
            "selector": selector,
            "ports": [{"name": PORT_NAME, "port": SERVICE_PORT, "target_port": PORT_NAME, "protocol": "TCP"}],
        }
        service = k8s.core.v1.Service(
            f"{name}-service",
            metadata=meta(app, ingress_contract.service_annotations),
            spec=service_spec,
            opts=child(depends_on=[deployment]),
        )

        annotations = dict(ingress_contract.annotations)
        if ingress_contract.health_check_path_annotation:
            annotations[ingress_contract.health_check_path_annotation] = args["readiness_path"]
        host = args.get("host")
        rule: k8s.networking.v1.IngressRuleArgsDict = {
            "http": {
                "paths": [
                    {
                        "path": "/",
                        "path_type": "Prefix",
                        "backend": {"service": {"name": service.metadata.name, "port": {"name": PORT_NAME}}},
                    }
                ]
            }
        }
        if host:
            rule["host"] = host
        ingress_spec: k8s.networking.v1.IngressSpecArgsDict = {"rules": [rule]}
        if ingress_contract.class_name:
            ingress_spec["ingress_class_name"] = ingress_contract.class_name
        tls_secret = args.get("tls_secret_name")
        if tls_secret and host:
            ingress_spec["tls"] = [{"hosts": [host], "secret_name": tls_secret}]
        ingress = k8s.networking.v1.Ingress(
            f"{name}-ingress",
            metadata=meta(app, annotations),
            spec=ingress_spec,
            opts=child(depends_on=list(target.ready)),
        )

        hpa_spec: k8s.autoscaling.v2.HorizontalPodAutoscalerSpecArgsDict = {
            "scale_target_ref": {"api_version": "apps/v1", "kind": "Deployment", "name": deployment.metadata.name},
            "min_replicas": args["replicas"],
            "max_replicas": args["max_replicas"],
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "average_utilization": args["target_cpu_utilization"]},
                    },
                }
            ],
        }
        k8s.autoscaling.v2.HorizontalPodAutoscaler(f"{name}-hpa", metadata=meta(app), spec=hpa_spec, opts=child())

        pdb_spec: k8s.policy.v1.PodDisruptionBudgetSpecArgsDict = {
            # One pod at a time may be evicted: drains proceed even with a
            # single replica, and never take more than one away at once.
            "max_unavailable": 1,
            "selector": {"match_labels": selector},
            # Crash-looping pods must not block a node drain.
            "unhealthy_pod_eviction_policy": "AlwaysAllow",
        }
        k8s.policy.v1.PodDisruptionBudget(f"{name}-pdb", metadata=meta(app), spec=pdb_spec, opts=child())

        netpol_spec: k8s.networking.v1.NetworkPolicySpecArgsDict = {
            "pod_selector": {"match_labels": selector},
            "policy_types": ["Ingress"],
            "ingress": [
                {
                    "from_": [_peer(peer) for peer in ingress_contract.traffic_sources],
                    "ports": [{"protocol": "TCP", "port": args["port"]}],
                }
            ],
        }
        k8s.networking.v1.NetworkPolicy(f"{name}-netpol", metadata=meta(app), spec=netpol_spec, opts=child())

        self.namespace = ns
        self.url = _url(ingress, host, bool(host and (tls_secret or ingress_contract.serves_https)))
        self.register_outputs({"url": self.url, "namespace": self.namespace})


def _peer(peer: Mapping[str, Any]) -> k8s.networking.v1.NetworkPolicyPeerArgsDict:
    """A NetworkPolicy peer from the contract's plain mapping (stack-file spelling)."""
    out: k8s.networking.v1.NetworkPolicyPeerArgsDict = {}
    if "namespaceSelector" in peer:
        out["namespace_selector"] = peer["namespaceSelector"]
    if "podSelector" in peer:
        out["pod_selector"] = peer["podSelector"]
    if "ipBlock" in peer:
        out["ip_block"] = peer["ipBlock"]
    return out


def _pod_spec(
    args: KubernetesAppArgs, service_account: pulumi.Input[str], selector: Mapping[str, str]
) -> k8s.core.v1.PodSpecArgsDict:
    uid = args["run_as_user"]
    port = args["port"]

    def probe(path: str, period: int, failures: int) -> k8s.core.v1.ProbeArgsDict:
        return {
            "http_get": {"path": path, "port": PORT_NAME},
            "timeout_seconds": 2,
            "period_seconds": period,
            "failure_threshold": failures,
        }

    spread: list[k8s.core.v1.TopologySpreadConstraintArgsDict] = [
        {
            "max_skew": 1,
            "topology_key": key,
            # ScheduleAnyway: a single-zone cluster (kind, a dev cluster) still runs the app.
            "when_unsatisfiable": "ScheduleAnyway",
            "label_selector": {"match_labels": dict(selector)},
        }
        for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname")
    ]
    container: k8s.core.v1.ContainerArgsDict = {
        "name": args["name"],
        "image": args["image"],
        "image_pull_policy": "Always",
        "ports": [{"name": PORT_NAME, "container_port": port, "protocol": "TCP"}],
        "resources": {"requests": dict(args["requests"]), "limits": dict(args["limits"])},
        "startup_probe": probe(args["startup_path"], period=5, failures=30),
        "liveness_probe": probe(args["liveness_path"], period=10, failures=3),
        "readiness_probe": probe(args["readiness_path"], period=5, failures=3),
        "security_context": {
            "allow_privilege_escalation": False,
            "privileged": False,
            "read_only_root_filesystem": True,
            "run_as_non_root": True,
            "run_as_user": uid,
            "run_as_group": uid,
            "capabilities": {"drop": ["ALL"]},
            "seccomp_profile": {"type": "RuntimeDefault"},
        },
        "volume_mounts": [{"name": "tmp", "mount_path": "/tmp"}],
    }
    env = args.get("env") or {}
    if env:
        container["env"] = [{"name": k, "value": v} for k, v in sorted(env.items())]
    return {
        "service_account_name": service_account,
        "automount_service_account_token": False,
        "enable_service_links": False,
        "termination_grace_period_seconds": 30,
        "security_context": {
            "run_as_non_root": True,
            "run_as_user": uid,
            "run_as_group": uid,
            "fs_group": uid,
            "seccomp_profile": {"type": "RuntimeDefault"},
        },
        "topology_spread_constraints": spread,
        "containers": [container],
        "volumes": [{"name": "tmp", "empty_dir": {"size_limit": TMP_SIZE_LIMIT}}],
    }


def _url(ingress: k8s.networking.v1.Ingress, host: str | None, tls: bool) -> pulumi.Output[str]:
    """The app's address, read back from the Ingress status the controller publishes."""
    if host:
        return pulumi.Output.from_input(f"{'https' if tls else 'http'}://{host}")

    def address(status: Any) -> str:
        points = (getattr(getattr(status, "load_balancer", None), "ingress", None) or []) if status else []
        for point in points:
            value = getattr(point, "hostname", None) or getattr(point, "ip", None)
            if value:
                return f"http://{value}"
        return ""

    return ingress.status.apply(address)
