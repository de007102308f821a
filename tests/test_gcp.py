"""GkeCluster: the recorded graph of GKE stacks in both modes, the config rules, and checkov on the plan.

Four stack files under tests/stacks are evaluated once each: standard and
Autopilot in two regions (dev), a one-region prod stack with a static IP and a
Google-managed certificate, and the same in the region with the longest name
under a stack name with upper case and dots.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from components.gcp import (
    GKE_NAME_LIMIT,
    GOOGLE_FRONT_END_RANGES,
    NODE_ROLES,
    PROJECT_SERVICES,
    _cloud_name,
    _gke_name,
)
from stacks.config import GCP_DEFAULT_RANGE_SLOTS, ConfigError, parse
from tests import checkov
from tools.engine import Plan, Resource, evaluate
from tools.mocks import FAKE_CA_DATA
from tools.tfplan import to_terraform_plan

STACKS_DIR = Path(__file__).parent / "stacks"
REGIONS = ("us-central1", "europe-west1")
CLUSTERS = tuple(f"gcp-{region}" for region in REGIONS)

CLUSTER = "gcp:container/cluster:Cluster"
NODE_POOL = "gcp:container/nodePool:NodePool"
NETWORK = "gcp:compute/network:Network"
SUBNET = "gcp:compute/subnetwork:Subnetwork"
FIREWALL = "gcp:compute/firewall:Firewall"
ROUTER = "gcp:compute/router:Router"
NAT = "gcp:compute/routerNat:RouterNat"
ADDRESS = "gcp:compute/globalAddress:GlobalAddress"
CERTIFICATE = "gcp:compute/managedSslCertificate:ManagedSslCertificate"
ACCOUNT = "gcp:serviceaccount/account:Account"
IAM_MEMBER = "gcp:projects/iAMMember:IAMMember"
SERVICE = "gcp:projects/service:Service"
GCP_PROVIDER = "pulumi:providers:gcp"
K8S_PROVIDER = "pulumi:providers:kubernetes"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"

APP_TYPES = {
    "kubernetes:core/v1:Namespace",
    "kubernetes:core/v1:ServiceAccount",
    "kubernetes:apps/v1:Deployment",
    "kubernetes:core/v1:Service",
    INGRESS,
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    "kubernetes:policy/v1:PodDisruptionBudget",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy",
}

#: Pulumi type -> Terraform type of every GCP resource the component registers.
TF_TYPES = {
    CLUSTER: "google_container_cluster",
    NODE_POOL: "google_container_node_pool",
    NETWORK: "google_compute_network",
    SUBNET: "google_compute_subnetwork",
    FIREWALL: "google_compute_firewall",
    ROUTER: "google_compute_router",
    NAT: "google_compute_router_nat",
    ADDRESS: "google_compute_global_address",
    CERTIFICATE: "google_compute_managed_ssl_certificate",
    ACCOUNT: "google_service_account",
    IAM_MEMBER: "google_project_iam_member",
    SERVICE: "google_project_service",
}

#: pulumi-gcp's plural names of repeatable Terraform blocks -> the Terraform names.
TF_RENAMES = {
    "secondary_ip_ranges": "secondary_ip_range",
    "subnetworks": "subnetwork",
    "source_ip_ranges_to_nats": "source_ip_ranges_to_nat",
    "denies": "deny",
    "allows": "allow",
}

#: checkov checks skipped in every scan: check id -> why.
SKIP_CHECKS = {
    "CKV_GCP_65": "RBAC through Google Groups needs a Google Workspace domain (gke-security-groups@<domain>) "
    "that this project cannot assume; access is granted with IAM roles instead",
}
#: Further skips for Autopilot only: settings Autopilot always enforces and whose fields the API rejects.
AUTOPILOT_SKIP_CHECKS = {
    "CKV_GCP_12": "Autopilot always runs Dataplane V2, which enforces NetworkPolicy; network_policy cannot be set",
    "CKV_GCP_69": "Autopilot always runs the GKE metadata server on its nodes; node_config cannot be set",
}

#: Checks that must have passed in each mode: proof the scan really read the translated plan.
EXPECTED_CHECKS = {
    "CKV_GCP_1": "cluster logging",
    "CKV_GCP_7": "legacy ABAC off",
    "CKV_GCP_8": "cluster monitoring",
    "CKV_GCP_13": "client certificates off",
    "CKV_GCP_18": "control plane not open to 0.0.0.0/0",
    "CKV_GCP_20": "master authorized networks",
    "CKV_GCP_21": "cluster labels",
    "CKV_GCP_23": "VPC-native (alias IPs)",
    "CKV_GCP_25": "private cluster",
    "CKV_GCP_26": "subnetwork flow logs",
    "CKV_GCP_61": "intranode visibility",
    "CKV_GCP_64": "private nodes",
    "CKV_GCP_66": "binary authorization",
    "CKV_GCP_70": "release channel",
    "CKV_GCP_71": "shielded nodes",
    "CKV_GCP_74": "private Google access",
    "CKV_GCP_123": "default node pool removed",
    "CKV2_GCP_18": "network has its own firewall",
    "CKV2_GCP_19": "alpha features off",
    "CKV_GCP_41": "no service account user role",
    "CKV_GCP_117": "no basic roles",
}
STANDARD_EXPECTED_CHECKS = {
    **EXPECTED_CHECKS,
    "CKV_GCP_9": "node auto-repair",
    "CKV_GCP_10": "node auto-upgrade",
    "CKV_GCP_12": "network policy (Dataplane V2)",
    "CKV_GCP_68": "secure boot",
    "CKV_GCP_69": "GKE metadata server",
    "CKV_GCP_72": "integrity monitoring",
}


# --------------------------------------------------------------------------- plans


def _evaluate(stack: str, file: str) -> Plan:
    return evaluate(stack, config_file=STACKS_DIR / file)


@pytest.fixture(scope="module")
def standard() -> Plan:
    return _evaluate("dev", "gcp-standard.yaml")


@pytest.fixture(scope="module")
def autopilot() -> Plan:
    return _evaluate("dev", "gcp-autopilot.yaml")


@pytest.fixture(scope="module")
def prod() -> Plan:
    return _evaluate("prod", "gcp-prod.yaml")


#: A stack name GCP accepts neither in a label value nor in a resource name as it is.
LONG_STACK = "Acme-Platform.Production-Blue"
LONG_CLUSTER = "gcp-northamerica-northeast1"


@pytest.fixture(scope="module")
def long_names() -> Plan:
    """The longest region name, a long stack name with upper case and dots."""
    return _evaluate(LONG_STACK, "gcp-long-names.yaml")


@pytest.fixture(params=["standard", "autopilot"])
def plan(request: pytest.FixtureRequest) -> Plan:
    """Both modes, for the properties they share."""
    return request.getfixturevalue(request.param)


def one(plan: Plan, type_: str, cluster: str) -> Resource:
    found = [r for r in plan.of_type(type_) if plan.cluster_of(r) == cluster]
    assert len(found) == 1, (type_, cluster, [r.name for r in found])
    return found[0]


def of(plan: Plan, type_: str, cluster: str) -> list[Resource]:
    return [r for r in plan.of_type(type_) if plan.cluster_of(r) == cluster]


def component(plan: Plan, cluster: str) -> Resource:
    return one(plan, "multicloud:index:GkeCluster", cluster)


# --------------------------------------------------------------------------- fleet shape


def test_each_region_gets_a_cluster_with_the_whole_app_through_its_own_provider(plan: Plan) -> None:
    assert plan.cluster_names == sorted(CLUSTERS)
    for cluster in CLUSTERS:
        k8s = one(plan, K8S_PROVIDER, cluster)
        assert k8s.parent == component(plan, cluster).urn
        objects = [r for r in plan if r.type in APP_TYPES and plan.cluster_of(r) == cluster]
        assert {r.type for r in objects} == APP_TYPES
        assert {r.provider for r in objects} == {k8s.urn}
        assert plan.outputs["appUrls"][cluster].startswith("http://203.0.113.")


def test_each_region_has_its_own_gcp_provider_with_project_and_region(plan: Plan) -> None:
    for cluster, region in zip(CLUSTERS, REGIONS, strict=True):
        provider = one(plan, GCP_PROVIDER, cluster)
        assert provider.name == f"{cluster}-provider"
        assert provider.parent == component(plan, cluster).urn
        assert provider.inputs["project"] == "acme-dev"
        assert provider.inputs["region"] == region
        gcp_resources = [r for r in plan if r.type.startswith("gcp:") and plan.cluster_of(r) == cluster]
        assert len(gcp_resources) > 10
        assert {r.provider for r in gcp_resources} == {provider.urn}
        assert {r.parent for r in gcp_resources} == {component(plan, cluster).urn}


def test_clusters_of_two_regions_never_depend_on_each_other(plan: Plan) -> None:
    assert plan.cross_cluster_edges() == []


# --------------------------------------------------------------------------- network


def test_network_is_custom_mode_with_a_subnet_of_pod_and_service_ranges_and_private_google_access(plan: Plan) -> None:
    for cluster, region in zip(CLUSTERS, REGIONS, strict=True):
        network = one(plan, NETWORK, cluster)
        assert network.inputs["autoCreateSubnetworks"] is False
        subnet = one(plan, SUBNET, cluster)
        assert subnet.property_dependencies["network"] == [network.urn]
        assert subnet.inputs["region"] == region
        assert subnet.inputs["privateIpGoogleAccess"] is True
        assert subnet.inputs["logConfig"]["metadata"] == "INCLUDE_ALL_METADATA"
        assert {r["rangeName"] for r in subnet.inputs["secondaryIpRanges"]} == {"pods", "services"}
        cluster_res = one(plan, CLUSTER, cluster)
        assert cluster_res.property_dependencies["network"] == [network.urn]
        assert cluster_res.property_dependencies["subnetwork"] == [subnet.urn]
        assert cluster_res.inputs["networkingMode"] == "VPC_NATIVE"
        assert cluster_res.inputs["ipAllocationPolicy"] == {
            "clusterSecondaryRangeName": "pods",
            "servicesSecondaryRangeName": "services",
        }


def test_default_ranges_come_from_fixed_region_slots_and_never_overlap(plan: Plan) -> None:
    networks = []
    for cluster in CLUSTERS:
        subnet = one(plan, SUBNET, cluster)
        networks.append(ipaddress.IPv4Network(subnet.inputs["ipCidrRange"]))
        networks += [ipaddress.IPv4Network(r["ipCidrRange"]) for r in subnet.inputs["secondaryIpRanges"]]
    assert len(networks) == 6
    assert not [(a, b) for i, a in enumerate(networks) for b in networks[i + 1 :] if a.overlaps(b)]
    us = one(plan, SUBNET, "gcp-us-central1")
    assert us.inputs["ipCidrRange"] == "10.176.0.0/20"  # slot 0
    assert {r["rangeName"]: r["ipCidrRange"] for r in us.inputs["secondaryIpRanges"]} == {
        "pods": "10.128.0.0/16",
        "services": "10.180.0.0/20",
    }


def test_every_slotted_region_gets_ranges_that_overlap_no_other_region() -> None:
    raw = _raw(regions=list(GCP_DEFAULT_RANGE_SLOTS))
    config = parse(raw)
    networks = [
        ipaddress.IPv4Network(str(getattr(config.gcp.ranges_of(region), kind)))
        for region in GCP_DEFAULT_RANGE_SLOTS
        for kind in ("subnet", "pods", "services")
    ]
    assert not [(a, b) for i, a in enumerate(networks) for b in networks[i + 1 :] if a.overlaps(b)]


def test_cloud_nat_lets_the_private_nodes_reach_the_internet(plan: Plan) -> None:
    for cluster in CLUSTERS:
        router = one(plan, ROUTER, cluster)
        assert router.property_dependencies["network"] == [one(plan, NETWORK, cluster).urn]
        nat = one(plan, NAT, cluster)
        assert nat.property_dependencies["router"] == [router.urn]
        assert nat.inputs["sourceSubnetworkIpRangesToNat"] == "LIST_OF_SUBNETWORKS"
        assert nat.inputs["subnetworks"][0]["sourceIpRangesToNats"] == ["ALL_IP_RANGES"]
        assert nat.property_dependencies["subnetworks"] == [one(plan, SUBNET, cluster).urn]
        assert nat.inputs["natIpAllocateOption"] == "AUTO_ONLY"
        assert nat.inputs["logConfig"] == {"enable": True, "filter": "ERRORS_ONLY"}


def test_a_logged_deny_all_sits_below_every_gke_firewall_rule(plan: Plan) -> None:
    for cluster in CLUSTERS:
        rule = one(plan, FIREWALL, cluster)
        assert rule.inputs["denies"] == [{"protocol": "all"}]
        assert rule.inputs["direction"] == "INGRESS"
        assert rule.inputs["priority"] == 65534
        assert rule.inputs["logConfig"] == {"metadata": "INCLUDE_ALL_METADATA"}


def test_project_services_are_enabled_per_cluster_and_never_disabled_on_destroy(plan: Plan) -> None:
    for cluster in CLUSTERS:
        services = of(plan, SERVICE, cluster)
        assert {s.inputs["service"] for s in services} == set(PROJECT_SERVICES.values())
        assert {s.inputs["disableOnDestroy"] for s in services} == {False}
        assert {s.inputs["project"] for s in services} == {"acme-dev"}
        by_api = {s.inputs["service"]: s.urn for s in services}
        cluster_res = one(plan, CLUSTER, cluster)
        assert by_api["container.googleapis.com"] in cluster_res.dependencies
        assert by_api["compute.googleapis.com"] in one(plan, NETWORK, cluster).dependencies


# --------------------------------------------------------------------------- cluster


def test_cluster_is_regional_private_and_reachable_only_from_the_authorized_networks(plan: Plan) -> None:
    for cluster, region in zip(CLUSTERS, REGIONS, strict=True):
        inputs = one(plan, CLUSTER, cluster).inputs
        assert inputs["location"] == region
        assert inputs["privateClusterConfig"] == {"enablePrivateNodes": True, "enablePrivateEndpoint": False}
        assert inputs["masterAuthorizedNetworksConfig"] == {
            "cidrBlocks": [{"cidrBlock": "198.51.100.0/24", "displayName": "authorized-0"}],
            "gcpPublicCidrsAccessEnabled": False,
        }
        assert "minMasterVersion" not in inputs and "nodeVersion" not in inputs
        assert inputs["releaseChannel"] == {"channel": "REGULAR"}


def test_cluster_turns_off_legacy_auth_and_turns_on_logging_monitoring_and_maintenance(plan: Plan) -> None:
    inputs = one(plan, CLUSTER, CLUSTERS[0]).inputs
    assert inputs["masterAuth"] == {"clientCertificateConfig": {"issueClientCertificate": False}}
    assert inputs["loggingConfig"] == {"enableComponents": ["SYSTEM_COMPONENTS", "WORKLOADS"]}
    assert inputs["monitoringConfig"]["enableComponents"] == ["SYSTEM_COMPONENTS"]
    assert inputs["monitoringConfig"]["managedPrometheus"] == {"enabled": True}
    assert inputs["maintenancePolicy"] == {
        "recurringWindow": {
            "startTime": "2025-01-04T03:00:00Z",
            "endTime": "2025-01-04T09:00:00Z",
            "recurrence": "FREQ=WEEKLY;BYDAY=SA,SU",
        }
    }
    assert inputs["binaryAuthorization"] == {"evaluationMode": "PROJECT_SINGLETON_POLICY_ENFORCE"}
    assert inputs["enableIntranodeVisibility"] is True
    assert inputs["resourceLabels"]["managed-by"] == "pulumi"


def test_standard_cluster_has_workload_identity_dataplane_v2_shielded_nodes_and_no_abac(standard: Plan) -> None:
    inputs = one(standard, CLUSTER, CLUSTERS[0]).inputs
    assert inputs["workloadIdentityConfig"] == {"workloadPool": "acme-dev.svc.id.goog"}
    assert inputs["datapathProvider"] == "ADVANCED_DATAPATH"
    assert inputs["networkPolicy"] == {"enabled": False}  # Calico off: Dataplane V2 enforces policy
    assert inputs["enableShieldedNodes"] is True
    assert inputs["enableLegacyAbac"] is False
    assert inputs["addonsConfig"]["httpLoadBalancing"] == {"disabled": False}
    assert "enableAutopilot" not in inputs


def test_standard_cluster_removes_the_default_pool_and_ignores_its_drift(standard: Plan) -> None:
    cluster = one(standard, CLUSTER, CLUSTERS[0])
    assert cluster.inputs["removeDefaultNodePool"] is True
    assert cluster.inputs["initialNodeCount"] == 1
    # Even the short-lived default pool runs as the node account, shielded, behind the metadata server.
    account = one(standard, ACCOUNT, CLUSTERS[0])
    assert account.urn in cluster.property_dependencies["nodeConfig"]
    assert cluster.inputs["nodeConfig"]["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}
    assert cluster.inputs["nodeConfig"]["shieldedInstanceConfig"]["enableSecureBoot"] is True
    assert cluster.ignore_changes == ["nodeConfig"]


def test_autopilot_cluster_keeps_network_privacy_and_channel_and_has_no_node_pool(autopilot: Plan) -> None:
    for cluster in CLUSTERS:
        inputs = one(autopilot, CLUSTER, cluster).inputs
        assert inputs["enableAutopilot"] is True
        assert of(autopilot, NODE_POOL, cluster) == []
        for key in ("removeDefaultNodePool", "nodeConfig", "networkPolicy", "enableShieldedNodes"):
            assert key not in inputs, key
        assert inputs["privateClusterConfig"]["enablePrivateNodes"] is True
        assert inputs["releaseChannel"] == {"channel": "REGULAR"}
        assert inputs["ipAllocationPolicy"]["clusterSecondaryRangeName"] == "pods"
        defaults = inputs["clusterAutoscaling"]["autoProvisioningDefaults"]
        assert defaults["serviceAccount"].startswith("gke-nodes-")
        assert (
            one(autopilot, ACCOUNT, cluster).urn
            in one(autopilot, CLUSTER, cluster).property_dependencies["clusterAutoscaling"]
        )
        assert one(autopilot, CLUSTER, cluster).ignore_changes == []


# --------------------------------------------------------------------------- nodes


def test_nodes_run_as_their_own_least_privilege_service_account(plan: Plan) -> None:
    for cluster in CLUSTERS:
        account = one(plan, ACCOUNT, cluster)
        assert 6 <= len(account.inputs["accountId"]) <= 30
        grants = of(plan, IAM_MEMBER, cluster)
        assert {g.inputs["role"] for g in grants} == set(NODE_ROLES.values())
        assert account.inputs["project"] == "acme-dev"
        assert {g.inputs["member"] for g in grants} == {
            f"serviceAccount:{account.inputs['accountId']}@acme-dev.iam.gserviceaccount.com"
        }
        assert {g.inputs["project"] for g in grants} == {"acme-dev"}
        assert all(account.urn in g.property_dependencies["member"] for g in grants)
        assert {g.urn for g in grants} <= set(one(plan, CLUSTER, cluster).dependencies)
    accounts = {one(plan, ACCOUNT, c).inputs["accountId"] for c in CLUSTERS}
    assert len(accounts) == len(CLUSTERS)


def test_node_pool_is_autoscaled_self_healing_shielded_cos_spot_in_dev(standard: Plan) -> None:
    for cluster in CLUSTERS:
        pool = one(standard, NODE_POOL, cluster)
        assert pool.property_dependencies["cluster"] == [one(standard, CLUSTER, cluster).urn]
        assert pool.inputs["autoscaling"]["minNodeCount"] == 1
        assert pool.inputs["autoscaling"]["maxNodeCount"] == 2  # dev profile
        assert pool.inputs["management"] == {"autoRepair": True, "autoUpgrade": True}
        node = pool.inputs["nodeConfig"]
        assert node["machineType"] == "e2-standard-2"  # dev profile
        assert node["spot"] is True
        assert node["imageType"] == "COS_CONTAINERD"
        assert node["shieldedInstanceConfig"] == {"enableSecureBoot": True, "enableIntegrityMonitoring": True}
        assert node["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}
        assert node["serviceAccount"] == one(standard, CLUSTER, cluster).inputs["nodeConfig"]["serviceAccount"]
        assert pool.ignore_changes == ["initialNodeCount"]
        assert {g.urn for g in of(standard, IAM_MEMBER, cluster)} <= set(pool.dependencies)


def test_prod_nodes_are_on_demand_with_the_field_defaults(prod: Plan) -> None:
    node = one(prod, NODE_POOL, "gcp-us-east1").inputs
    assert node["nodeConfig"]["spot"] is False
    assert node["nodeConfig"]["machineType"] == "e2-standard-4"
    assert node["autoscaling"]["maxNodeCount"] == 3


# --------------------------------------------------------------------------- names and labels

#: What GCP accepts as a resource name (RFC 1035) and as a label value.
GCP_NAME = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?\Z")
GCP_LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}\Z")


def _gke_effective_name(resource: Resource) -> str:
    """The name GKE gets: the explicit one, else Pulumi's auto-name (`<logical>-` and seven hex characters)."""
    return str(resource.inputs.get("name") or f"{resource.name}-0123abc")


def test_cluster_and_node_pool_names_fit_gkes_40_characters_in_every_slotted_region() -> None:
    for region in GCP_DEFAULT_RANGE_SLOTS:
        for role in ("cluster", "nodes"):
            logical = f"gcp-{region}-{role}"
            name = _gke_name(logical) or f"{logical}-0123abc"
            assert len(name) <= GKE_NAME_LIMIT and GCP_NAME.match(name), name


def test_the_longest_region_gets_fixed_gke_names_and_the_others_keep_their_auto_names(
    long_names: Plan, standard: Plan
) -> None:
    for type_ in (CLUSTER, NODE_POOL):
        name = _gke_effective_name(one(long_names, type_, LONG_CLUSTER))
        assert len(name) <= GKE_NAME_LIMIT and GCP_NAME.match(name), name
        for cluster in CLUSTERS:  # a rename would replace existing clusters
            assert "name" not in one(standard, type_, cluster).inputs, (type_, cluster)


def test_a_fixed_node_pool_name_changes_with_the_settings_that_replace_the_pool() -> None:
    logical = f"{LONG_CLUSTER}-nodes"
    names = {
        _gke_name(logical, "e2-standard-4", 100, False),
        _gke_name(logical, "e2-standard-8", 100, False),
        _gke_name(logical, "e2-standard-4", 100, True),
    }
    assert len(names) == 3  # so the replacement is created before the old pool goes


def test_long_cloud_names_are_cut_but_keep_what_tells_them_apart() -> None:
    first, second = (_cloud_name(f"{LONG_CLUSTER}-{'x' * 30}", f"cert-{h}") for h in ("aaaaaaaa", "bbbbbbbb"))
    assert first != second
    assert len(first) <= 63 and GCP_NAME.match(first), first


def test_names_and_labels_are_valid_for_a_stack_name_with_upper_case_and_dots(long_names: Plan) -> None:
    # A provider's inputs are recorded as JSON text.
    default_labels = json.loads(one(long_names, GCP_PROVIDER, LONG_CLUSTER).inputs["defaultLabels"])
    assert default_labels["stack"] == "acme-platform-production-blue"
    cluster = one(long_names, CLUSTER, LONG_CLUSTER)
    for labels in (default_labels, cluster.inputs["resourceLabels"]):
        assert all(GCP_LABEL_VALUE.match(value) for value in labels.values()), labels
    for type_ in (ADDRESS, CERTIFICATE):
        name = one(long_names, type_, LONG_CLUSTER).inputs["name"]
        assert len(name) <= 63 and GCP_NAME.match(name), name


# --------------------------------------------------------------------------- protection


def test_dev_is_neither_deletion_protected_nor_pulumi_protected(plan: Plan) -> None:
    assert [r.name for r in plan if r.protect] == []
    assert {one(plan, CLUSTER, c).inputs["deletionProtection"] for c in CLUSTERS} == {False}


def test_prod_protects_cluster_network_subnet_and_static_ip(prod: Plan) -> None:
    cluster = "gcp-us-east1"
    assert one(prod, CLUSTER, cluster).inputs["deletionProtection"] is True
    protected = {r.type for r in prod if r.protect and prod.cluster_of(r) == cluster}
    assert {CLUSTER, NETWORK, SUBNET, ADDRESS} <= protected
    assert one(prod, CLUSTER, cluster).inputs["releaseChannel"] == {"channel": "STABLE"}


# --------------------------------------------------------------------------- kubeconfig and app


def test_kubeconfig_is_a_secret_exec_plugin_config_from_stable_fields(plan: Plan) -> None:
    for cluster in CLUSTERS:
        provider = one(plan, K8S_PROVIDER, cluster)
        assert "kubeconfig" in provider.secret_paths
        assert provider.inputs["clusterIdentifier"] == f"gke/acme-dev/{cluster.removeprefix('gcp-')}/{cluster}"
        kubeconfig = json.loads(provider.inputs["kubeconfig"])
        (entry,) = kubeconfig["clusters"]
        assert entry["cluster"]["server"].startswith("https://203.0.113.")
        assert entry["cluster"]["certificate-authority-data"] == FAKE_CA_DATA
        (user,) = kubeconfig["users"]
        assert user["user"]["exec"]["command"] == "gke-gcloud-auth-plugin"
        assert "token" not in user["user"]
        assert kubeconfig["current-context"] == cluster
        assert one(plan, CLUSTER, cluster).urn in provider.property_dependencies["kubeconfig"]
    assert "kubeconfigs" in plan.secret_outputs


def test_an_app_only_change_leaves_the_clusters_and_their_providers_untouched(standard: Plan, tmp_path: Path) -> None:
    text = (STACKS_DIR / "gcp-standard.yaml").read_text()
    changed = text.replace("name: hello", "name: other").replace("port: 9898", "port: 9000")
    assert changed != text
    stack = tmp_path / "Pulumi.dev.yaml"
    stack.write_text(changed)
    after = evaluate("dev", config_file=stack)
    for cluster in CLUSTERS:
        for type_ in (K8S_PROVIDER, CLUSTER, NODE_POOL, GCP_PROVIDER):
            assert one(after, type_, cluster).inputs == one(standard, type_, cluster).inputs, type_


def test_app_waits_for_the_node_pool_in_standard_mode(standard: Plan) -> None:
    for cluster in CLUSTERS:
        pool = one(standard, NODE_POOL, cluster)
        for type_ in ("kubernetes:core/v1:Namespace", "kubernetes:apps/v1:Deployment", INGRESS):
            assert pool.urn in one(standard, type_, cluster).dependencies, type_


def test_app_waits_for_the_cluster_in_autopilot_mode(autopilot: Plan) -> None:
    for cluster in CLUSTERS:
        namespace = one(autopilot, "kubernetes:core/v1:Namespace", cluster)
        assert one(autopilot, CLUSTER, cluster).urn in namespace.dependencies


def test_ingress_uses_gke_ingress_with_neg_and_admits_only_google_front_ends(plan: Plan) -> None:
    for cluster in CLUSTERS:
        ingress = one(plan, INGRESS, cluster)
        assert ingress.inputs["metadata"]["annotations"] == {"kubernetes.io/ingress.class": "gce"}
        assert "ingressClassName" not in ingress.inputs["spec"]  # GKE selects its controller by the annotation
        service = one(plan, "kubernetes:core/v1:Service", cluster)
        assert service.inputs["spec"]["type"] == "ClusterIP"
        assert json.loads(service.inputs["metadata"]["annotations"]["cloud.google.com/neg"]) == {"ingress": True}
        policy = one(plan, "kubernetes:networking.k8s.io/v1:NetworkPolicy", cluster)
        peers = policy.inputs["spec"]["ingress"][0]["from"]
        assert peers == [{"ipBlock": {"cidr": cidr}} for cidr in GOOGLE_FRONT_END_RANGES]
        assert of(plan, ADDRESS, cluster) == [] and of(plan, CERTIFICATE, cluster) == []  # dev profile: none


def test_prod_ingress_gets_a_reserved_static_ip_and_a_google_managed_certificate(prod: Plan) -> None:
    cluster = "gcp-us-east1"
    annotations = one(prod, INGRESS, cluster).inputs["metadata"]["annotations"]
    address = one(prod, ADDRESS, cluster)
    certificate = one(prod, CERTIFICATE, cluster)
    assert address.inputs["name"] == "gcp-us-east1-prod-ingress"
    assert address.inputs["addressType"] == "EXTERNAL"
    assert annotations["kubernetes.io/ingress.global-static-ip-name"] == address.inputs["name"]
    assert certificate.inputs["managed"] == {"domains": ["hello.example.com"]}
    assert certificate.inputs["name"].startswith("gcp-us-east1-prod-cert-")
    assert annotations["ingress.gcp.kubernetes.io/pre-shared-cert"] == certificate.inputs["name"]
    ingress = one(prod, INGRESS, cluster)
    assert {address.urn, certificate.urn, one(prod, NODE_POOL, cluster).urn} <= set(ingress.dependencies)
    assert prod.outputs["appUrls"][cluster] == "https://hello.example.com"


# --------------------------------------------------------------------------- config errors


APP = {
    "name": "hello",
    "image": "ghcr.io/acme/hello:1.0.0@sha256:" + "a" * 64,
}


def _raw(environment: str = "dev", app: dict[str, Any] | None = None, **gcp: Any) -> dict[str, Any]:
    settings = {
        "enabled": True,
        "project": "acme-dev",
        "regions": list(REGIONS),
        "masterAuthorizedCidrs": ["198.51.100.0/24"],
        **gcp,
    }
    return {"environment": environment, "gcp": settings, "app": copy.deepcopy(app or APP)}


def _drop(raw: dict[str, Any], key: str) -> dict[str, Any]:
    raw["gcp"].pop(key)
    return raw


BAD_CONFIG = {
    "missing project": (_drop(_raw(), "project"), "gcp.project", "required when gcp.enabled"),
    "bad project id": (_raw(project="Acme"), "gcp.project", "project id"),
    "project id with a trailing newline": (_raw(project="acme-dev\n"), "gcp.project", "project id"),
    "unknown mode": (_raw(mode="serverless"), "gcp.mode", "autopilot"),
    "unknown channel": (_raw(releaseChannel="NIGHTLY"), "gcp.releaseChannel", "REGULAR"),
    "overlapping ranges across regions": (
        _raw(ranges={"europe-west1": {"pods": "10.128.0.0/14"}}),
        "gcp.ranges.europe-west1.pods",
        "must not overlap gcp.ranges.us-central1.pods",
    ),
    "overlapping ranges in one region": (
        _raw(ranges={"us-central1": {"services": "10.176.0.0/24"}}),
        "gcp.ranges.us-central1.services",
        "must not overlap gcp.ranges.us-central1.subnet",
    ),
    "public range": (_raw(ranges={"us-central1": {"pods": "8.8.0.0/16"}}), "gcp.ranges.us-central1.pods", "private"),
    "ranges of a region not in the list": (
        _raw(ranges={"asia-east1": {"pods": "10.60.0.0/16"}}),
        "gcp.ranges.asia-east1",
        "names no region",
    ),
    "region without default ranges": (_raw(regions=["mars-north1"]), "gcp.ranges.mars-north1", "no default ranges"),
    "0.0.0.0/0 in prod": (
        _raw("prod", masterAuthorizedCidrs=["0.0.0.0/0"]),
        "gcp.masterAuthorizedCidrs",
        "must not contain 0.0.0.0/0 in prod",
    ),
    "no authorized networks in prod": (
        _raw("prod", masterAuthorizedCidrs=[]),
        "gcp.masterAuthorizedCidrs",
        "required in prod",
    ),
    "bad cidr": (_raw(masterAuthorizedCidrs=["10.0.0.1/8"]), "gcp.masterAuthorizedCidrs", "CIDR"),
    "min above max": (_raw(nodes={"minPerZone": 5, "maxPerZone": 2}), "gcp.nodes.minPerZone", "maxPerZone"),
    "window ends before it starts": (
        _raw(maintenanceWindow={"start": "2025-01-04T09:00:00Z", "end": "2025-01-04T03:00:00Z"}),
        "gcp.maintenanceWindow.end",
        "after",
    ),
    "certificate without host": (_raw(managedCertificate=True), "gcp.managedCertificate", "needs app.host"),
    "unknown key": (_raw(releaseChanel="STABLE"), "gcp.releaseChanel", "did you mean 'releaseChannel'"),
}


@pytest.mark.parametrize("case", BAD_CONFIG)
def test_bad_gcp_config_is_a_config_error_naming_the_key(case: str) -> None:
    raw, path, message = BAD_CONFIG[case]
    with pytest.raises(ConfigError) as error:
        parse(raw)
    matching = [issue for issue in error.value.issues if issue.path == path]
    assert matching, [str(issue) for issue in error.value.issues]
    assert any(message in str(issue) for issue in matching), [str(issue) for issue in matching]


def test_prod_with_named_networks_and_explicit_ranges_is_valid() -> None:
    raw = _raw("prod", ranges={"us-central1": {"subnet": "10.1.0.0/20", "pods": "10.2.0.0/16"}})
    config = parse(raw)
    ranges = config.gcp.ranges_of("us-central1")
    assert ranges is not None
    assert (ranges.subnet, ranges.pods, ranges.services) == ("10.1.0.0/20", "10.2.0.0/16", "10.180.0.0/20")


def test_a_bad_gcp_config_registers_no_resource(tmp_path: Path) -> None:
    text = (STACKS_DIR / "gcp-standard.yaml").read_text().replace("project: acme-dev", "project: Acme")
    stack = tmp_path / "Pulumi.dev.yaml"
    stack.write_text(text)
    recorded = Plan(stack="dev")
    with pytest.raises(ConfigError, match=r"gcp\.project"):
        evaluate("dev", config_file=stack, into=recorded)
    assert [r for r in recorded if r.type != "pulumi:pulumi:Stack"] == []


# --------------------------------------------------------------------------- checkov


def test_translation_covers_every_recorded_gcp_resource_and_renamed_block(standard: Plan, prod: Plan) -> None:
    recorded = {r.type for p in (standard, prod) for r in p if r.type.startswith("gcp:")}
    assert recorded == set(TF_TYPES)
    doc = to_terraform_plan(prod, TF_TYPES, TF_RENAMES)
    values = {r["type"]: r["values"] for r in doc["planned_values"]["root_module"]["resources"]}
    subnet = values["google_compute_subnetwork"]
    assert {r["range_name"] for r in subnet["secondary_ip_range"]} == {"pods", "services"}
    nat = values["google_compute_router_nat"]
    assert nat["subnetwork"][0]["source_ip_ranges_to_nat"] == ["ALL_IP_RANGES"]
    assert values["google_compute_firewall"]["deny"] == [{"protocol": "all"}]
    cluster = values["google_container_cluster"]
    assert cluster["master_authorized_networks_config"][0]["cidr_blocks"][0]["cidr_block"] == "198.51.100.0/24"


def _scan(plan: Plan, directory: Path, skips: dict[str, str]) -> subprocess.Popen[str]:
    directory.mkdir()
    path = directory / "tfplan.json"
    path.write_text(json.dumps(to_terraform_plan(plan, TF_TYPES, TF_RENAMES)))
    return checkov.start("terraform_plan", ["-f", str(path)], skips)


def _report(process: subprocess.Popen[str]) -> dict[str, Any]:
    return checkov.results(process, "terraform_plan")


def test_checkov_terraform_plan_scan_is_clean_and_ran_the_gke_checks(
    standard: Plan, autopilot: Plan, tmp_path: Path
) -> None:
    scans = {
        "standard": (_scan(standard, tmp_path / "standard", SKIP_CHECKS), STANDARD_EXPECTED_CHECKS),
        "autopilot": (
            _scan(autopilot, tmp_path / "autopilot", {**SKIP_CHECKS, **AUTOPILOT_SKIP_CHECKS}),
            EXPECTED_CHECKS,
        ),
    }
    for mode, (process, expected) in scans.items():
        results = _report(process)
        failed = [(c["check_id"], c["resource"]) for c in results["failed_checks"]]
        assert failed == [], mode
        passed: dict[str, set[str]] = {}
        for check in results["passed_checks"]:
            passed.setdefault(check["check_id"], set()).add(check["resource"])
        missing = sorted(set(expected) - set(passed))
        assert missing == [], f"{mode}: expected checks did not run: {missing}"
        clusters = {f"google_container_cluster.{c}-cluster" for c in CLUSTERS}
        assert passed["CKV_GCP_20"] == clusters, mode
        skipped = {c["check_id"] for c in results["skipped_checks"]}
        assert skipped <= set(SKIP_CHECKS) | set(AUTOPILOT_SKIP_CHECKS), mode
