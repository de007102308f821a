"""Realistic computed outputs for the offline engine, so every `apply` in the program runs.

A mock returns the inputs it was given plus what the cloud or cluster would
compute: ids, endpoints, certificate data, load balancer addresses. Addresses
come from the documentation ranges (RFC 5737, RFC 2606) so they never route.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from typing import Any

from pulumi.runtime import mocks

#: A fake but well-formed PEM certificate authority, base64-encoded like kubeconfig CA data.
FAKE_CA_DATA = base64.b64encode(
    b"-----BEGIN CERTIFICATE-----\nTUlJQm9mZmxpbmUtbXVsdGljbG91ZC1tb2NrLWNh\n-----END CERTIFICATE-----\n"
).decode()


def _ingress_status(args: mocks.MockResourceArgs) -> dict[str, Any]:
    """What an ingress controller publishes once it has admitted the Ingress."""
    annotations = (args.inputs.get("metadata") or {}).get("annotations") or {}
    if any(key.startswith("alb.ingress.kubernetes.io/") for key in annotations):
        digest = hashlib.sha256(args.name.encode()).hexdigest()[:10]
        point = {"hostname": f"k8s-{digest}.us-west-2.elb.amazonaws.com"}
    else:
        octet = int(hashlib.sha256(args.name.encode()).hexdigest(), 16) % 250 + 1
        point = {"ip": f"203.0.113.{octet}"}
    return {"status": {"loadBalancer": {"ingress": [point]}}}


#: Subscription of the Azure mocks (a documentation-style all-zero GUID).
AZURE_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"


def _azure_name(args: mocks.MockResourceArgs, key: str) -> str:
    """The Azure name of a resource: its explicit name input, else the Pulumi name (autonaming)."""
    return str(args.inputs.get(key) or args.name)


def _azure_id(args: mocks.MockResourceArgs, path: str) -> dict[str, Any]:
    group = f"/subscriptions/{AZURE_SUBSCRIPTION}/resourceGroups/{args.inputs.get('resourceGroupName', 'rg')}"
    return {"id": f"{group}/providers/{path}"}


def _azure_guid(seed: str) -> str:
    digest = hashlib.sha256(seed.encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-8{digest[17:20]}-{digest[20:32]}"


def _azure_resource_group(args: mocks.MockResourceArgs) -> dict[str, Any]:
    name = _azure_name(args, "resourceGroupName")
    return {"name": name, "id": f"/subscriptions/{AZURE_SUBSCRIPTION}/resourceGroups/{name}"}


def _azure_vnet(args: mocks.MockResourceArgs) -> dict[str, Any]:
    name = _azure_name(args, "virtualNetworkName")
    return {"name": name, **_azure_id(args, f"Microsoft.Network/virtualNetworks/{name}")}


def _azure_subnet(args: mocks.MockResourceArgs) -> dict[str, Any]:
    name = _azure_name(args, "subnetName")
    vnet = args.inputs.get("virtualNetworkName", "vnet")
    return {"name": name, **_azure_id(args, f"Microsoft.Network/virtualNetworks/{vnet}/subnets/{name}")}


def _azure_workspace(args: mocks.MockResourceArgs) -> dict[str, Any]:
    name = _azure_name(args, "workspaceName")
    return {
        "name": name,
        "customerId": _azure_guid(f"workspace/{name}"),
        **_azure_id(args, f"Microsoft.OperationalInsights/workspaces/{name}"),
    }


def _azure_managed_cluster(args: mocks.MockResourceArgs) -> dict[str, Any]:
    name = _azure_name(args, "resourceName")
    location = args.inputs.get("location", "westeurope")
    suffix = hashlib.sha256(name.encode()).hexdigest()[:8]
    return {
        "name": name,
        "fqdn": f"{args.inputs.get('dnsPrefix', name)}-{suffix}.hcp.{location}.azmk8s.io",
        "azurePortalFQDN": f"{args.inputs.get('dnsPrefix', name)}-{suffix}.portal.hcp.{location}.azmk8s.io",
        "currentKubernetesVersion": args.inputs.get("kubernetesVersion") or "1.34.1",
        "nodeResourceGroup": f"MC_{args.inputs.get('resourceGroupName', 'rg')}_{name}_{location}",
        "identity": {
            "type": "SystemAssigned",
            "principalId": _azure_guid(f"identity/{name}"),
            "tenantId": _azure_guid("tenant"),
        },
        "oidcIssuerProfile": {
            "enabled": True,
            "issuerURL": f"https://{location}.oic.prod-aks.azure.com/{_azure_guid('tenant')}/{_azure_guid(name)}/",
        },
        **_azure_id(args, f"Microsoft.ContainerService/managedClusters/{name}"),
    }


def _azure_cluster_child(kind: str, key: str) -> Callable[[mocks.MockResourceArgs], dict[str, Any]]:
    def compute(args: mocks.MockResourceArgs) -> dict[str, Any]:
        name = _azure_name(args, key)
        cluster = args.inputs.get("resourceName", "aks")
        return {"name": name, **_azure_id(args, f"Microsoft.ContainerService/managedClusters/{cluster}/{kind}/{name}")}

    return compute


def _azure_data_collection_rule(args: mocks.MockResourceArgs) -> dict[str, Any]:
    name = _azure_name(args, "dataCollectionRuleName")
    return {
        "name": name,
        "immutableId": f"dcr-{hashlib.sha256(name.encode()).hexdigest()[:32]}",
        **_azure_id(args, f"Microsoft.Insights/dataCollectionRules/{name}"),
    }


def _azure_scoped(kind: str, key: str) -> Callable[[mocks.MockResourceArgs], dict[str, Any]]:
    def compute(args: mocks.MockResourceArgs) -> dict[str, Any]:
        scope = args.inputs.get("scope") or args.inputs.get("resourceUri") or f"/subscriptions/{AZURE_SUBSCRIPTION}"
        name = str(args.inputs.get(key) or _azure_guid(args.name))
        return {"name": name, "id": f"{scope}/providers/{kind}/{name}"}

    return compute


def _azure_user_credentials(args: dict[str, Any]) -> dict[str, Any]:
    """listClusterUserCredential: an AAD (exec) kubeconfig, base64 as AKS returns it."""
    name = str(args.get("resourceName", "aks"))
    suffix = hashlib.sha256(name.encode()).hexdigest()[:8]
    kubeconfig = (
        "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n"
        f"    certificate-authority-data: {FAKE_CA_DATA}\n"
        f"    server: https://{name}-{suffix}.hcp.westeurope.azmk8s.io:443\n"
        f"  name: {name}\ncontexts:\n- context:\n    cluster: {name}\n    user: clusterUser_{name}\n"
        f"  name: {name}\ncurrent-context: {name}\nusers:\n- name: clusterUser_{name}\n  user:\n"
        "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: kubelogin\n"
        "      args: [get-token, --login, devicecode, --server-id, 6dae42f8-4368-4678-94ff-3960e28e3630]\n"
    )
    return {"kubeconfigs": [{"name": "clusterUser", "value": base64.b64encode(kubeconfig.encode()).decode()}]}


#: Computed outputs of the azure-native resources the AKS component registers.
AZURE_COMPUTED: dict[str, Callable[[mocks.MockResourceArgs], dict[str, Any]]] = {
    "azure-native:resources:ResourceGroup": _azure_resource_group,
    "azure-native:network:VirtualNetwork": _azure_vnet,
    "azure-native:network:Subnet": _azure_subnet,
    "azure-native:operationalinsights:Workspace": _azure_workspace,
    "azure-native:containerservice:ManagedCluster": _azure_managed_cluster,
    "azure-native:containerservice:AgentPool": _azure_cluster_child("agentPools", "agentPoolName"),
    "azure-native:containerservice:MaintenanceConfiguration": _azure_cluster_child(
        "maintenanceConfigurations", "configName"
    ),
    "azure-native:monitor:DataCollectionRule": _azure_data_collection_rule,
    "azure-native:monitor:DataCollectionRuleAssociation": _azure_scoped(
        "Microsoft.Insights/dataCollectionRuleAssociations", "associationName"
    ),
    "azure-native:authorization:RoleAssignment": _azure_scoped(
        "Microsoft.Authorization/roleAssignments", "roleAssignmentName"
    ),
}

#: Results of the Azure invokes, by function token.
AZURE_CALLS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "azure-native:containerservice:listManagedClusterUserCredentials": _azure_user_credentials,
}


#: Project of GCP resources that name none (they take the provider's project).
GCP_PROJECT = "offline-project"


def _gcp_octet(seed: str) -> int:
    return int(hashlib.sha256(seed.encode()).hexdigest(), 16) % 250 + 1


def _gcp_self_link(args: mocks.MockResourceArgs, path: str) -> dict[str, Any]:
    """`name` (autonamed like Pulumi: seven hex characters), `selfLink` and the resource path."""
    name = str(args.inputs.get("name") or f"{args.name}-{hashlib.sha256(args.name.encode()).hexdigest()[:7]}")
    project = args.inputs.get("project", GCP_PROJECT)
    path = path.format(project=project, name=name, region=args.inputs.get("region", "us-central1"))
    return {"name": name, "selfLink": f"https://www.googleapis.com/compute/v1/{path}"}


def _gcp_compute(path: str) -> Callable[[mocks.MockResourceArgs], dict[str, Any]]:
    def compute(args: mocks.MockResourceArgs) -> dict[str, Any]:
        return _gcp_self_link(args, path)

    return compute


def _gcp_cluster(args: mocks.MockResourceArgs) -> dict[str, Any]:
    location = args.inputs.get("location", "us-central1")
    out = _gcp_self_link(args, f"projects/{{project}}/locations/{location}/clusters/{{name}}")
    out["selfLink"] = out["selfLink"].replace("compute/v1", "container/v1")
    master_auth = dict(args.inputs.get("masterAuth") or {})
    master_auth["clusterCaCertificate"] = FAKE_CA_DATA
    return {
        **out,
        "endpoint": f"203.0.113.{_gcp_octet(args.name)}",
        "masterAuth": master_auth,
        "masterVersion": "1.34.1-gke.1000",
        "labelFingerprint": hashlib.sha256(args.name.encode()).hexdigest()[:8],
    }


def _gcp_service_account(args: mocks.MockResourceArgs) -> dict[str, Any]:
    project = args.inputs.get("project", GCP_PROJECT)
    email = f"{args.inputs.get('accountId', args.name)}@{project}.iam.gserviceaccount.com"
    return {
        "email": email,
        "member": f"serviceAccount:{email}",
        "name": f"projects/{project}/serviceAccounts/{email}",
        "uniqueId": str(int(hashlib.sha256(email.encode()).hexdigest(), 16) % 10**21),
    }


def _gcp_global_address(args: mocks.MockResourceArgs) -> dict[str, Any]:
    return {
        **_gcp_self_link(args, "projects/{project}/global/addresses/{name}"),
        "address": f"203.0.113.{_gcp_octet('address/' + args.name)}",
    }


#: Computed outputs of the pulumi-gcp resources the GKE component registers.
GCP_COMPUTED: dict[str, Callable[[mocks.MockResourceArgs], dict[str, Any]]] = {
    "gcp:container/cluster:Cluster": _gcp_cluster,
    "gcp:container/nodePool:NodePool": _gcp_compute("projects/{project}/locations/{region}/nodePools/{name}"),
    "gcp:compute/network:Network": _gcp_compute("projects/{project}/global/networks/{name}"),
    "gcp:compute/subnetwork:Subnetwork": _gcp_compute("projects/{project}/regions/{region}/subnetworks/{name}"),
    "gcp:compute/router:Router": _gcp_compute("projects/{project}/regions/{region}/routers/{name}"),
    "gcp:compute/globalAddress:GlobalAddress": _gcp_global_address,
    "gcp:compute/managedSslCertificate:ManagedSslCertificate": _gcp_compute(
        "projects/{project}/global/sslCertificates/{name}"
    ),
    "gcp:serviceaccount/account:Account": _gcp_service_account,
}


# --------------------------------------------------------------------------- AWS

#: The account every mocked AWS resource lives in (the documentation example account).
AWS_ACCOUNT = "123456789012"


def _aws_hex(args: mocks.MockResourceArgs, size: int) -> str:
    return hashlib.sha256(args.name.encode()).hexdigest()[:size]


def _aws_region(args: mocks.MockResourceArgs) -> str:
    """The region in the resource's name (every EKS resource name starts with `aws-<region>`)."""
    match = re.search(r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]", args.name)
    return match.group(0) if match else "us-west-2"


def _aws_ec2(prefix: str, **extra: Any) -> Callable[[mocks.MockResourceArgs], dict[str, Any]]:
    """EC2 ids look like `vpc-0abc...` (17 hex characters)."""

    def compute(args: mocks.MockResourceArgs) -> dict[str, Any]:
        ident = f"{prefix}-0{_aws_hex(args, 16)}"
        region = _aws_region(args)
        return {"id": ident, "arn": f"arn:aws:ec2:{region}:{AWS_ACCOUNT}:{prefix}/{ident}", **extra}

    return compute


def _aws_eip(args: mocks.MockResourceArgs) -> dict[str, Any]:
    ident = f"eipalloc-0{_aws_hex(args, 16)}"
    octet = int(_aws_hex(args, 8), 16) % 250 + 1
    return {"id": ident, "allocationId": ident, "publicIp": f"198.51.100.{octet}"}


def _aws_iam(kind: str) -> Callable[[mocks.MockResourceArgs], dict[str, Any]]:
    """IAM names are autonamed (`<name>-<7 hex>`) unless given."""

    def compute(args: mocks.MockResourceArgs) -> dict[str, Any]:
        name = args.inputs.get("name") or f"{args.name}-{_aws_hex(args, 7)}"
        return {"id": name, "name": name, "arn": f"arn:aws:iam::{AWS_ACCOUNT}:{kind}/{name}"}

    return compute


def _aws_kms_key(args: mocks.MockResourceArgs) -> dict[str, Any]:
    digest = _aws_hex(args, 32)
    key_id = f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
    return {"id": key_id, "keyId": key_id, "arn": f"arn:aws:kms:{_aws_region(args)}:{AWS_ACCOUNT}:key/{key_id}"}


def _aws_log_group(args: mocks.MockResourceArgs) -> dict[str, Any]:
    name = args.inputs.get("name") or f"{args.name}-{_aws_hex(args, 7)}"
    return {"id": name, "arn": f"arn:aws:logs:{_aws_region(args)}:{AWS_ACCOUNT}:log-group:{name}"}


def _aws_eks_cluster(args: mocks.MockResourceArgs) -> dict[str, Any]:
    """What EKS reports for an active cluster: endpoint, CA, ARN, OIDC issuer."""
    name = args.inputs.get("name") or args.name
    region = _aws_region(args)
    hexid = _aws_hex(args, 32).upper()
    return {
        "id": name,
        "name": name,
        "arn": f"arn:aws:eks:{region}:{AWS_ACCOUNT}:cluster/{name}",
        "endpoint": f"https://{hexid}.gr7.{region}.eks.amazonaws.com",
        "certificateAuthority": {"data": FAKE_CA_DATA},
        "createdAt": "2026-01-15T09:30:00Z",
        "status": "ACTIVE",
        "platformVersion": "eks.1",
        "identities": [{"oidcs": [{"issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{hexid}"}]}],
        "vpcConfig": {**(args.inputs.get("vpcConfig") or {}), "clusterSecurityGroupId": f"sg-0{_aws_hex(args, 16)}"},
    }


def _aws_eks_child(kind: str) -> Callable[[mocks.MockResourceArgs], dict[str, Any]]:
    """Node groups, add-ons, access entries, Pod Identity associations: an ARN under the cluster."""

    def compute(args: mocks.MockResourceArgs) -> dict[str, Any]:
        cluster = args.inputs.get("clusterName", "cluster")
        arn = f"arn:aws:eks:{_aws_region(args)}:{AWS_ACCOUNT}:{kind}/{cluster}/{args.name}/{_aws_hex(args, 8)}"
        return {"arn": arn, "status": "ACTIVE", "associationArn": arn, "associationId": f"a-{_aws_hex(args, 17)}"}

    return compute


AWS_COMPUTED: dict[str, Callable[[mocks.MockResourceArgs], dict[str, Any]]] = {
    "aws:ec2/vpc:Vpc": _aws_ec2("vpc", defaultSecurityGroupId="sg-0default0000000000"),
    "aws:ec2/subnet:Subnet": _aws_ec2("subnet"),
    "aws:ec2/internetGateway:InternetGateway": _aws_ec2("igw"),
    "aws:ec2/natGateway:NatGateway": _aws_ec2("nat"),
    "aws:ec2/routeTable:RouteTable": _aws_ec2("rtb"),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": _aws_ec2("rtbassoc"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": _aws_ec2("sg"),
    "aws:ec2/flowLog:FlowLog": _aws_ec2("fl"),
    "aws:ec2/launchTemplate:LaunchTemplate": _aws_ec2("lt", latestVersion=1, defaultVersion=1),
    "aws:ec2/eip:Eip": _aws_eip,
    "aws:iam/role:Role": _aws_iam("role"),
    "aws:iam/policy:Policy": _aws_iam("policy"),
    "aws:kms/key:Key": _aws_kms_key,
    "aws:cloudwatch/logGroup:LogGroup": _aws_log_group,
    "aws:eks/cluster:Cluster": _aws_eks_cluster,
    "aws:eks/nodeGroup:NodeGroup": _aws_eks_child("nodegroup"),
    "aws:eks/addon:Addon": _aws_eks_child("addon"),
    "aws:eks/accessEntry:AccessEntry": _aws_eks_child("access-entry"),
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": _aws_eks_child("podidentityassociation"),
}


#: Computed outputs by resource type; the cloud components add theirs here.
COMPUTED: dict[str, Callable[[mocks.MockResourceArgs], dict[str, Any]]] = {
    "kubernetes:networking.k8s.io/v1:Ingress": _ingress_status,
    **AZURE_COMPUTED,
    **GCP_COMPUTED,
    **AWS_COMPUTED,
}


class OfflineMocks(mocks.Mocks):
    """Inputs echoed back, plus the computed outputs of :data:`COMPUTED`."""

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        outputs = dict(args.inputs)
        compute = COMPUTED.get(args.typ)
        if compute is not None:
            outputs.update(compute(args))
        # A computed `id` (an ARM resource id, say) is the resource's id.
        return str(outputs.pop("id", f"{args.name}-id")), outputs

    def call(self, args: mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        azure_call = AZURE_CALLS.get(args.token)
        if azure_call is not None:
            return azure_call(dict(args.args)), []
        return {}, []
