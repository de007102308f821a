"""AksCluster: a production-grade AKS cluster, standard or AKS Automatic, with app routing Ingress.

Each cluster lives in its own resource group through its own explicit
`azure_native.Provider`: Log Analytics workspace and Container Insights data
collection rule, Entra ID with Azure RBAC (local accounts off), OIDC issuer
and workload identity, API server authorized IP ranges, the `stable`
auto-upgrade channel and `NodeImage` node OS channel with a maintenance
window for each, the app routing add-on (managed NGINX). Standard mode adds
a VNet and node subnet, Azure CNI Overlay with the Cilium dataplane, a
tainted system pool and an autoscaling user pool; Automatic mode lets the
AKS Automatic SKU bring node provisioning, networking and hardening.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from typing import Any, Literal, TypedDict

import pulumi
from pulumi_azure_native import authorization, containerservice, monitor, network, operationalinsights, resources
from pulumi_azure_native.provider import Provider as AzureProvider

from components.cluster import ClusterComponent, ClusterTarget, IngressContract, exec_kubeconfig

#: Application id of the AKS AAD server app (Azure Kubernetes Service AAD Server):
#: the audience of every Entra ID token an AKS API server accepts.
AKS_AAD_SERVER_ID = "6dae42f8-4368-4678-94ff-3960e28e3630"
#: Built-in role "Network Contributor": the cluster identity manages load
#: balancers and joins nodes in the node subnet it does not own.
NETWORK_CONTRIBUTOR_ROLE = "4d97b98c-1d4f-4ef4-a0c2-5a2b9aff1cd6"
#: IngressClass the app routing add-on (managed NGINX) installs.
APP_ROUTING_INGRESS_CLASS = "webapprouting.kubernetes.azure.com"
#: Namespace the app routing controller runs in: the source of all Ingress traffic.
APP_ROUTING_NAMESPACE = "app-routing-system"
#: Maintenance configuration names AKS reads for the two auto-upgrade channels.
UPGRADE_SCHEDULE = "aksManagedAutoUpgradeSchedule"
NODE_OS_SCHEDULE = "aksManagedNodeOSUpgradeSchedule"
#: Taint that keeps workloads off the system pool.
CRITICAL_ADDONS_TAINT = "CriticalAddonsOnly=true:NoSchedule"
#: Extra nodes during an upgrade: a third of the pool, AKS's production advice.
MAX_SURGE = "33%"
#: Pods per node (the Kubernetes default; AKS needs at least 50 for its add-ons).
MAX_PODS = 110
#: How often the image cleaner removes unused vulnerable images (weekly).
IMAGE_CLEANER_INTERVAL_HOURS = 168
#: Stream and extension of Container Insights, as its data collection rule names them.
CONTAINER_INSIGHTS_STREAM = "Microsoft-ContainerInsights-Group-Default"
CONTAINER_INSIGHTS_EXTENSION = "ContainerInsights"
#: What AKS changes after creation and Pulumi must not revert: the versions the
#: auto-upgrade channel raises (a refresh reads them back; sending the old one
#: again is a downgrade AKS refuses) and the node counts the autoscaler owns.
#: `kubernetesVersion` only chooses the version at creation, and pools never
#: pin `orchestratorVersion` (with the `stable` channel AVM requires it unset):
#: they take the control plane's version.
CLUSTER_IGNORE_CHANGES = ["kubernetesVersion", "agentPoolProfiles[*].orchestratorVersion", "agentPoolProfiles[*].count"]
POOL_IGNORE_CHANGES = ["orchestratorVersion", "count"]

_CA_DATA_RE = re.compile(r"certificate-authority-data:\s*(\S+)")


class AksPoolArgs(TypedDict):
    vm_size: str
    """VM size of the nodes."""
    min_count: int
    """Autoscaler floor (and the size at creation)."""
    max_count: int
    """Autoscaler ceiling."""
    os_disk_size_gb: int
    """OS disk size in GiB."""
    ephemeral_os_disk: bool
    """OS disk on the VM's local storage instead of a managed disk."""


class AksMaintenanceArgs(TypedDict):
    day: str
    """Day of the week (`Sunday`)."""
    start_time: str
    """Start, `HH:MM` in `utc_offset`."""
    duration_hours: int
    """Length in hours."""
    utc_offset: str
    """Time zone of `start_time` (`+01:00`)."""


class AksClusterArgs(TypedDict):
    region: str
    """Azure region (location) of the cluster and everything around it."""
    mode: Literal["standard", "automatic"]
    """`standard` (VNet and node pools here) or `automatic` (the AKS Automatic SKU)."""
    subscription_id: str | None
    """Subscription of the provider; None: `ARM_SUBSCRIPTION_ID` of the environment."""
    kubernetes_version: str | None
    """Kubernetes version at creation; None: the AKS default."""
    sku_tier: str
    """`Free` or `Standard` control plane (standard mode; Automatic is always Standard)."""
    api_allowed_cidrs: Sequence[str]
    """Authorized IP ranges of the API server; empty: reachable from anywhere."""
    admin_group_object_ids: Sequence[str]
    """Entra ID groups with cluster-admin."""
    kubelogin_mode: str
    """`kubelogin get-token --login` mode of the kubeconfig."""
    vnet_cidr: str
    """Address space of the cluster's VNet (standard mode)."""
    node_subnet_cidr: str
    """Range of the node subnet (standard mode)."""
    pod_cidr: str
    """Overlay pod range (standard mode)."""
    service_cidr: str
    """Service range (standard mode)."""
    dns_service_ip: str
    """Cluster DNS address inside `service_cidr` (standard mode)."""
    availability_zones: Sequence[str]
    """Zones the node pools spread over."""
    system_pool: AksPoolArgs
    """The system pool (standard mode)."""
    user_pool: AksPoolArgs
    """The workload pool (standard mode)."""
    log_retention_days: int
    """Retention of the Log Analytics workspace."""
    maintenance: AksMaintenanceArgs
    """Weekly window of both auto-upgrade channels."""
    protect: bool
    """Pulumi `protect` on the resource group, network and cluster."""


class AksCluster(ClusterComponent):
    """One AKS cluster in its own resource group, and the Kubernetes provider that reaches it."""

    cluster_id: pulumi.Output[str]
    """ARM id of the managed cluster."""
    fqdn: pulumi.Output[str]
    """Public FQDN of the API server."""
    kubeconfig: pulumi.Output[str]
    """Kubeconfig with `kubelogin` exec auth; a secret."""

    def __init__(self, name: str, args: AksClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("multicloud:index:AksCluster", name, None, opts)
        region = args["region"]
        automatic = args["mode"] == "automatic"
        protect = args["protect"]
        tags = {"cluster": name, "managed-by": "pulumi", "part-of": "multicloud"}

        azure = AzureProvider(
            f"{name}-provider",
            location=region,
            subscription_id=args["subscription_id"],
            opts=pulumi.ResourceOptions(parent=self),
        )

        def child(**extra: Any) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(parent=self, provider=azure, **extra)

        group = resources.ResourceGroup(f"{name}-rg", location=region, tags=tags, opts=child(protect=protect))
        workspace = operationalinsights.Workspace(
            f"{name}-logs",
            resource_group_name=group.name,
            location=region,
            sku={"name": "PerGB2018"},
            retention_in_days=args["log_retention_days"],
            tags=tags,
            opts=child(protect=protect),
        )

        subnet: network.Subnet | None = None
        if automatic:
            mode_properties = _automatic_properties()
        else:
            vnet = network.VirtualNetwork(
                f"{name}-vnet",
                resource_group_name=group.name,
                location=region,
                address_space={"address_prefixes": [args["vnet_cidr"]]},
                tags=tags,
                # The node subnet is its own resource; without this every
                # update of the VNet would try to remove it.
                opts=child(protect=protect, ignore_changes=["subnets"]),
            )
            subnet = network.Subnet(
                f"{name}-nodes",
                resource_group_name=group.name,
                virtual_network_name=vnet.name,
                address_prefix=args["node_subnet_cidr"],
                # Nodes leave through the cluster's load balancer, never the
                # implicit (retiring) default outbound access.
                default_outbound_access=False,
                opts=child(protect=protect),
            )
            mode_properties = _standard_properties(args, subnet.id)

        cluster = containerservice.ManagedCluster(
            f"{name}-aks",
            resource_group_name=group.name,
            location=region,
            dns_prefix=name,
            kubernetes_version=args["kubernetes_version"],
            identity={"type": containerservice.ResourceIdentityType.SYSTEM_ASSIGNED},
            tags=tags,
            **mode_properties,
            # Azure Policy comes with AKS Automatic (its deployment safeguards); standard mode adds it.
            **_common_properties(args, workspace.id, {} if automatic else {"azurepolicy": {"enabled": True}}),
            opts=child(protect=protect, ignore_changes=CLUSTER_IGNORE_CHANGES),
        )

        ready: list[pulumi.Resource] = [cluster]
        if subnet is not None:
            # The system-assigned identity exists only once the cluster does;
            # the user pool and every load balancer come after this grant.
            network_role = authorization.RoleAssignment(
                f"{name}-subnet-network-contributor",
                scope=subnet.id,
                principal_id=cluster.identity.apply(lambda i: i.principal_id if i else ""),
                principal_type=authorization.PrincipalType.SERVICE_PRINCIPAL,
                role_definition_id=_role_definition(group.id, NETWORK_CONTRIBUTOR_ROLE),
                description=f"AKS {name} manages load balancers and joins nodes in its subnet",
                opts=child(),
            )
            user_pool = containerservice.AgentPool(
                f"{name}-user-pool",
                resource_group_name=group.name,
                resource_name_=cluster.name,
                agent_pool_name="user",
                mode=containerservice.AgentPoolMode.USER,
                **_pool_properties(args["user_pool"], args["availability_zones"], subnet.id),
                opts=child(depends_on=[network_role], ignore_changes=POOL_IGNORE_CHANGES),
            )
            ready = [user_pool]

        window = args["maintenance"]
        for role, config_name in (("upgrade-window", UPGRADE_SCHEDULE), ("node-os-window", NODE_OS_SCHEDULE)):
            containerservice.MaintenanceConfiguration(
                f"{name}-{role}",
                resource_group_name=group.name,
                resource_name_=cluster.name,
                config_name=config_name,
                maintenance_window={
                    "schedule": {"weekly": {"day_of_week": window["day"], "interval_weeks": 1}},
                    "duration_hours": window["duration_hours"],
                    "start_time": window["start_time"],
                    "utc_offset": window["utc_offset"],
                },
                opts=child(),
            )

        rule = monitor.DataCollectionRule(
            f"{name}-insights-rule",
            resource_group_name=group.name,
            location=region,
            kind="Linux",
            description=f"Container Insights of AKS {name}",
            data_sources={
                "extensions": [
                    {
                        "name": "ContainerInsightsExtension",
                        "extension_name": CONTAINER_INSIGHTS_EXTENSION,
                        "streams": [CONTAINER_INSIGHTS_STREAM],
                        "extension_settings": {
                            "dataCollectionSettings": {
                                "interval": "1m",
                                "namespaceFilteringMode": "Off",
                                "enableContainerLogV2": True,
                            }
                        },
                    }
                ]
            },
            destinations={"log_analytics": [{"name": "workspace", "workspace_resource_id": workspace.id}]},
            data_flows=[{"streams": [CONTAINER_INSIGHTS_STREAM], "destinations": ["workspace"]}],
            tags=tags,
            opts=child(),
        )
        monitor.DataCollectionRuleAssociation(
            f"{name}-insights",
            resource_uri=cluster.id,
            association_name="ContainerInsightsExtension",
            data_collection_rule_id=rule.id,
            description="Container Insights of this cluster",
            opts=child(),
        )

        credentials = containerservice.list_managed_cluster_user_credentials_output(
            resource_group_name=group.name,
            resource_name=cluster.name,
            opts=pulumi.InvokeOutputOptions(parent=self, provider=azure),
        )
        ca_data = credentials.kubeconfigs.apply(lambda configs: _ca_data(configs[0].value))
        kubeconfig = exec_kubeconfig(
            name,
            pulumi.Output.format("https://{0}:443", cluster.fqdn),
            ca_data,
            {
                "command": "kubelogin",
                "args": ["get-token", "--login", args["kubelogin_mode"], "--server-id", AKS_AAD_SERVER_ID],
                "provideClusterInfo": False,
            },
        )
        provider = self._kubernetes_provider(name, kubeconfig=kubeconfig, cluster_identifier=cluster.id)

        self.cluster_id = cluster.id
        self.fqdn = cluster.fqdn
        self.kubeconfig = kubeconfig
        self.target = ClusterTarget(
            name=name,
            cloud="azure",
            region=region,
            provider=provider,
            kubeconfig=kubeconfig,
            ingress=IngressContract(
                class_name=APP_ROUTING_INGRESS_CLASS,
                traffic_sources=(
                    {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": APP_ROUTING_NAMESPACE}}},
                ),
            ),
            ready=ready,
        )
        self.register_outputs({"clusterId": self.cluster_id, "fqdn": self.fqdn, "kubeconfig": self.kubeconfig})


def _common_properties(
    args: AksClusterArgs, workspace_id: pulumi.Input[str], extra_addons: dict[str, Any]
) -> dict[str, Any]:
    """What both modes set: identity and access, upgrades, monitoring and add-ons AKS Automatic leaves open."""
    properties: dict[str, Any] = {
        "enable_rbac": True,
        "disable_local_accounts": True,
        "aad_profile": {
            "managed": True,
            "enable_azure_rbac": True,
            "admin_group_object_ids": list(args["admin_group_object_ids"]),
        },
        "auto_upgrade_profile": {
            "upgrade_channel": containerservice.UpgradeChannel.STABLE,
            "node_os_upgrade_channel": containerservice.NodeOSUpgradeChannel.NODE_IMAGE,
        },
        "addon_profiles": {
            "omsagent": {
                "enabled": True,
                "config": {"logAnalyticsWorkspaceResourceID": workspace_id, "useAADAuth": "true"},
            },
            "azureKeyvaultSecretsProvider": {
                "enabled": True,
                "config": {"enableSecretRotation": "true", "rotationPollInterval": "2m"},
            },
            **extra_addons,
        },
    }
    if args["api_allowed_cidrs"]:
        properties["api_server_access_profile"] = {"authorized_ip_ranges": list(args["api_allowed_cidrs"])}
    return properties


def _automatic_properties() -> dict[str, Any]:
    """AKS Automatic: the SKU brings node provisioning, app routing, networking and hardening."""
    return {
        "sku": {"name": containerservice.ManagedClusterSKUName.AUTOMATIC, "tier": "Standard"},
        # Automatic still wants its system pool named; AKS sizes and scales it.
        "agent_pool_profiles": [
            {"name": "systempool", "mode": containerservice.AgentPoolMode.SYSTEM, "count": 3, "os_type": "Linux"}
        ],
    }


def _standard_properties(args: AksClusterArgs, subnet_id: pulumi.Input[str]) -> dict[str, Any]:
    """Standard mode: everything Automatic would decide, decided here."""
    system_pool = {
        "name": "system",
        "mode": containerservice.AgentPoolMode.SYSTEM,
        "node_taints": [CRITICAL_ADDONS_TAINT],
        **_pool_properties(args["system_pool"], args["availability_zones"], subnet_id),
    }
    return {
        "sku": {"name": containerservice.ManagedClusterSKUName.BASE, "tier": args["sku_tier"]},
        "agent_pool_profiles": [system_pool],
        "network_profile": {
            "network_plugin": containerservice.NetworkPlugin.AZURE,
            "network_plugin_mode": containerservice.NetworkPluginMode.OVERLAY,
            "network_dataplane": containerservice.NetworkDataplane.CILIUM,
            "network_policy": containerservice.NetworkPolicy.CILIUM,
            "load_balancer_sku": containerservice.LoadBalancerSku.STANDARD,
            "outbound_type": containerservice.OutboundType.LOAD_BALANCER,
            "pod_cidr": args["pod_cidr"],
            "service_cidr": args["service_cidr"],
            "dns_service_ip": args["dns_service_ip"],
        },
        "oidc_issuer_profile": {"enabled": True},
        "security_profile": {
            "workload_identity": {"enabled": True},
            "image_cleaner": {"enabled": True, "interval_hours": IMAGE_CLEANER_INTERVAL_HOURS},
        },
        "ingress_profile": {"web_app_routing": {"enabled": True}},
    }


def _pool_properties(pool: AksPoolArgs, zones: Sequence[str], subnet_id: pulumi.Input[str]) -> dict[str, Any]:
    """A VM scale set pool of Azure Linux nodes in the node subnet, autoscaling within bounds."""
    return {
        "type": containerservice.AgentPoolType.VIRTUAL_MACHINE_SCALE_SETS,
        "vm_size": pool["vm_size"],
        "count": pool["min_count"],
        "min_count": pool["min_count"],
        "max_count": pool["max_count"],
        "enable_auto_scaling": True,
        "availability_zones": list(zones),
        "os_type": containerservice.OSType.LINUX,
        "os_sku": containerservice.OSSKU.AZURE_LINUX,
        "os_disk_type": containerservice.OSDiskType.EPHEMERAL
        if pool["ephemeral_os_disk"]
        else containerservice.OSDiskType.MANAGED,
        "os_disk_size_gb": pool["os_disk_size_gb"],
        "enable_encryption_at_host": True,
        "max_pods": MAX_PODS,
        "vnet_subnet_id": subnet_id,
        "upgrade_settings": {"max_surge": MAX_SURGE},
    }


def _role_definition(group_id: pulumi.Output[str], role: str) -> pulumi.Output[str]:
    """A built-in role's definition id in the subscription of `group_id`, without an invoke."""
    return group_id.apply(
        lambda rg: f"{rg.split('/resourceGroups/')[0]}/providers/Microsoft.Authorization/roleDefinitions/{role}"
    )


def _ca_data(encoded_kubeconfig: str) -> str:
    """The cluster CA of a base64 kubeconfig returned by listClusterUserCredential."""
    match = _CA_DATA_RE.search(base64.b64decode(encoded_kubeconfig).decode())
    if match is None:
        raise ValueError("the AKS user kubeconfig has no certificate-authority-data")
    return match[1]
