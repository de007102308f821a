"""GkeCluster: a private, regional GKE cluster (standard or Autopilot) with GKE Ingress.

Modelled on terraform-google-kubernetes-engine's safer-cluster: a custom-mode
VPC with one subnetwork (pods and Services as secondary ranges, private Google
access, flow logs), Cloud NAT for the private nodes, a release channel instead
of a pinned version, Workload Identity, Dataplane V2, shielded nodes, no legacy
ABAC or client certificates, and a control plane reachable only from the
authorized networks. Standard mode replaces the default node pool with a
separately managed one running as its own least-privilege service account;
Autopilot runs the nodes itself under that same account.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
from pulumi_gcp import compute, container, projects, serviceaccount
from pulumi_gcp.provider import Provider as GcpProvider

from components.cluster import ClusterComponent, ClusterTarget, IngressContract, exec_kubeconfig
from stacks.config import GcpMode, GcpReleaseChannel

#: APIs the clusters need. Enabled per cluster and never disabled on destroy:
#: other workloads of the project may use them too.
PROJECT_SERVICES = {
    "compute": "compute.googleapis.com",
    "container": "container.googleapis.com",
    "iam": "iam.googleapis.com",
    "binauthz": "binaryauthorization.googleapis.com",
}

#: Project roles of the node service account: write logs and metrics, read
#: monitoring data and pull images from Artifact Registry. Nothing else.
NODE_ROLES = {
    "log-writer": "roles/logging.logWriter",
    "metric-writer": "roles/monitoring.metricWriter",
    "monitoring-viewer": "roles/monitoring.viewer",
    "registry-reader": "roles/artifactregistry.reader",
}

#: Nodes get the broad scope; what they may do is decided by IAM roles alone (GKE's recommendation).
NODE_OAUTH_SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]
#: Node image: Container-Optimized OS with containerd.
NODE_IMAGE_TYPE = "COS_CONTAINERD"
NODE_DISK_TYPE = "pd-balanced"

#: Where Google's load balancers and their health checks reach pods from
#: (Google Front End and health-check ranges), the only sources the app admits.
GOOGLE_FRONT_END_RANGES = ("130.211.0.0/22", "35.191.0.0/16")

#: Names of the subnetwork's secondary ranges.
POD_RANGE_NAME = "pods"
SERVICE_RANGE_NAME = "services"

#: GKE's Ingress controller is chosen by this annotation: GKE does not read
#: `spec.ingressClassName` for its own controller, so the Ingress carries no class name.
INGRESS_CLASS_ANNOTATION = "kubernetes.io/ingress.class"
INGRESS_CLASS = "gce"
STATIC_IP_ANNOTATION = "kubernetes.io/ingress.global-static-ip-name"
PRE_SHARED_CERT_ANNOTATION = "ingress.gcp.kubernetes.io/pre-shared-cert"
#: Container-native load balancing: the load balancer targets pods through a NEG, not node ports.
NEG_ANNOTATION = "cloud.google.com/neg"
NEG_VALUE = json.dumps({"ingress": True})

#: The kubeconfig authenticates through this exec plugin (`gcloud components install gke-gcloud-auth-plugin`).
AUTH_PLUGIN = "gke-gcloud-auth-plugin"

LOGGING_COMPONENTS = ["SYSTEM_COMPONENTS", "WORKLOADS"]
MONITORING_COMPONENTS = ["SYSTEM_COMPONENTS"]


class GkeClusterArgs(TypedDict):
    project: str
    """Project the cluster, its network and its service account live in."""
    region: str
    """Region of the regional cluster (control plane and nodes across its zones)."""
    mode: GcpMode
    """`standard` (a node pool sized here) or `autopilot` (GKE runs the nodes)."""
    release_channel: GcpReleaseChannel
    """Release channel the control plane and nodes are upgraded from."""
    master_authorized_cidrs: Sequence[str]
    """Networks that may reach the control plane; empty: no restriction beyond IAM."""
    subnet_range: str
    """Primary range of the subnetwork: node IPs."""
    pods_range: str
    """Secondary range for pods."""
    services_range: str
    """Secondary range for Services."""
    machine_type: str
    """Node machine type (standard)."""
    min_nodes_per_zone: int
    """Autoscaler floor per zone (standard)."""
    max_nodes_per_zone: int
    """Autoscaler ceiling per zone (standard)."""
    spot: bool
    """Spot VMs for the node pool (standard)."""
    disk_size_gb: int
    """Node boot disk size in GB (standard)."""
    maintenance_start: str
    """First start of the recurring maintenance window (RFC 3339)."""
    maintenance_end: str
    """First end of the recurring maintenance window (RFC 3339)."""
    maintenance_recurrence: str
    """RRULE of the maintenance window."""
    static_ip: bool
    """Reserve a global static IP for the Ingress."""
    protect: bool
    """Prod: deletion protection and Pulumi `protect` on what a user could lose."""
    certificate_host: NotRequired[str | None]
    """Host to get a Google-managed certificate for; none when absent."""


#: GKE's limit on cluster and node pool names; other Compute Engine names may have 63 characters.
GKE_NAME_LIMIT = 40
CLOUD_NAME_LIMIT = 63
#: What Pulumi appends to an auto-name: "-" and seven hex characters.
AUTONAME_SUFFIX_LENGTH = 8


def _truncate(text: str, length: int) -> str:
    """`text` in the characters of a resource name, cut to `length`."""
    return re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")[:length].rstrip("-")


def _fit(text: str, limit: int) -> str:
    """`text` as a resource name of at most `limit` characters; a longer one ends in a digest of all of it."""
    name = _truncate(text, len(text))
    if len(name) <= limit:
        return name
    return f"{_truncate(name, limit - 8)}-{hashlib.sha256(name.encode()).hexdigest()[:7]}"


def _cloud_name(name: str, role: str) -> str:
    """A GCP resource name unique per stack and cluster (names the Ingress annotations refer to)."""
    return _fit(f"{name}-{pulumi.get_stack()}-{role}", CLOUD_NAME_LIMIT)


def _gke_name(logical: str, *replaced_by: object) -> str | None:
    """Name of a GKE cluster or node pool: None (Pulumi's auto-name) where that fits GKE's 40 characters.

    The auto-names of the longest regions do not (`gcp-northamerica-northeast1-cluster-1a2b3c4` has 43, and
    GKE rejects it): those get a fixed name from the stack, the logical name and `replaced_by`, the settings
    whose change replaces the resource, so that a replacement gets a new name and is created before the old
    one goes. Names that fit stay auto-names, so no existing cluster or pool is renamed (a rename replaces it).
    """
    if len(logical) + AUTONAME_SUFFIX_LENGTH <= GKE_NAME_LIMIT:
        return None
    digest = hashlib.sha256(repr((pulumi.get_stack(), logical, *replaced_by)).encode()).hexdigest()[:7]
    return f"{_truncate(logical, GKE_NAME_LIMIT - 8)}-{digest}"


def _label_value(text: str) -> str:
    """`text` as a GCP label value: lowercase letters, digits, `_` and `-`, at most 63 characters."""
    return re.sub(r"[^a-z0-9_-]", "-", text.lower())[:63]


def _account_id(name: str) -> str:
    """A service account id (6-30 characters) unique per stack and cluster."""
    digest = hashlib.sha256(f"{pulumi.get_stack()}/{name}".encode()).hexdigest()[:12]
    return f"gke-nodes-{digest}"


class GkeCluster(ClusterComponent):
    """One regional GKE cluster with its own network, provider and node identity."""

    kubeconfig: pulumi.Output[str]
    """Kubeconfig with exec auth through `gke-gcloud-auth-plugin`; a secret."""
    endpoint: pulumi.Output[str]
    """IP address of the control plane."""

    def __init__(self, name: str, args: GkeClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("multicloud:index:GkeCluster", name, None, opts)
        project = args["project"]
        region = args["region"]
        protect = args["protect"]
        autopilot = args["mode"] is GcpMode.AUTOPILOT
        # Stack names may hold upper case and dots, which GCP rejects in label values.
        labels = {"managed-by": "pulumi", "cluster": _label_value(name), "stack": _label_value(pulumi.get_stack())}

        provider = GcpProvider(
            f"{name}-provider",
            project=project,
            region=region,
            default_labels=labels,
            opts=pulumi.ResourceOptions(parent=self),
        )

        def child(**extra: Any) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(parent=self, provider=provider, **extra)

        services = {
            key: projects.Service(
                f"{name}-{key}-api",
                project=project,
                service=api,
                disable_on_destroy=False,
                disable_dependent_services=False,
                opts=child(),
            )
            for key, api in PROJECT_SERVICES.items()
        }

        network = compute.Network(
            f"{name}-network",
            auto_create_subnetworks=False,
            routing_mode="REGIONAL",
            description=f"Network of GKE cluster {name}",
            opts=child(protect=protect, depends_on=[services["compute"]]),
        )
        subnet = compute.Subnetwork(
            f"{name}-subnet",
            region=region,
            network=network.id,
            ip_cidr_range=args["subnet_range"],
            secondary_ip_ranges=[
                {"range_name": POD_RANGE_NAME, "ip_cidr_range": args["pods_range"]},
                {"range_name": SERVICE_RANGE_NAME, "ip_cidr_range": args["services_range"]},
            ],
            private_ip_google_access=True,
            stack_type="IPV4_ONLY",
            log_config={
                "aggregation_interval": "INTERVAL_5_SEC",
                "flow_sampling": 0.5,
                "metadata": "INCLUDE_ALL_METADATA",
            },
            opts=child(protect=protect),
        )
        # An explicit deny-all below every GKE-managed rule: what the implied
        # rule denies anyway, but logged.
        compute.Firewall(
            f"{name}-deny-ingress",
            network=network.id,
            direction="INGRESS",
            priority=65534,
            source_ranges=["0.0.0.0/0"],
            denies=[{"protocol": "all"}],
            log_config={"metadata": "INCLUDE_ALL_METADATA"},
            description="Deny and log all ingress not allowed by a GKE-managed rule",
            opts=child(),
        )
        router = compute.Router(f"{name}-router", region=region, network=network.id, opts=child())
        compute.RouterNat(
            f"{name}-nat",
            router=router.name,
            region=region,
            nat_ip_allocate_option="AUTO_ONLY",
            source_subnetwork_ip_ranges_to_nat="LIST_OF_SUBNETWORKS",
            subnetworks=[{"name": subnet.id, "source_ip_ranges_to_nats": ["ALL_IP_RANGES"]}],
            enable_dynamic_port_allocation=True,
            enable_endpoint_independent_mapping=False,
            log_config={"enable": True, "filter": "ERRORS_ONLY"},
            opts=child(),
        )

        account = serviceaccount.Account(
            f"{name}-nodes-sa",
            project=project,
            account_id=_account_id(name),
            display_name=f"GKE nodes of {name} ({pulumi.get_stack()})",
            description="Least-privilege identity of the cluster's nodes: logs, metrics, image pulls",
            opts=child(depends_on=[services["iam"]]),
        )
        member = account.email.apply(lambda email: f"serviceAccount:{email}")
        grants = [
            projects.IAMMember(f"{name}-nodes-{key}", project=project, role=role, member=member, opts=child())
            for key, role in NODE_ROLES.items()
        ]

        shielded: container.NodePoolNodeConfigShieldedInstanceConfigArgsDict = {
            "enable_secure_boot": True,
            "enable_integrity_monitoring": True,
        }
        cluster_args: dict[str, Any] = {
            "location": region,
            "network": network.id,
            "subnetwork": subnet.id,
            "networking_mode": "VPC_NATIVE",
            "ip_allocation_policy": {
                "cluster_secondary_range_name": POD_RANGE_NAME,
                "services_secondary_range_name": SERVICE_RANGE_NAME,
            },
            "private_cluster_config": {"enable_private_nodes": True, "enable_private_endpoint": False},
            "release_channel": {"channel": args["release_channel"].value},
            "master_auth": {"client_certificate_config": {"issue_client_certificate": False}},
            "binary_authorization": {"evaluation_mode": "PROJECT_SINGLETON_POLICY_ENFORCE"},
            "logging_config": {"enable_components": LOGGING_COMPONENTS},
            "monitoring_config": {
                "enable_components": MONITORING_COMPONENTS,
                "managed_prometheus": {"enabled": True},
            },
            "maintenance_policy": {
                "recurring_window": {
                    "start_time": args["maintenance_start"],
                    "end_time": args["maintenance_end"],
                    "recurrence": args["maintenance_recurrence"],
                }
            },
            # Pod-to-pod traffic on one node goes through the VPC too: flow
            # logs and firewall rules see it (Autopilot's default; off in standard).
            "enable_intranode_visibility": True,
            "resource_labels": labels,
            "deletion_protection": protect,
        }
        cidrs = list(args["master_authorized_cidrs"])
        if cidrs:
            cluster_args["master_authorized_networks_config"] = {
                "cidr_blocks": [
                    {"cidr_block": cidr, "display_name": f"authorized-{i}"} for i, cidr in enumerate(cidrs)
                ],
                "gcp_public_cidrs_access_enabled": False,
            }
        ignore_changes: list[str] = []
        if autopilot:
            # Autopilot always runs Workload Identity, Dataplane V2 with
            # network policy, shielded nodes with secure boot and the GKE
            # metadata server; the API rejects those fields. The nodes it
            # provisions run as the least-privilege account.
            cluster_args["enable_autopilot"] = True
            cluster_args["cluster_autoscaling"] = {
                "auto_provisioning_defaults": {"service_account": account.email, "oauth_scopes": NODE_OAUTH_SCOPES}
            }
        else:
            cluster_args.update(
                {
                    "workload_identity_config": {"workload_pool": f"{project}.svc.id.goog"},
                    "datapath_provider": "ADVANCED_DATAPATH",
                    # Dataplane V2 enforces NetworkPolicy itself; Calico stays off.
                    "network_policy": {"enabled": False},
                    "enable_shielded_nodes": True,
                    "enable_legacy_abac": False,
                    "addons_config": {
                        "http_load_balancing": {"disabled": False},
                        "horizontal_pod_autoscaling": {"disabled": False},
                    },
                    # The default pool only exists while the cluster is created;
                    # even then it runs hardened, as the node account.
                    "remove_default_node_pool": True,
                    "initial_node_count": 1,
                    "node_config": {
                        "service_account": account.email,
                        "oauth_scopes": NODE_OAUTH_SCOPES,
                        "shielded_instance_config": shielded,
                        "workload_metadata_config": {"mode": "GKE_METADATA"},
                    },
                }
            )
            # The removed default pool's settings would otherwise show as drift.
            ignore_changes.append("nodeConfig")
        cluster = container.Cluster(
            f"{name}-cluster",
            name=_gke_name(f"{name}-cluster"),
            **cluster_args,
            opts=child(
                protect=protect,
                ignore_changes=ignore_changes,
                depends_on=[services["container"], services["binauthz"], *grants],
            ),
        )

        ready: list[pulumi.Resource] = [cluster]
        if not autopilot:
            node_config: container.NodePoolNodeConfigArgsDict = {
                "machine_type": args["machine_type"],
                "disk_size_gb": args["disk_size_gb"],
                "disk_type": NODE_DISK_TYPE,
                "image_type": NODE_IMAGE_TYPE,
                "spot": args["spot"],
                "service_account": account.email,
                "oauth_scopes": NODE_OAUTH_SCOPES,
                "shielded_instance_config": shielded,
                "workload_metadata_config": {"mode": "GKE_METADATA"},
                "metadata": {"disable-legacy-endpoints": "true"},
                "resource_labels": labels,
            }
            autoscaling: container.NodePoolAutoscalingArgsDict = {
                "min_node_count": args["min_nodes_per_zone"],
                "max_node_count": args["max_nodes_per_zone"],
                "location_policy": "BALANCED",
            }
            node_pool = container.NodePool(
                f"{name}-nodes",
                name=_gke_name(
                    f"{name}-nodes",
                    args["machine_type"],
                    args["disk_size_gb"],
                    args["spot"],
                    NODE_DISK_TYPE,
                    NODE_IMAGE_TYPE,
                ),
                cluster=cluster.id,
                location=region,
                initial_node_count=max(args["min_nodes_per_zone"], 1),
                autoscaling=autoscaling,
                management={"auto_repair": True, "auto_upgrade": True},
                upgrade_settings={"strategy": "SURGE", "max_surge": 1, "max_unavailable": 0},
                node_config=node_config,
                # The autoscaler owns the size after creation; a changed floor
                # must not replace the pool.
                opts=child(ignore_changes=["initialNodeCount"], depends_on=grants),
            )
            ready = [node_pool]

        annotations = {INGRESS_CLASS_ANNOTATION: INGRESS_CLASS}
        if args["static_ip"]:
            address_name = _cloud_name(name, "ingress")
            address = compute.GlobalAddress(
                f"{name}-ingress-ip",
                name=address_name,
                address_type="EXTERNAL",
                ip_version="IPV4",
                description=f"Static IP of the app's load balancer on {name}",
                opts=child(protect=protect, depends_on=[services["compute"]]),
            )
            annotations[STATIC_IP_ANNOTATION] = address_name
            ready.append(address)
        host = args.get("certificate_host")
        if host:
            # The host is part of the name: a new host gets a new certificate
            # next to the old one, so the Ingress switches without a gap.
            certificate_name = _cloud_name(name, f"cert-{hashlib.sha256(host.encode()).hexdigest()[:8]}")
            certificate = compute.ManagedSslCertificate(
                f"{name}-certificate",
                name=certificate_name,
                managed={"domains": [host]},
                description=f"Google-managed certificate for {host}",
                opts=child(depends_on=[services["compute"]]),
            )
            annotations[PRE_SHARED_CERT_ANNOTATION] = certificate_name
            ready.append(certificate)

        self.endpoint = cluster.endpoint
        self.kubeconfig = exec_kubeconfig(
            name,
            pulumi.Output.concat("https://", cluster.endpoint),
            cluster.master_auth.cluster_ca_certificate,
            {
                "command": AUTH_PLUGIN,
                "installHint": f"Install {AUTH_PLUGIN}: gcloud components install {AUTH_PLUGIN}",
                "provideClusterInfo": True,
            },
        )
        k8s_provider = self._kubernetes_provider(
            name,
            kubeconfig=self.kubeconfig,
            cluster_identifier=f"gke/{project}/{region}/{name}",
        )
        self.target = ClusterTarget(
            name=name,
            cloud="gcp",
            region=region,
            provider=k8s_provider,
            kubeconfig=self.kubeconfig,
            ingress=IngressContract(
                class_name=None,
                annotations=annotations,
                service_type="ClusterIP",
                service_annotations={NEG_ANNOTATION: NEG_VALUE},
                traffic_sources=tuple({"ipBlock": {"cidr": cidr}} for cidr in GOOGLE_FRONT_END_RANGES),
                serves_https=PRE_SHARED_CERT_ANNOTATION in annotations,
            ),
            ready=tuple(ready),
        )
        self.register_outputs({"kubeconfig": self.kubeconfig, "endpoint": self.endpoint})
