"""AksCluster on the recorded graph: standard and Automatic, network, identity, upgrades, kubeconfig, app on top.

Two stack files drive it: tests/stacks/azure-standard.yaml (prod, standard
mode, two regions) and tests/stacks/azure-automatic.yaml (dev, AKS Automatic,
one region). The recorded ManagedCluster, pools and network are wrapped as an
ARM template and scanned by checkov, which must run the AKS checks and fail
none but the few accepted below with their reasons.
"""

from __future__ import annotations

import ipaddress
import json
import re
from pathlib import Path
from typing import Any

import pytest

from components.azure import AKS_AAD_SERVER_ID, NETWORK_CONTRIBUTOR_ROLE
from stacks.config import ConfigError, parse
from tests import checkov
from tests.conftest import write_stack
from tools.armtemplate import AZURE_TYPES, api_version, to_arm_template
from tools.engine import Plan, Resource, evaluate
from tools.mocks import FAKE_CA_DATA

STACKS_DIR = Path(__file__).parent / "stacks"
STANDARD = STACKS_DIR / "azure-standard.yaml"
AUTOMATIC = STACKS_DIR / "azure-automatic.yaml"
GROUP = "11111111-2222-4333-8444-555555555555"

CLUSTER = "azure-native:containerservice:ManagedCluster"
POOL = "azure-native:containerservice:AgentPool"
MAINTENANCE = "azure-native:containerservice:MaintenanceConfiguration"
VNET = "azure-native:network:VirtualNetwork"
SUBNET = "azure-native:network:Subnet"
GROUP_TYPE = "azure-native:resources:ResourceGroup"
WORKSPACE = "azure-native:operationalinsights:Workspace"
RULE = "azure-native:monitor:DataCollectionRule"
RULE_ASSOCIATION = "azure-native:monitor:DataCollectionRuleAssociation"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
AZURE_PROVIDER = "pulumi:providers:azure-native"
K8S_PROVIDER = "pulumi:providers:kubernetes"
COMPONENT = "multicloud:index:AksCluster"

#: checkov checks accepted on purpose, by mode: check id -> why.
ACCEPTED_FAILURES: dict[str, dict[str, str]] = {
    "standard": {
        "CKV_AZURE_8": "the Kubernetes dashboard add-on was retired by AKS (1.19+): there is no add-on to disable",
        "CKV_AZURE_172": "secret rotation is on (`enableSecretRotation: 'true'`); AKS add-on config values are "
        "strings and the check compares with a JSON boolean",
    },
    "automatic": {
        "CKV_AZURE_8": "the Kubernetes dashboard add-on was retired by AKS (1.19+): there is no add-on to disable",
        "CKV_AZURE_172": "secret rotation is on (`enableSecretRotation: 'true'`); AKS add-on config values are "
        "strings and the check compares with a JSON boolean",
        "CKV_AZURE_7": "AKS Automatic enforces Azure CNI Overlay with Cilium network policy; the component leaves "
        "the network profile to the SKU",
        "CKV_AZURE_168": "AKS Automatic sizes its system pool (Overlay: 250 pods a node); not set by the component",
        "CKV_AZURE_226": "AKS Automatic chooses the system pool's VM size and OS disk; not set by the component",
        "CKV_AZURE_227": "AKS Automatic chooses the system pool's VM and disk settings; not set by the component",
    },
}
#: AKS checks (checkov/arm/checks/resource/AKS*.py) that must have PASSED, by mode.
EXPECTED_PASSES = {
    "standard": {
        "CKV_AZURE_4",
        "CKV_AZURE_5",
        "CKV_AZURE_6",
        "CKV_AZURE_7",
        "CKV_AZURE_141",
        "CKV_AZURE_168",
        "CKV_AZURE_169",
        "CKV_AZURE_171",
        "CKV_AZURE_226",
        "CKV_AZURE_227",
    },
    "automatic": {"CKV_AZURE_4", "CKV_AZURE_5", "CKV_AZURE_6", "CKV_AZURE_141", "CKV_AZURE_169", "CKV_AZURE_171"},
}

_PLANS: dict[Path, Plan] = {}


def _plan(path: Path) -> Plan:
    if path not in _PLANS:
        _PLANS[path] = evaluate("azure", config_file=path)
    return _PLANS[path]


@pytest.fixture(scope="module")
def dev_standard(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    """Standard mode in dev: the profile's small pools and the Free tier."""
    raw = {
        "environment": "dev",
        "azure": {"enabled": True, "mode": "standard", "regions": ["westeurope"], "adminGroupObjectIds": [GROUP]},
        "app": {"name": "hello", "image": "ghcr.io/acme/hello:1.4.2"},
    }
    return _plan(write_stack(tmp_path_factory.mktemp("azure-dev"), raw))


@pytest.fixture(scope="module")
def standard() -> Plan:
    return _plan(STANDARD)


@pytest.fixture(scope="module")
def automatic() -> Plan:
    return _plan(AUTOMATIC)


def _of(plan: Plan, type_: str, cluster: str) -> list[Resource]:
    return [r for r in plan.of_type(type_) if plan.cluster_of(r) == cluster]


def _one(plan: Plan, type_: str, cluster: str) -> Resource:
    found = _of(plan, type_, cluster)
    assert len(found) == 1, (type_, cluster, [r.name for r in found])
    return found[0]


def _depends_on(plan: Plan, resource: Resource, target: Resource) -> bool:
    """Whether `resource` reaches `target` through dependencies, parents' dependencies or providers."""
    seen: set[str] = set()
    todo = [resource.urn]
    while todo:
        urn = todo.pop()
        if urn == target.urn:
            return True
        if urn in seen:
            continue
        seen.add(urn)
        todo.extend(plan.by_urn(urn).edges)
    return False


# --------------------------------------------------------------------------- fleet shape


REGIONS = {"standard": {"eastus", "westeurope"}, "automatic": {"westeurope", "swedencentral"}}


@pytest.mark.parametrize("mode", ["standard", "automatic"])
def test_two_regions_give_two_independent_clusters_each_in_its_own_resource_group(
    standard: Plan, automatic: Plan, mode: str
) -> None:
    plan = standard if mode == "standard" else automatic
    assert set(plan.cluster_names) == {f"azure-{r}" for r in REGIONS[mode]}
    groups = {c: _one(plan, GROUP_TYPE, c) for c in plan.cluster_names}
    assert {g.inputs["location"] for g in groups.values()} == REGIONS[mode]
    for cluster in plan.cluster_names:
        aks = _one(plan, CLUSTER, cluster)
        assert aks.inputs["location"] == cluster.removeprefix("azure-")
        assert aks.inputs["resourceGroupName"] == groups[cluster].name
        assert groups[cluster].urn in aks.property_dependencies["resourceGroupName"]
    assert plan.cross_cluster_edges() == []


@pytest.mark.parametrize("mode", ["standard", "automatic"])
def test_each_cluster_has_its_own_explicit_azure_provider_for_its_region(
    standard: Plan, automatic: Plan, mode: str
) -> None:
    plan = standard if mode == "standard" else automatic
    providers = {c: _one(plan, AZURE_PROVIDER, c) for c in plan.cluster_names}
    assert len({p.urn for p in providers.values()}) == 2
    for cluster, provider in providers.items():
        assert provider.inputs["location"] == cluster.removeprefix("azure-")
        azure_resources = [r for r in plan if r.type.startswith("azure-native:") and plan.cluster_of(r) == cluster]
        assert len(azure_resources) >= (10 if mode == "standard" else 6)
        assert {r.provider for r in azure_resources} == {provider.urn}, cluster
        assert {r.parent for r in azure_resources} == {_one(plan, COMPONENT, cluster).urn}, cluster


def test_the_provider_takes_the_configured_subscription(standard: Plan) -> None:
    for provider in standard.of_type(AZURE_PROVIDER):
        assert provider.inputs["subscriptionId"] == "00000000-0000-0000-0000-000000000000"


def test_every_child_is_named_with_the_cluster_key_and_parented_under_the_component(standard: Plan) -> None:
    for cluster in standard.cluster_names:
        component = _one(standard, COMPONENT, cluster)
        assert component.name == cluster
        children = standard.children(component.urn)
        assert children
        assert all(c.name.startswith(f"{cluster}-") for c in children)
        for type_ in (GROUP_TYPE, VNET, SUBNET, CLUSTER, POOL, WORKSPACE, RULE, RULE_ASSOCIATION, ROLE_ASSIGNMENT):
            assert _one(standard, type_, cluster).parent == component.urn, type_
        assert len(_of(standard, MAINTENANCE, cluster)) == 2


def test_subscription_falls_back_to_the_environment_when_not_configured(automatic: Plan) -> None:
    provider = _one(automatic, AZURE_PROVIDER, "azure-westeurope")
    assert "subscriptionId" not in provider.inputs
    assert provider.inputs["location"] == "westeurope"


# --------------------------------------------------------------------------- network


def test_vnet_and_node_subnet_take_fixed_non_overlapping_per_region_defaults(standard: Plan) -> None:
    ranges = {}
    for cluster in standard.cluster_names:
        vnet, subnet = _one(standard, VNET, cluster), _one(standard, SUBNET, cluster)
        (prefix,) = vnet.inputs["addressSpace"]["addressPrefixes"]
        network, nodes = ipaddress.IPv4Network(prefix), ipaddress.IPv4Network(subnet.inputs["addressPrefix"])
        assert network.prefixlen == 16 and network.is_private
        assert nodes.subnet_of(network) and nodes.prefixlen == 20
        assert vnet.urn in subnet.property_dependencies["virtualNetworkName"]
        assert subnet.inputs["defaultOutboundAccess"] is False
        assert vnet.ignore_changes == ["subnets"], "the separately managed subnet must survive VNet updates"
        ranges[cluster] = network
    assert ranges == {
        "azure-eastus": ipaddress.IPv4Network("10.64.0.0/16"),
        "azure-westeurope": ipaddress.IPv4Network("10.78.0.0/16"),
    }


def test_standard_cluster_uses_azure_cni_overlay_with_cilium_and_a_standard_load_balancer(standard: Plan) -> None:
    profile = _one(standard, CLUSTER, "azure-westeurope").inputs["networkProfile"]
    assert profile == {
        "networkPlugin": "azure",
        "networkPluginMode": "overlay",
        "networkDataplane": "cilium",
        "networkPolicy": "cilium",
        "loadBalancerSku": "standard",
        "outboundType": "loadBalancer",
        "podCidr": "10.244.0.0/16",
        "serviceCidr": "10.0.0.0/16",
        "dnsServiceIP": "10.0.0.10",
    }


def test_cluster_identity_may_manage_its_node_subnet(standard: Plan) -> None:
    for cluster in standard.cluster_names:
        aks, subnet = _one(standard, CLUSTER, cluster), _one(standard, SUBNET, cluster)
        assignment = _one(standard, ROLE_ASSIGNMENT, cluster)
        subnet_id = assignment.inputs["scope"]
        assert subnet_id.startswith("/subscriptions/") and subnet_id.endswith(f"/subnets/{subnet.name}")
        assert subnet.urn in assignment.property_dependencies["scope"]
        assert assignment.inputs["roleDefinitionId"] == (
            "/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/"
            f"roleDefinitions/{NETWORK_CONTRIBUTOR_ROLE}"
        )
        assert assignment.inputs["principalType"] == "ServicePrincipal"
        assert re.fullmatch(r"[0-9a-f-]{36}", assignment.inputs["principalId"])
        assert aks.urn in assignment.property_dependencies["principalId"]
        assert assignment.urn in _one(standard, POOL, cluster).dependencies, "the pool joins the subnet after the grant"


# --------------------------------------------------------------------------- cluster


@pytest.mark.parametrize("mode", ["standard", "automatic"])
def test_entra_id_with_azure_rbac_admin_groups_and_no_local_accounts(
    standard: Plan, automatic: Plan, mode: str
) -> None:
    plan = standard if mode == "standard" else automatic
    inputs = _one(plan, CLUSTER, "azure-westeurope").inputs
    assert inputs["identity"] == {"type": "SystemAssigned"}
    assert "servicePrincipalProfile" not in inputs, "never a service principal with a password"
    assert inputs["aadProfile"] == {"managed": True, "enableAzureRBAC": True, "adminGroupObjectIDs": [GROUP]}
    assert inputs["disableLocalAccounts"] is True
    assert inputs["enableRBAC"] is True


@pytest.mark.parametrize("mode", ["standard", "automatic"])
def test_api_server_is_limited_to_the_authorized_ranges(standard: Plan, automatic: Plan, mode: str) -> None:
    plan = standard if mode == "standard" else automatic
    expected = ["203.0.113.0/24", "198.51.100.0/24"] if mode == "standard" else ["203.0.113.0/24"]
    inputs = _one(plan, CLUSTER, "azure-westeurope").inputs
    assert inputs["apiServerAccessProfile"] == {"authorizedIPRanges": expected}


def test_standard_cluster_has_oidc_workload_identity_image_cleaner_and_app_routing(standard: Plan) -> None:
    inputs = _one(standard, CLUSTER, "azure-westeurope").inputs
    assert inputs["oidcIssuerProfile"] == {"enabled": True}
    assert inputs["securityProfile"] == {
        "workloadIdentity": {"enabled": True},
        "imageCleaner": {"enabled": True, "intervalHours": 168},
    }
    assert inputs["ingressProfile"] == {"webAppRouting": {"enabled": True}}
    assert inputs["addonProfiles"]["azurepolicy"] == {"enabled": True}
    assert inputs["kubernetesVersion"] == "1.35"
    assert inputs["dnsPrefix"] == "azure-westeurope"


@pytest.mark.parametrize("mode", ["standard", "automatic"])
def test_auto_upgrade_channels_each_get_a_maintenance_window(standard: Plan, automatic: Plan, mode: str) -> None:
    plan = standard if mode == "standard" else automatic
    aks = _one(plan, CLUSTER, "azure-westeurope")
    assert aks.inputs["autoUpgradeProfile"] == {"upgradeChannel": "stable", "nodeOSUpgradeChannel": "NodeImage"}
    windows = {m.inputs["configName"]: m for m in _of(plan, MAINTENANCE, "azure-westeurope")}
    assert set(windows) == {"aksManagedAutoUpgradeSchedule", "aksManagedNodeOSUpgradeSchedule"}
    for window in windows.values():
        assert window.inputs["maintenanceWindow"] == {
            "schedule": {"weekly": {"dayOfWeek": "Sunday", "intervalWeeks": 1}},
            "durationHours": 4,
            "startTime": "02:00",
            "utcOffset": "+00:00",
        }
        assert aks.urn in window.property_dependencies["resourceName"]


@pytest.mark.parametrize(("mode", "retention"), [("standard", 90), ("automatic", 30)])
def test_container_insights_sends_to_a_log_analytics_workspace_with_retention(
    standard: Plan, automatic: Plan, mode: str, retention: int
) -> None:
    plan = standard if mode == "standard" else automatic
    cluster = "azure-westeurope"
    aks, workspace = _one(plan, CLUSTER, cluster), _one(plan, WORKSPACE, cluster)
    assert workspace.inputs["retentionInDays"] == retention
    assert workspace.inputs["sku"] == {"name": "PerGB2018"}
    omsagent = aks.inputs["addonProfiles"]["omsagent"]
    assert omsagent["enabled"] is True
    assert omsagent["config"]["useAADAuth"] == "true"
    assert omsagent["config"]["logAnalyticsWorkspaceResourceID"].endswith(
        f"/Microsoft.OperationalInsights/workspaces/{workspace.name}"
    )
    assert workspace.urn in aks.property_dependencies["addonProfiles"], "the add-on takes the workspace's own id"
    rule, association = _one(plan, RULE, cluster), _one(plan, RULE_ASSOCIATION, cluster)
    assert (
        rule.inputs["destinations"]["logAnalytics"][0]["workspaceResourceId"]
        == omsagent["config"]["logAnalyticsWorkspaceResourceID"]
    )
    assert rule.inputs["dataSources"]["extensions"][0]["extensionName"] == "ContainerInsights"
    assert association.inputs["resourceUri"].endswith(f"/managedClusters/{aks.name}")
    assert aks.urn in association.property_dependencies["resourceUri"]
    assert rule.urn in association.property_dependencies["dataCollectionRuleId"]


@pytest.mark.parametrize("mode", ["standard", "automatic"])
def test_the_upgrade_channel_owns_the_kubernetes_version_after_creation(
    standard: Plan, automatic: Plan, mode: str
) -> None:
    """`kubernetesVersion` only chooses the version at creation: once the `stable` channel has
    upgraded the cluster and its pools, a refresh reads the new version back and Pulumi must not
    send the old one again (AKS refuses a downgrade: Azure/terraform-azurerm-aks#335,
    pulumi/pulumi-azure-native#2059). Pools never pin a version: they follow the control plane."""
    plan = standard if mode == "standard" else automatic
    for cluster in plan.cluster_names:
        aks = _one(plan, CLUSTER, cluster)
        assert aks.inputs["autoUpgradeProfile"]["upgradeChannel"] == "stable"
        assert {"kubernetesVersion", "agentPoolProfiles[*].orchestratorVersion"} <= set(aks.ignore_changes)
        pools = [*aks.inputs["agentPoolProfiles"], *(p.inputs for p in _of(plan, POOL, cluster))]
        assert all("orchestratorVersion" not in pool for pool in pools), "pools follow the control plane"
        for pool in _of(plan, POOL, cluster):
            assert "orchestratorVersion" in pool.ignore_changes, pool.name


def test_secrets_store_driver_rotates_secrets(standard: Plan) -> None:
    addon = _one(standard, CLUSTER, "azure-westeurope").inputs["addonProfiles"]["azureKeyvaultSecretsProvider"]
    assert addon == {"enabled": True, "config": {"enableSecretRotation": "true", "rotationPollInterval": "2m"}}


def test_sku_tier_is_standard_in_prod_and_free_in_dev(standard: Plan, dev_standard: Plan) -> None:
    assert _one(standard, CLUSTER, "azure-westeurope").inputs["sku"] == {"name": "Base", "tier": "Standard"}
    assert _one(dev_standard, CLUSTER, "azure-westeurope").inputs["sku"] == {"name": "Base", "tier": "Free"}


# --------------------------------------------------------------------------- node pools


def test_system_pool_is_tainted_zonal_azure_linux_and_autoscaling(standard: Plan) -> None:
    aks, subnet = _one(standard, CLUSTER, "azure-westeurope"), _one(standard, SUBNET, "azure-westeurope")
    (pool,) = aks.inputs["agentPoolProfiles"]
    assert pool == {
        "name": "system",
        "mode": "System",
        "type": "VirtualMachineScaleSets",
        "nodeTaints": ["CriticalAddonsOnly=true:NoSchedule"],
        "vmSize": "Standard_D4ds_v5",
        "count": 3,
        "minCount": 3,
        "maxCount": 5,
        "enableAutoScaling": True,
        "availabilityZones": ["1", "2", "3"],
        "osType": "Linux",
        "osSKU": "AzureLinux",
        "osDiskType": "Ephemeral",
        "osDiskSizeGB": 128,
        "enableEncryptionAtHost": True,
        "maxPods": 110,
        "vnetSubnetID": pool["vnetSubnetID"],
        "upgradeSettings": {"maxSurge": "33%"},
    }
    assert pool["vnetSubnetID"].endswith(f"/subnets/{subnet.name}")
    assert "agentPoolProfiles[*].count" in aks.ignore_changes, "the autoscaler owns the node count"


def test_user_pool_is_a_separate_autoscaling_pool_in_the_node_subnet(standard: Plan) -> None:
    aks, subnet = _one(standard, CLUSTER, "azure-westeurope"), _one(standard, SUBNET, "azure-westeurope")
    pool = _one(standard, POOL, "azure-westeurope")
    inputs = pool.inputs
    assert inputs["agentPoolName"] == "user"
    assert inputs["mode"] == "User"
    assert "nodeTaints" not in inputs
    assert (inputs["minCount"], inputs["maxCount"], inputs["count"]) == (3, 10, 3)
    assert inputs["enableAutoScaling"] is True
    assert inputs["availabilityZones"] == ["1", "2", "3"]
    assert (inputs["osSKU"], inputs["osDiskType"], inputs["upgradeSettings"]) == (
        "AzureLinux",
        "Ephemeral",
        {"maxSurge": "33%"},
    )
    assert aks.urn in pool.property_dependencies["resourceName"]
    assert subnet.urn in pool.property_dependencies["vnetSubnetID"]
    assert "count" in pool.ignore_changes, "the autoscaler owns the node count"


def test_pool_sizes_follow_the_environment_profile(dev_standard: Plan) -> None:
    (system,) = _one(dev_standard, CLUSTER, "azure-westeurope").inputs["agentPoolProfiles"]
    user = _one(dev_standard, POOL, "azure-westeurope").inputs
    for pool in (system, user):
        assert (pool["vmSize"], pool["minCount"], pool["maxCount"], pool["osDiskSizeGB"]) == (
            "Standard_D2ds_v5",
            1,
            3,
            64,
        )


# --------------------------------------------------------------------------- automatic


def test_automatic_mode_uses_the_automatic_sku_and_leaves_what_it_manages_to_it(automatic: Plan) -> None:
    aks = _one(automatic, CLUSTER, "azure-westeurope")
    inputs = aks.inputs
    assert inputs["sku"] == {"name": "Automatic", "tier": "Standard"}
    assert inputs["agentPoolProfiles"] == [{"name": "systempool", "mode": "System", "count": 3, "osType": "Linux"}]
    for managed in ("networkProfile", "ingressProfile", "nodeProvisioningProfile", "securityProfile"):
        assert managed not in inputs, managed
    assert "azurepolicy" not in inputs["addonProfiles"]
    for type_ in (VNET, SUBNET, POOL, ROLE_ASSIGNMENT):
        assert automatic.of_type(type_) == [], type_


# --------------------------------------------------------------------------- protection


def test_prod_protects_what_a_user_could_lose(standard: Plan, automatic: Plan, dev_standard: Plan) -> None:
    for cluster in standard.cluster_names:
        for type_ in (GROUP_TYPE, VNET, SUBNET, CLUSTER, WORKSPACE):
            assert _one(standard, type_, cluster).protect, (type_, cluster)
    assert not any(r.protect for r in automatic)
    assert not any(r.protect for r in dev_standard)


# --------------------------------------------------------------------------- kubeconfig and app


def _kubeconfig(plan: Plan, cluster: str) -> dict[str, Any]:
    provider = _one(plan, K8S_PROVIDER, cluster)
    assert "kubeconfig" in provider.secret_paths
    return dict(json.loads(provider.inputs["kubeconfig"]))


@pytest.mark.parametrize(("mode", "login"), [("standard", "azurecli"), ("automatic", "workloadidentity")])
def test_kubeconfig_is_exec_auth_through_kubelogin_in_the_configured_mode(
    standard: Plan, automatic: Plan, mode: str, login: str
) -> None:
    plan = standard if mode == "standard" else automatic
    config = _kubeconfig(plan, "azure-westeurope")
    (user,) = config["users"]
    assert set(user["user"]) == {"exec"}, "no token, client certificate or password"
    assert user["user"]["exec"]["command"] == "kubelogin"
    assert user["user"]["exec"]["args"] == ["get-token", "--login", login, "--server-id", AKS_AAD_SERVER_ID]
    assert user["user"]["exec"]["apiVersion"] == "client.authentication.k8s.io/v1beta1"
    (cluster,) = config["clusters"]
    # The server is the cluster's own FQDN (dnsPrefix-<hash>.hcp.<region>), not the credential's copy of it.
    assert re.fullmatch(
        r"https://azure-westeurope-[0-9a-f]{8}\.hcp\.westeurope\.azmk8s\.io:443", cluster["cluster"]["server"]
    )
    assert cluster["cluster"]["certificate-authority-data"] == FAKE_CA_DATA
    assert config["current-context"] == "azure-westeurope"


def test_kubernetes_provider_identity_is_the_cluster_arm_id(standard: Plan) -> None:
    for cluster in standard.cluster_names:
        provider = _one(standard, K8S_PROVIDER, cluster)
        aks = _one(standard, CLUSTER, cluster)
        assert provider.inputs["clusterIdentifier"] == (
            f"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/{cluster}-rg/providers/"
            f"Microsoft.ContainerService/managedClusters/{aks.name}"
        )
        assert aks.urn in provider.property_dependencies["clusterIdentifier"]


def test_kubeconfigs_are_exported_only_as_a_secret(standard: Plan) -> None:
    assert "kubeconfigs" in standard.secret_outputs
    assert standard.as_json()["outputs"]["kubeconfigs"] == "[secret]"


@pytest.mark.parametrize("mode", ["standard", "automatic"])
def test_app_objects_go_through_the_cluster_provider_and_wait_for_its_nodes(
    standard: Plan, automatic: Plan, mode: str
) -> None:
    plan = standard if mode == "standard" else automatic
    for cluster in plan.cluster_names:
        provider = _one(plan, K8S_PROVIDER, cluster)
        nodes = _one(plan, POOL, cluster) if mode == "standard" else _one(plan, CLUSTER, cluster)
        objects = [r for r in plan if r.type.startswith("kubernetes:") and r.custom and plan.cluster_of(r) == cluster]
        objects = [r for r in objects if r.type != K8S_PROVIDER]
        assert len(objects) == 8
        assert {r.provider for r in objects} == {provider.urn}
        for kind in ("kubernetes:core/v1:Namespace", "kubernetes:apps/v1:Deployment"):
            (obj,) = [r for r in objects if r.type == kind]
            assert nodes.urn in obj.dependencies, (kind, cluster)
        assert all(_depends_on(plan, r, nodes) for r in objects)


def test_ingress_uses_the_app_routing_class_and_admits_only_its_namespace(standard: Plan) -> None:
    ingress = _one(standard, "kubernetes:networking.k8s.io/v1:Ingress", "azure-westeurope")
    assert ingress.inputs["spec"]["ingressClassName"] == "webapprouting.kubernetes.azure.com"
    policy = _one(standard, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "azure-westeurope")
    sources = [peer for rule in policy.inputs["spec"]["ingress"] for peer in rule["from"]]
    assert {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "app-routing-system"}}} in sources


def test_app_url_is_read_back_from_the_ingress(automatic: Plan) -> None:
    assert re.fullmatch(r"http://203\.0\.113\.\d+", automatic.outputs["appUrls"]["azure-westeurope"])


# --------------------------------------------------------------------------- config errors


def _raw(environment: str = "dev", **azure: Any) -> dict[str, Any]:
    section = {"enabled": True, "mode": "standard", "regions": ["westeurope"], "adminGroupObjectIds": [GROUP]}
    section.update(azure)
    image = "ghcr.io/acme/hello:1.4.2@sha256:" + "0" * 64
    return {"environment": environment, "azure": section, "app": {"name": "hello", "image": image}}


BAD_CONFIGS = {
    "overlapping VNets": (
        _raw(regions=["westeurope", "northeurope"], vnetCidr={"northeurope": "10.78.0.0/16"}),
        "azure.vnetCidr.northeurope",
        "must not overlap the VNet of westeurope",
    ),
    "subnet outside the VNet": (
        _raw(nodeSubnetCidr={"westeurope": "10.99.0.0/20"}),
        "azure.nodeSubnetCidr.westeurope",
        "inside the region's VNet",
    ),
    "VNet overlapping the pod range": (
        _raw(vnetCidr={"westeurope": "10.244.0.0/16"}),
        "azure.vnetCidr.westeurope",
        "must not overlap azure.podCidr",
    ),
    "service range overlapping the pod range": (
        _raw(serviceCidr="10.244.128.0/20"),
        "azure.serviceCidr",
        "must not overlap podCidr",
    ),
    "region without a default range": (_raw(regions=["mars1"]), "azure.vnetCidr.mars1", "required"),
    "public VNet range": (_raw(vnetCidr={"westeurope": "8.8.0.0/16"}), "azure.vnetCidr", "private"),
    "open API server in prod": (
        _raw("prod", apiAllowedCidrs=["203.0.113.0/24", "0.0.0.0/0"]),
        "azure.apiAllowedCidrs[1]",
        "must not open the API server to everyone in prod",
    ),
    "no API ranges in prod": (_raw("prod"), "azure.apiAllowedCidrs", "required in prod"),
    "malformed API range": (_raw(apiAllowedCidrs=["203.0.113.1/24"]), "azure.apiAllowedCidrs", "CIDR"),
    "unknown mode": (_raw(mode="autopilot"), "azure.mode", "'automatic' or 'standard'"),
    "malformed admin group GUID": (
        _raw(adminGroupObjectIds=[GROUP, "platform-admins"]),
        "azure.adminGroupObjectIds",
        "not an Entra ID object id (GUID): platform-admins",
    ),
    "no admin group": (_raw(adminGroupObjectIds=[]), "azure.adminGroupObjectIds", "at least one Entra ID group"),
    "malformed subscription": (_raw(subscriptionId="acme-prod"), "azure.subscriptionId", "GUID"),
    "unknown kubelogin mode": (_raw(kubeloginMode="devicecode"), "azure.kubeloginMode", "azurecli"),
    "pool floor above its ceiling": (
        _raw(userPool={"minCount": 6, "maxCount": 4}),
        "azure.userPool.minCount",
        "must not exceed maxCount (4)",
    ),
    "unsupported Kubernetes version": (_raw(kubernetesVersion="1.20"), "azure.kubernetesVersion", "must be one of"),
    "unknown zone": (_raw(availabilityZones=["1", "4"]), "azure.availabilityZones", "zones are '1', '2' and '3'"),
    "bad maintenance start": (_raw(maintenance={"startTime": "25:00"}), "azure.maintenance.startTime", "HH:MM"),
    "unknown key": (_raw(vnetCidrs={}), "azure.vnetCidrs", "did you mean 'vnetCidr'"),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_azure_config_is_a_config_error_naming_the_key(case: str) -> None:
    raw, path, message = BAD_CONFIGS[case]
    with pytest.raises(ConfigError) as error:
        parse(raw)
    matches = [i for i in error.value.issues if i.path == path]
    assert matches, [str(i) for i in error.value.issues]
    assert any(message in i.allowed for i in matches), [str(i) for i in matches]


def test_a_bad_azure_config_registers_no_resource(tmp_path: Path) -> None:
    raw = _raw("prod", apiAllowedCidrs=["0.0.0.0/0"])
    into = Plan(stack="azure")
    with pytest.raises(ConfigError):
        evaluate("azure", config_file=write_stack(tmp_path, raw), into=into)
    assert [r.type for r in into] == ["pulumi:pulumi:Stack"]


def test_an_open_api_server_is_allowed_outside_prod() -> None:
    assert parse(_raw("staging", apiAllowedCidrs=["0.0.0.0/0"])).azure.api_allowed_cidrs == ["0.0.0.0/0"]


def test_a_good_config_parses_with_profile_defaults() -> None:
    config = parse(_raw("prod", apiAllowedCidrs=["203.0.113.0/24"]))
    assert config.azure.sku_tier == "Standard"
    assert (config.azure.user_pool.min_count, config.azure.user_pool.max_count) == (3, 10)
    assert config.azure.log_retention_days == 90
    assert config.azure.vnet_cidr_of("westeurope") == "10.78.0.0/16"
    assert config.azure.node_subnet_cidr_of("westeurope") == "10.78.0.0/20"


# --------------------------------------------------------------------------- ARM template


def test_arm_template_puts_inputs_under_properties_and_path_parameters_in_the_name(standard: Plan) -> None:
    template = to_arm_template(standard)
    assert template["$schema"].endswith("deploymentTemplate.json#")
    resources = {(r["type"], r["name"]): r for r in template["resources"]}
    aks = resources[("Microsoft.ContainerService/managedClusters", "azure-westeurope-aks")]
    assert aks["apiVersion"] == "2025-09-01"
    assert (aks["location"], aks["sku"], aks["identity"]) == (
        "westeurope",
        {"name": "Base", "tier": "Standard"},
        {"type": "SystemAssigned"},
    )
    assert "resourceGroupName" not in aks and "resourceGroupName" not in aks["properties"]
    assert aks["properties"]["networkProfile"]["networkPolicy"] == "cilium"
    assert aks["properties"]["aadProfile"]["enableAzureRBAC"] is True
    pool = resources[("Microsoft.ContainerService/managedClusters/agentPools", "azure-westeurope-aks/user")]
    assert pool["properties"]["mode"] == "User" and "agentPoolName" not in pool["properties"]
    subnet = resources[("Microsoft.Network/virtualNetworks/subnets", "azure-westeurope-vnet/azure-westeurope-nodes")]
    assert subnet["properties"]["addressPrefix"] == "10.78.0.0/20"
    workspace = resources[("Microsoft.OperationalInsights/workspaces", "azure-westeurope-logs")]
    assert workspace["properties"]["sku"] == {"name": "PerGB2018"}, "a workspace's sku is an ARM property"


def test_arm_api_versions_come_from_the_installed_sdk_modules() -> None:
    for token in AZURE_TYPES:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}(-preview)?", api_version(token)), token
    source = Path(__import__("pulumi_azure_native.containerservice", fromlist=["x"]).__file__).parent
    text = (source / "managed_cluster.py").read_text()
    assert f"Uses Azure REST API version {api_version(CLUSTER)}." in text
    assert 'AUTOMATIC = "Automatic"' in (source / "_enums.py").read_text(), "this API version knows the Automatic SKU"


# --------------------------------------------------------------------------- checkov


@pytest.mark.parametrize("mode", ["standard", "automatic"])
def test_checkov_arm_scan_runs_the_aks_checks_and_fails_only_accepted_ones(
    standard: Plan, automatic: Plan, mode: str, tmp_path: Path
) -> None:
    plan = standard if mode == "standard" else automatic
    (tmp_path / "template.json").write_text(json.dumps(to_arm_template(plan), indent=2))
    results = checkov.scan("arm", ["-d", str(tmp_path)])
    passed = {c["check_id"] for c in results["passed_checks"]}
    failed = {c["check_id"] for c in results["failed_checks"]}
    accepted = ACCEPTED_FAILURES[mode]
    assert failed - set(accepted) == set(), [
        (c["check_id"], c["resource"]) for c in results["failed_checks"] if c["check_id"] not in accepted
    ]
    assert set(accepted) - failed == set(), "an accepted failure no longer fails: drop it from ACCEPTED_FAILURES"
    assert EXPECTED_PASSES[mode] <= passed, sorted(EXPECTED_PASSES[mode] - passed)
    aks_resources = {c["resource"] for c in results["passed_checks"] if c["check_id"] == "CKV_AZURE_6"}
    assert aks_resources == {f"Microsoft.ContainerService/managedClusters.{r.name}" for r in plan.of_type(CLUSTER)}, (
        "every cluster was scanned"
    )
