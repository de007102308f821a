"""EksCluster: every property of the EKS issue, asserted on the recorded resource graph.

Three stack files drive it (tests/stacks/aws-*.yaml): Auto Mode in two dev
regions, standard mode (managed node group) in dev, and standard mode in prod.
The recorded AWS resources are also translated into a Terraform plan and
scanned by checkov, which must run the EKS checks and fail none.
"""

from __future__ import annotations

import fnmatch
import hashlib
import ipaddress
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.aws import (
    ALB_HEALTH_CHECK_PATH_ANNOTATION,
    CLUSTER_POLICIES,
    CONTROL_PLANE_LOG_TYPES,
    LOG_RETENTION_DAYS,
    NODE_POLICIES,
    partition,
)
from stacks.config import AWS_DEFAULT_VPC_OCTETS, AwsMode, ConfigError, parse
from tests import checkov
from tests.conftest import write_stack
from tools.engine import Plan, Resource, evaluate
from tools.tfplan import to_terraform_plan

STACKS_DIR = Path(__file__).parent / "stacks"
K8S_PROVIDER = "pulumi:providers:kubernetes"
AWS_PROVIDER = "pulumi:providers:aws"
EKS = "multicloud:index:EksCluster"
CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
SUBNET = "aws:ec2/subnet:Subnet"
ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ADDON = "aws:eks/addon:Addon"
RELEASE = "kubernetes:helm.sh/v3:Release"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
RT_LINK = "aws:ec2/routeTableAssociation:RouteTableAssociation"
INGRESS_CLASS = "kubernetes:networking.k8s.io/v1:IngressClass"
INGRESS_CLASS_PARAMS = "kubernetes:eks.amazonaws.com/v1:IngressClassParams"
APP_WAITS = ("kubernetes:core/v1:Namespace", "kubernetes:apps/v1:Deployment", "kubernetes:networking.k8s.io/v1:Ingress")

#: Pulumi type token -> Terraform resource type, for the checkov `terraform_plan` scan.
TERRAFORM_TYPES = {
    "aws:ec2/vpc:Vpc": "aws_vpc",
    "aws:ec2/subnet:Subnet": "aws_subnet",
    "aws:ec2/internetGateway:InternetGateway": "aws_internet_gateway",
    "aws:ec2/natGateway:NatGateway": "aws_nat_gateway",
    "aws:ec2/eip:Eip": "aws_eip",
    "aws:ec2/routeTable:RouteTable": "aws_route_table",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "aws_route_table_association",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "aws_default_security_group",
    "aws:ec2/flowLog:FlowLog": "aws_flow_log",
    "aws:ec2/launchTemplate:LaunchTemplate": "aws_launch_template",
    "aws:cloudwatch/logGroup:LogGroup": "aws_cloudwatch_log_group",
    "aws:kms/key:Key": "aws_kms_key",
    "aws:iam/role:Role": "aws_iam_role",
    "aws:iam/rolePolicy:RolePolicy": "aws_iam_role_policy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "aws_iam_role_policy_attachment",
    "aws:iam/policy:Policy": "aws_iam_policy",
    "aws:eks/cluster:Cluster": "aws_eks_cluster",
    "aws:eks/nodeGroup:NodeGroup": "aws_eks_node_group",
    "aws:eks/addon:Addon": "aws_eks_addon",
    "aws:eks/accessEntry:AccessEntry": "aws_eks_access_entry",
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": "aws_eks_access_policy_association",
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": "aws_eks_pod_identity_association",
}
#: Pulumi's plural names of repeatable Terraform blocks.
TERRAFORM_RENAMES = {
    "routes": "route",
    "block_device_mappings": "block_device_mapping",
    "tag_specifications": "tag_specification",
    "pod_identity_associations": "pod_identity_association",
}

#: checkov checks accepted on purpose: check id -> (the only resources it may fail on, as a glob over
#: checkov's `<type>.<name>` address, why).
#: They are not passed as `--skip-check`: they still run on everything else
#: (CKV_AWS_290 and CKV_AWS_355 pass on the inline role policies), and the
#: test proves each one applies here, so a stale entry fails.
SKIP_CHECKS: dict[str, tuple[str, str]] = {
    "CKV_AWS_39": (
        "aws_eks_cluster.*-cluster",
        "the public endpoint stays on so Pulumi and people can reach the API from outside the VPC; it admits "
        "only aws.apiAllowedCidrs (CKV_AWS_38 proves it is never 0.0.0.0/0) and the private endpoint is on",
    ),
    "CKV_AWS_290": (
        "aws_iam_policy.*-lbc-policy",
        "the AWS Load Balancer Controller's policy needs write actions (CreateSecurityGroup, CreateListener, "
        "...) on resources whose ARNs exist only after it creates them; every action EC2 and ELB can scope "
        "is conditioned on the elbv2.k8s.aws/cluster tag",
    ),
    "CKV_AWS_355": (
        "aws_iam_policy.*-lbc-policy",
        "same policy: the ELB and EC2 create and describe actions it needs cannot name a resource ARN",
    ),
}

#: Checks that must have PASSED, by Terraform type (ids from checkov/terraform/checks/).
EXPECTED_CHECKS: dict[str, dict[str, str]] = {
    "aws_eks_cluster": {
        "CKV_AWS_37": "all control-plane log types",
        "CKV_AWS_38": "public endpoint not open to 0.0.0.0/0",
        "CKV_AWS_58": "secrets encryption",
        "CKV_AWS_339": "supported Kubernetes version",
    },
    "aws_eks_node_group": {"CKV_AWS_100": "no SSH from 0.0.0.0/0"},
    "aws_launch_template": {
        "CKV_AWS_79": "IMDSv1 disabled",
        "CKV_AWS_341": "metadata hop limit 1",
        "CKV_AWS_88": "no public IP",
    },
    "aws_kms_key": {"CKV_AWS_7": "rotation", "CKV_AWS_33": "no wildcard principal", "CKV2_AWS_64": "key policy"},
    "aws_cloudwatch_log_group": {
        "CKV_AWS_66": "retention",
        "CKV_AWS_338": "retention of a year",
        "CKV_AWS_158": "KMS encryption",
    },
    "aws_vpc": {"CKV2_AWS_11": "flow logs", "CKV2_AWS_12": "default security group closed"},
    "aws_subnet": {"CKV_AWS_130": "no public IP on launch"},
    "aws_iam_role": {"CKV_AWS_60": "only named services assume it", "CKV_AWS_61": "no account-wide assume"},
}


# --------------------------------------------------------------------------- fixtures and helpers


def _stack(name: str) -> dict[str, Any]:
    doc = yaml.safe_load((STACKS_DIR / f"{name}.yaml").read_text())
    return {key.split(":", 1)[1]: value for key, value in doc["config"].items()}


_PLANS: dict[str, Plan] = {}


@pytest.fixture(scope="module")
def plans() -> Callable[[str], Plan]:
    """Evaluate tests/stacks/<name>.yaml once per module."""

    def get(name: str) -> Plan:
        if name not in _PLANS:
            _PLANS[name] = evaluate(name, config_file=STACKS_DIR / f"{name}.yaml")
        return _PLANS[name]

    return get


def _evaluate_values(tmp_path: Path, values: dict[str, Any], into: Plan | None = None) -> Plan:
    return evaluate("t", config_file=write_stack(tmp_path, values, "t"), into=into)


def of(plan: Plan, type_: str, cluster: str | None = None) -> list[Resource]:
    return [r for r in plan.of_type(type_) if cluster is None or plan.cluster_of(r) == cluster]


def one(plan: Plan, type_: str, cluster: str) -> Resource:
    found = of(plan, type_, cluster)
    assert len(found) == 1, [r.name for r in found]
    return found[0]


def urns(resources: list[Resource]) -> set[str]:
    return {r.urn for r in resources}


def _kubeconfig(plan: Plan, cluster: str) -> dict[str, Any]:
    provider = one(plan, K8S_PROVIDER, cluster)
    assert "kubeconfig" in provider.secret_paths
    return json.loads(provider.inputs["kubeconfig"])


# --------------------------------------------------------------------------- fleet shape


def test_each_region_gets_its_own_cluster_and_aws_provider(plans: Callable[[str], Plan]) -> None:
    plan = plans("aws-auto")
    assert plan.cluster_names == ["aws-eu-west-1", "aws-us-west-2"]
    for cluster in plan.cluster_names:
        component = next(r for r in plan.of_type(EKS) if r.name == cluster)
        provider = one(plan, AWS_PROVIDER, cluster)
        assert provider.inputs["region"] == cluster.removeprefix("aws-")
        assert provider.parent == component.urn
        aws_resources = [r for r in plan if r.type.startswith("aws:") and plan.cluster_of(r) == cluster]
        assert len(aws_resources) > 30
        assert {r.provider for r in aws_resources} == {provider.urn}
        assert {r.parent for r in aws_resources} == {component.urn}
        assert all(r.name.startswith(f"{cluster}-") for r in aws_resources)


def test_clusters_of_two_regions_never_depend_on_each_other(plans: Callable[[str], Plan]) -> None:
    plan = plans("aws-auto")
    assert plan.cross_cluster_edges() == []


@pytest.mark.parametrize("stack", ["aws-auto", "aws-standard", "aws-prod"])
def test_the_app_lands_on_every_cluster_through_its_provider(plans: Callable[[str], Plan], stack: str) -> None:
    plan = plans(stack)
    for cluster in plan.cluster_names:
        provider = one(plan, K8S_PROVIDER, cluster)
        app = [r for r in plan if r.type.startswith("kubernetes:") and r.name.startswith(f"{cluster}-app-")]
        assert len(app) == 8
        assert {r.provider for r in app} == {provider.urn}
        assert plan.outputs["appUrls"][cluster].startswith("http")


# --------------------------------------------------------------------------- network


@pytest.mark.parametrize(("stack", "zones", "nats"), [("aws-auto", 2, 1), ("aws-prod", 3, 3)])
def test_vpc_has_public_and_private_subnets_in_each_zone_and_nat(
    plans: Callable[[str], Plan], stack: str, zones: int, nats: int
) -> None:
    plan = plans(stack)
    cluster = plan.cluster_names[0]
    vpc = one(plan, "aws:ec2/vpc:Vpc", cluster)
    assert vpc.inputs["enableDnsHostnames"] is True and vpc.inputs["enableDnsSupport"] is True
    network = ipaddress.IPv4Network(vpc.inputs["cidrBlock"])
    subnets = of(plan, SUBNET, cluster)
    public = [s for s in subnets if "-public-" in s.name]
    private = [s for s in subnets if "-private-" in s.name]
    region = cluster.removeprefix("aws-")
    expected_zones = [f"{region}{letter}" for letter in "abc"[:zones]]
    assert sorted(s.inputs["availabilityZone"] for s in public) == expected_zones
    assert sorted(s.inputs["availabilityZone"] for s in private) == expected_zones
    cidrs = [ipaddress.IPv4Network(s.inputs["cidrBlock"]) for s in subnets]
    assert all(c.subnet_of(network) for c in cidrs)
    assert not any(a.overlaps(b) for i, a in enumerate(cidrs) for b in cidrs[i + 1 :])
    owned = {f"kubernetes.io/cluster/{cluster}": "owned"}
    for subnet in public:
        assert subnet.inputs["tags"].items() >= {"kubernetes.io/role/elb": "1", **owned}.items()
        assert subnet.inputs["mapPublicIpOnLaunch"] is False
    for subnet in private:
        assert subnet.inputs["tags"].items() >= {"kubernetes.io/role/internal-elb": "1", **owned}.items()
    assert len(of(plan, "aws:ec2/natGateway:NatGateway", cluster)) == nats
    private_tables = [r for r in of(plan, "aws:ec2/routeTable:RouteTable", cluster) if "-private-" in r.name]
    assert len(private_tables) == zones
    nat_ids = {r.inputs["routes"][0]["natGatewayId"] for r in private_tables}
    assert {r.inputs["routes"][0]["cidrBlock"] for r in private_tables} == {"0.0.0.0/0"}
    assert len(nat_ids) == nats and all(n.startswith("nat-") for n in nat_ids)
    public_rt = plan.named(f"{cluster}-public-rt")
    assert public_rt.inputs["routes"] == [{"cidrBlock": "0.0.0.0/0", "gatewayId": f"igw-0{_hex(f'{cluster}-igw')}"}]


def test_subnets_use_the_zones_a_region_offers(tmp_path: Path) -> None:
    values = _stack("aws-standard")
    values["aws"] = {**values["aws"], "regions": ["ap-northeast-1"], "availabilityZones": 3}
    plan = _evaluate_values(tmp_path, values)
    zones = {s.inputs["availabilityZone"] for s in of(plan, SUBNET, "aws-ap-northeast-1")}
    assert zones == {"ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"}, "ap-northeast-1b is closed"


def _hex(name: str) -> str:
    """The 16 hex characters of a mocked EC2 id (tools/mocks.py)."""
    return hashlib.sha256(name.encode()).hexdigest()[:16]


def test_nodes_and_control_plane_enis_live_only_in_private_subnets(plans: Callable[[str], Plan]) -> None:
    plan = plans("aws-standard")
    cluster = "aws-us-east-1"
    private = {f"subnet-0{_hex(s.name)}" for s in of(plan, SUBNET, cluster) if "-private-" in s.name}
    assert len(private) == 2
    assert set(one(plan, NODE_GROUP, cluster).inputs["subnetIds"]) == private
    assert set(one(plan, CLUSTER, cluster).inputs["vpcConfig"]["subnetIds"]) == private


def test_vpc_flow_logs_are_on_and_the_default_security_group_is_closed(plans: Callable[[str], Plan]) -> None:
    plan = plans("aws-standard")
    cluster = "aws-us-east-1"
    vpc = one(plan, "aws:ec2/vpc:Vpc", cluster)
    flow = one(plan, "aws:ec2/flowLog:FlowLog", cluster)
    assert flow.inputs["trafficType"] == "ALL"
    assert flow.inputs["logDestinationType"] == "cloud-watch-logs"
    assert flow.property_dependencies["vpcId"] == [vpc.urn]
    group = plan.named(f"{cluster}-flow-logs")
    assert flow.inputs["logDestination"].endswith(f":log-group:{group.inputs['name']}")
    assert group.inputs["retentionInDays"] == LOG_RETENTION_DAYS
    default_sg = one(plan, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", cluster)
    assert "ingress" not in default_sg.inputs and "egress" not in default_sg.inputs


# --------------------------------------------------------------------------- cluster


def _attached(plan: Plan, role: Resource) -> set[str]:
    return {
        a.inputs["policyArn"].rsplit("/", 1)[-1]
        for a in plan.of_type(ATTACHMENT)
        if a.property_dependencies.get("role") == [role.urn]
    }


@pytest.mark.parametrize(("stack", "mode"), [("aws-auto", AwsMode.AUTO), ("aws-standard", AwsMode.STANDARD)])
def test_roles_have_only_the_managed_policies_their_mode_needs(
    plans: Callable[[str], Plan], stack: str, mode: AwsMode
) -> None:
    plan = plans(stack)
    cluster = plan.cluster_names[0]
    cluster_role = plan.named(f"{cluster}-cluster-role")
    node_role = plan.named(f"{cluster}-node-role")
    assert _attached(plan, cluster_role) == {p.rsplit("/", 1)[-1] for p in CLUSTER_POLICIES[mode]}
    assert _attached(plan, node_role) == {p.rsplit("/", 1)[-1] for p in NODE_POLICIES[mode]}
    trust = json.loads(cluster_role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": ["eks.amazonaws.com"]}
    eks = one(plan, CLUSTER, cluster)
    assert cluster_role.urn in eks.property_dependencies["roleArn"]
    attachments = {a.urn for a in plan.of_type(ATTACHMENT) if a.name.startswith(f"{cluster}-cluster-")}
    assert attachments <= set(eks.dependencies), "the cluster waits for its role's permissions"


@pytest.mark.parametrize("stack", ["aws-auto", "aws-standard"])
def test_cluster_access_is_api_mode_with_explicit_access_entries(plans: Callable[[str], Plan], stack: str) -> None:
    plan = plans(stack)
    admins = _stack(stack)["aws"]["adminRoleArns"]
    for cluster in plan.cluster_names:
        eks = one(plan, CLUSTER, cluster)
        assert eks.inputs["accessConfig"] == {
            "authenticationMode": "API",
            "bootstrapClusterCreatorAdminPermissions": True,
        }
        entries = of(plan, "aws:eks/accessEntry:AccessEntry", cluster)
        assert sorted(e.inputs["principalArn"] for e in entries) == sorted(admins)
        assert all(e.inputs["type"] == "STANDARD" for e in entries)
        policies = of(plan, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation", cluster)
        assert sorted(p.inputs["principalArn"] for p in policies) == sorted(admins)
        for policy in policies:
            assert policy.inputs["policyArn"] == "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
            assert policy.inputs["accessScope"] == {"type": "cluster"}
    config_maps = [r for r in plan if r.type == "kubernetes:core/v1:ConfigMap"]
    assert not [r.name for r in config_maps if r.inputs["metadata"]["name"] == "aws-auth"], "no aws-auth ConfigMap"


def test_two_admins_with_the_same_name_under_different_paths_get_their_own_entries(tmp_path: Path) -> None:
    values = _stack("aws-standard")
    admins = [
        "arn:aws:iam::123456789012:role/deployer",
        "arn:aws:iam::123456789012:role/ci/deployer",
        "arn:aws:iam::123456789012:user/deployer",
        "arn:aws:iam::123456789012:role/platform-admins",
    ]
    values["aws"] = {**values["aws"], "adminRoleArns": admins}
    plan = _evaluate_values(tmp_path, values)
    entries = {e.name: e.inputs["principalArn"] for e in of(plan, "aws:eks/accessEntry:AccessEntry", "aws-us-east-1")}
    assert entries == {
        "aws-us-east-1-access-role-deployer": admins[0],
        "aws-us-east-1-access-role-ci-deployer": admins[1],
        "aws-us-east-1-access-user-deployer": admins[2],
        "aws-us-east-1-access-role-platform-admins": admins[3],
    }
    associations = of(plan, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "aws-us-east-1")
    assert sorted(a.inputs["principalArn"] for a in associations) == sorted(admins)


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("us-west-2", "aws"),
        ("us-gov-west-1", "aws-us-gov"),
        ("cn-north-1", "aws-cn"),
        ("us-iso-east-1", "aws-iso"),
        ("us-isob-east-1", "aws-iso-b"),
        ("eu-isoe-west-1", "aws-iso-e"),
        ("us-isof-south-1", "aws-iso-f"),
    ],
)
def test_arns_use_the_partition_of_the_region(region: str, expected: str) -> None:
    assert partition(region) == expected


def test_private_endpoint_on_public_endpoint_only_for_allowed_cidrs(plans: Callable[[str], Plan]) -> None:
    plan = plans("aws-standard")
    vpc_config = one(plan, CLUSTER, "aws-us-east-1").inputs["vpcConfig"]
    assert vpc_config["endpointPrivateAccess"] is True
    assert vpc_config["endpointPublicAccess"] is True
    assert vpc_config["publicAccessCidrs"] == ["198.51.100.0/24", "203.0.113.0/24"]


def test_no_allowed_cidrs_turns_the_public_endpoint_off_instead_of_opening_it(tmp_path: Path) -> None:
    values = _stack("aws-standard")
    values["aws"] = {**values["aws"], "apiAllowedCidrs": []}
    vpc_config = one(_evaluate_values(tmp_path, values), CLUSTER, "aws-us-east-1").inputs["vpcConfig"]
    assert vpc_config["endpointPrivateAccess"] is True
    assert vpc_config["endpointPublicAccess"] is False, "EKS reads an empty CIDR list as 0.0.0.0/0"
    assert vpc_config.get("publicAccessCidrs") is None


def test_secrets_are_encrypted_with_a_dedicated_rotating_key(plans: Callable[[str], Plan]) -> None:
    plan = plans("aws-standard")
    cluster = "aws-us-east-1"
    eks = one(plan, CLUSTER, cluster)
    key = plan.named(f"{cluster}-secrets-key")
    assert eks.inputs["encryptionConfig"]["resources"] == ["secrets"]
    assert eks.property_dependencies["encryptionConfig"] == [key.urn]
    assert key.inputs["enableKeyRotation"] is True
    policy = json.loads(key.inputs["policy"])
    assert [s["Principal"] for s in policy["Statement"]] == [{"AWS": "arn:aws:iam::123456789012:root"}]
    grant = json.loads(plan.named(f"{cluster}-cluster-encryption").inputs["policy"])["Statement"][0]
    assert grant["Resource"] == eks.inputs["encryptionConfig"]["provider"]["keyArn"]


def test_all_control_plane_logs_go_to_an_encrypted_log_group_with_retention(plans: Callable[[str], Plan]) -> None:
    plan = plans("aws-standard")
    cluster = "aws-us-east-1"
    eks = one(plan, CLUSTER, cluster)
    assert eks.inputs["enabledClusterLogTypes"] == list(CONTROL_PLANE_LOG_TYPES)
    assert set(CONTROL_PLANE_LOG_TYPES) == {"api", "audit", "authenticator", "controllerManager", "scheduler"}
    group = plan.named(f"{cluster}-cluster-logs")
    assert group.inputs["name"] == f"/aws/eks/{cluster}/cluster"
    assert group.inputs["retentionInDays"] == LOG_RETENTION_DAYS
    assert group.property_dependencies["kmsKeyId"] == [plan.named(f"{cluster}-logs-key").urn]
    assert group.urn in eks.dependencies, "created before EKS creates it without retention"


@pytest.mark.parametrize(("stack", "version"), [("aws-auto", "1.35"), ("aws-prod", "1.35")])
def test_standard_support_upgrade_policy_and_version(plans: Callable[[str], Plan], stack: str, version: str) -> None:
    plan = plans(stack)
    for eks in plan.of_type(CLUSTER):
        assert eks.inputs["upgradePolicy"] == {"supportType": "STANDARD"}
        assert eks.inputs["version"] == version
        assert eks.inputs["bootstrapSelfManagedAddons"] is False


def test_prod_is_protected_with_deletion_protection(plans: Callable[[str], Plan]) -> None:
    plan = plans("aws-prod")
    cluster = "aws-us-west-2"
    eks = one(plan, CLUSTER, cluster)
    assert eks.protect and eks.inputs["deletionProtection"] is True
    for name in ("vpc", "secrets-key", "logs-key", "cluster-logs", "flow-logs"):
        assert plan.named(f"{cluster}-{name}").protect, name
    assert all(s.protect for s in of(plan, SUBNET, cluster))
    dev = plans("aws-standard")
    assert not [r.name for r in dev if r.protect]
    assert one(dev, CLUSTER, "aws-us-east-1").inputs["deletionProtection"] is False


def test_every_taggable_aws_resource_is_tagged(plans: Callable[[str], Plan]) -> None:
    plan = plans("aws-standard")
    untaggable = {
        ATTACHMENT,
        "aws:iam/rolePolicy:RolePolicy",
        "aws:ec2/routeTableAssociation:RouteTableAssociation",
        "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
    }
    resources = [r for r in plan if r.type.startswith("aws:") and r.type not in untaggable]
    assert len(resources) > 30
    for resource in resources:
        tags = resource.inputs.get("tags", {})
        assert tags.get("multicloud:environment") == "dev", resource.name
        assert tags.get("kubernetes.io/cluster/aws-us-east-1") == "owned", resource.name


# --------------------------------------------------------------------------- Auto Mode


def test_auto_mode_runs_the_builtin_node_pools_storage_and_load_balancing(plans: Callable[[str], Plan]) -> None:
    plan = plans("aws-auto")
    for cluster in plan.cluster_names:
        eks = one(plan, CLUSTER, cluster)
        node_role = plan.named(f"{cluster}-node-role")
        compute = eks.inputs["computeConfig"]
        assert compute["enabled"] is True
        assert compute["nodePools"] == ["general-purpose", "system"]
        assert node_role.urn in eks.property_dependencies["computeConfig"]
        assert eks.inputs["kubernetesNetworkConfig"] == {"elasticLoadBalancing": {"enabled": True}}
        assert eks.inputs["storageConfig"] == {"blockStorage": {"enabled": True}}
        assert not of(plan, NODE_GROUP, cluster) and not of(plan, RELEASE, cluster)
        assert [a.inputs["addonName"] for a in of(plan, ADDON, cluster)] == ["metrics-server"], "AWS runs the rest"
        trust = json.loads(plan.named(f"{cluster}-cluster-role").inputs["assumeRolePolicy"])["Statement"][0]
        assert trust["Action"] == ["sts:AssumeRole", "sts:TagSession"]


def test_auto_mode_ingress_class_for_the_builtin_alb_controller(plans: Callable[[str], Plan]) -> None:
    plan = plans("aws-auto")
    for cluster in plan.cluster_names:
        provider = one(plan, K8S_PROVIDER, cluster)
        params = one(plan, INGRESS_CLASS_PARAMS, cluster)
        ingress_class = one(plan, INGRESS_CLASS, cluster)
        assert params.inputs["apiVersion"] == "eks.amazonaws.com/v1"
        assert params.inputs["kind"] == "IngressClassParams"
        assert params.inputs["spec"] == {"scheme": "internet-facing"}
        assert ingress_class.inputs["spec"] == {
            "controller": "eks.amazonaws.com/alb",
            "parameters": {"apiGroup": "eks.amazonaws.com", "kind": "IngressClassParams", "name": "alb"},
        }
        assert ingress_class.inputs["metadata"]["name"] == "alb"
        assert params.urn in ingress_class.dependencies
        assert {params.provider, ingress_class.provider} == {provider.urn}


# --------------------------------------------------------------------------- standard mode


def test_standard_mode_node_group_on_al2023_with_a_hardened_launch_template(plans: Callable[[str], Plan]) -> None:
    plan = plans("aws-standard")
    cluster = "aws-us-east-1"
    group = one(plan, NODE_GROUP, cluster)
    template = one(plan, "aws:ec2/launchTemplate:LaunchTemplate", cluster)
    assert group.inputs["amiType"] == "AL2023_ARM_64_STANDARD", "m7g/m6g are Graviton"
    assert group.inputs["instanceTypes"] == ["m7g.large", "m6g.large"]
    assert group.inputs["capacityType"] == "SPOT", "the dev profile's default"
    assert group.inputs["scalingConfig"] == {"minSize": 2, "maxSize": 5, "desiredSize": 2}
    assert group.ignore_changes == ["scalingConfig.desiredSize"]
    assert group.inputs["updateConfig"] == {"maxUnavailable": 1}
    assert "remoteAccess" not in group.inputs and "diskSize" not in group.inputs
    assert group.property_dependencies["launchTemplate"] == [template.urn]
    assert template.inputs["metadataOptions"] == {
        "httpEndpoint": "enabled",
        "httpTokens": "required",
        "httpPutResponseHopLimit": 1,
    }
    assert template.inputs["blockDeviceMappings"] == [
        {
            "deviceName": "/dev/xvda",
            "ebs": {"volumeSize": 80, "volumeType": "gp3", "encrypted": "true", "deleteOnTermination": "true"},
        }
    ]
    prod = plans("aws-prod")
    prod_group = one(prod, NODE_GROUP, "aws-us-west-2")
    assert prod_group.inputs["amiType"] == "AL2023_x86_64_STANDARD"
    assert prod_group.inputs["capacityType"] == "ON_DEMAND"
    assert prod_group.inputs["scalingConfig"] == {"minSize": 3, "maxSize": 10, "desiredSize": 3}


def test_standard_mode_addons_are_installed_around_the_node_group(plans: Callable[[str], Plan]) -> None:
    plan = plans("aws-standard")
    cluster = "aws-us-east-1"
    group = one(plan, NODE_GROUP, cluster)
    addons = {a.inputs["addonName"]: a for a in of(plan, ADDON, cluster)}
    assert set(addons) == {
        "vpc-cni",
        "coredns",
        "kube-proxy",
        "eks-pod-identity-agent",
        "aws-ebs-csi-driver",
        "metrics-server",
    }
    for name in ("vpc-cni", "kube-proxy", "eks-pod-identity-agent"):
        assert addons[name].urn in group.dependencies, f"nodes need {name} to become Ready"
    for name in ("coredns", "aws-ebs-csi-driver", "metrics-server"):
        assert group.urn in addons[name].dependencies, f"{name} runs as pods on the nodes"
    ebs = addons["aws-ebs-csi-driver"]
    ebs_role = plan.named(f"{cluster}-ebs-csi-role")
    [association] = ebs.inputs["podIdentityAssociations"]
    assert association["serviceAccount"] == "ebs-csi-controller-sa"
    assert association["roleArn"].startswith("arn:aws:iam::123456789012:role/aws-us-east-1-ebs-csi-role-")
    assert ebs_role.urn in ebs.property_dependencies["podIdentityAssociations"]
    assert _attached(plan, ebs_role) == {"AmazonEBSCSIDriverPolicy"}


def test_standard_mode_load_balancer_controller_is_a_helm_v3_release_with_pod_identity(
    plans: Callable[[str], Plan],
) -> None:
    plan = plans("aws-standard")
    cluster = "aws-us-east-1"
    release = plan.named(f"{cluster}-lbc")
    association = plan.named(f"{cluster}-lbc-identity")
    role = plan.named(f"{cluster}-lbc-role")
    assert release.provider == one(plan, K8S_PROVIDER, cluster).urn
    assert release.inputs["chart"] == "aws-load-balancer-controller"
    assert release.inputs["repositoryOpts"] == {"repo": "https://aws.github.io/eks-charts"}
    assert release.inputs["version"]
    assert release.inputs["namespace"] == "kube-system"
    values = release.inputs["values"]
    assert values["clusterName"] == cluster and values["region"] == "us-east-1"
    assert values["vpcId"].startswith("vpc-")
    assert values["serviceAccount"] == {"create": True, "name": "aws-load-balancer-controller"}
    assert values["createIngressClassResource"] is False
    assert {one(plan, NODE_GROUP, cluster).urn, association.urn} <= set(release.dependencies)
    assert association.inputs["namespace"] == "kube-system"
    assert association.inputs["serviceAccount"] == "aws-load-balancer-controller"
    assert association.property_dependencies["roleArn"] == [role.urn]
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": ["pods.eks.amazonaws.com"]}
    assert trust["Action"] == ["sts:AssumeRole", "sts:TagSession"]
    policy = plan.named(f"{cluster}-lbc-policy")
    actions = {a for s in json.loads(policy.inputs["policy"])["Statement"] for a in _list(s["Action"])}
    assert {"elasticloadbalancing:CreateLoadBalancer", "ec2:CreateSecurityGroup"} <= actions
    assert not [r for r in plan if r.type.startswith("kubernetes:helm.sh/v4")], "helm v4 Chart cannot preview"
    ingress_class = one(plan, INGRESS_CLASS, cluster)
    assert ingress_class.inputs["spec"] == {"controller": "ingress.k8s.aws/alb"}
    assert ingress_class.inputs["metadata"]["name"] == "alb"
    assert release.urn in ingress_class.dependencies


def test_standard_mode_cluster_autoscaler_resizes_only_its_own_node_group(plans: Callable[[str], Plan]) -> None:
    plan = plans("aws-standard")
    cluster = "aws-us-east-1"
    group = one(plan, NODE_GROUP, cluster)
    assert group.ignore_changes == ["scalingConfig.desiredSize"], "the autoscaler owns the desired size"
    release = plan.named(f"{cluster}-autoscaler")
    association = plan.named(f"{cluster}-autoscaler-identity")
    role = plan.named(f"{cluster}-autoscaler-role")
    assert release.type == RELEASE and release.provider == one(plan, K8S_PROVIDER, cluster).urn
    assert release.inputs["chart"] == "cluster-autoscaler"
    assert release.inputs["repositoryOpts"] == {"repo": "https://kubernetes.github.io/autoscaler"}
    assert release.inputs["namespace"] == "kube-system"
    values = release.inputs["values"]
    assert values["cloudProvider"] == "aws" and values["awsRegion"] == "us-east-1"
    assert values["fullnameOverride"] == "cluster-autoscaler", "the README's deploy/cluster-autoscaler"
    assert values["autoDiscovery"] == {"clusterName": cluster}
    # The autoscaler simulates the scheduler of its own minor version.
    version = one(plan, CLUSTER, cluster).inputs["version"]
    assert values["image"]["tag"] == f"v{version}.0"
    assert values["rbac"]["serviceAccount"] == {"create": True, "name": association.inputs["serviceAccount"]}
    assert association.inputs["namespace"] == release.inputs["namespace"]
    assert association.property_dependencies["roleArn"] == [role.urn]
    assert {group.urn, association.urn, plan.named(f"{cluster}-addon-coredns").urn} <= set(release.dependencies)
    assert values["securityContext"]["runAsNonRoot"] is True
    assert values["containerSecurityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    # Nodes running the app (emptyDir /tmp) must still be able to scale down.
    assert values["extraArgs"]["skip-nodes-with-local-storage"] is False

    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": ["pods.eks.amazonaws.com"]}
    policy = plan.named(f"{cluster}-autoscaler-policy")
    [attachment] = [a for a in plan.of_type(ATTACHMENT) if a.property_dependencies.get("role") == [role.urn]]
    assert attachment.property_dependencies["policyArn"] == [policy.urn], "the role has only its own policy"
    statements = json.loads(policy.inputs["policy"])["Statement"]
    writes = [
        s for s in statements if any(not a.split(":")[1].startswith(("Describe", "Get")) for a in _list(s["Action"]))
    ]
    assert [sorted(_list(s["Action"])) for s in writes] == [
        ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"]
    ]
    [write] = writes
    assert write["Condition"] == {"StringEquals": {f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster}": "owned"}}
    assert write["Resource"].startswith("arn:aws:autoscaling:us-east-1:")
    describe_nodegroup = next(s for s in statements if s["Action"] == "eks:DescribeNodegroup")
    assert describe_nodegroup["Resource"] == f"arn:aws:eks:us-east-1:*:nodegroup/{cluster}/*/*"


@pytest.mark.parametrize(("stack", "nodes"), [("aws-auto", RT_LINK), ("aws-standard", NODE_GROUP)])
def test_the_metrics_api_the_app_autoscaler_reads_is_installed_in_both_modes(
    plans: Callable[[str], Plan], stack: str, nodes: str
) -> None:
    plan = plans(stack)
    for cluster in plan.cluster_names:
        [metrics] = [a for a in of(plan, ADDON, cluster) if a.inputs["addonName"] == "metrics-server"]
        assert metrics.provider == one(plan, AWS_PROVIDER, cluster).urn
        assert metrics.property_dependencies["clusterName"] == [one(plan, CLUSTER, cluster).urn]
        # It runs as pods: on the node group, or on nodes Auto Mode launches behind the NAT routes.
        needs = {r.urn for r in of(plan, nodes, cluster) if "-private-" in r.name or nodes == NODE_GROUP}
        assert needs and needs <= set(metrics.dependencies)
        hpa = next(r for r in of(plan, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", cluster))
        assert hpa.inputs["spec"]["metrics"][0]["resource"]["name"] == "cpu", "what the metrics API serves"


def test_auto_mode_installs_no_autoscaler_or_controller(plans: Callable[[str], Plan]) -> None:
    plan = plans("aws-auto")
    assert not [r.name for r in plan if r.type == RELEASE], "Auto Mode scales nodes and runs the ALB controller itself"


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --------------------------------------------------------------------------- the app on the cluster


@pytest.mark.parametrize(
    ("stack", "waits_for"),
    [
        ("aws-auto", {CLUSTER, CONFIG_MAP, INGRESS_CLASS_PARAMS, INGRESS_CLASS}),
        ("aws-standard", {NODE_GROUP, ADDON, RELEASE, INGRESS_CLASS}),
    ],
)
# Two Helm releases in standard mode: the load balancer controller and the cluster autoscaler.
def test_app_objects_wait_for_the_nodes_and_the_ingress_class(
    plans: Callable[[str], Plan], stack: str, waits_for: set[str]
) -> None:
    plan = plans(stack)
    for cluster in plan.cluster_names:
        ready = {r.urn for r in plan if plan.cluster_of(r) == cluster and r.type in waits_for}
        ready = {u for u in ready if plan.by_urn(u).type != ADDON or "coredns" in u}
        ready = {
            u
            for u in ready
            if plan.by_urn(u).type != CONFIG_MAP or not plan.by_urn(u).name.startswith(f"{cluster}-app-")
        }
        releases = sum(plan.by_urn(u).type == RELEASE for u in ready)
        assert len(ready) == len(waits_for) + max(releases - 1, 0)
        assert releases in (0, 2), "standard mode: the load balancer controller and the cluster autoscaler"
        for type_ in APP_WAITS:
            resource = next(r for r in of(plan, type_, cluster) if r.name.startswith(f"{cluster}-app-"))
            assert ready <= set(resource.dependencies), (
                f"{resource.name} must wait for {ready - set(resource.dependencies)}"
            )


@pytest.mark.parametrize(("stack", "launches_nodes"), [("aws-auto", CLUSTER), ("aws-standard", NODE_GROUP)])
def test_nodes_launch_only_once_the_private_subnets_route_through_nat(
    plans: Callable[[str], Plan], stack: str, launches_nodes: str
) -> None:
    plan = plans(stack)
    for cluster in plan.cluster_names:
        links = [r for r in of(plan, RT_LINK, cluster) if r.name.startswith(f"{cluster}-private-")]
        assert len(links) == len(of(plan, SUBNET, cluster)) // 2
        nats = {n.urn for n in of(plan, "aws:ec2/natGateway:NatGateway", cluster)}
        for link in links:
            table = plan.named(link.name.removesuffix("-link"))
            assert link.property_dependencies["routeTableId"] == [table.urn]
            assert set(table.property_dependencies["routes"]) <= nats and table.property_dependencies["routes"]
        if launches_nodes == NODE_GROUP:
            waiting = one(plan, NODE_GROUP, cluster).dependencies
        else:  # Auto Mode launches nodes when the app's pods are pending
            waiting = next(r for r in of(plan, "kubernetes:apps/v1:Deployment", cluster)).dependencies
        assert {r.urn for r in links} <= set(waiting), "nodes need the NAT route to pull images and join"


@pytest.mark.parametrize("stack", ["aws-auto", "aws-standard"])
def test_network_policies_are_enforced(plans: Callable[[str], Plan], stack: str) -> None:
    plan = plans(stack)
    for cluster in plan.cluster_names:
        netpol = plan.named(f"{cluster}-app-netpol")
        if stack == "aws-standard":
            cni = next(a for a in of(plan, ADDON, cluster) if a.inputs["addonName"] == "vpc-cni")
            assert json.loads(cni.inputs["configurationValues"]) == {"enableNetworkPolicy": "true"}
            assert cni.urn in one(plan, NODE_GROUP, cluster).dependencies
        else:
            config = next(r for r in of(plan, CONFIG_MAP, cluster) if r.inputs["metadata"]["name"] == "amazon-vpc-cni")
            assert config.inputs["metadata"]["namespace"] == "kube-system"
            assert config.inputs["data"] == {"enable-network-policy-controller": "true"}
            assert config.provider == one(plan, K8S_PROVIDER, cluster).urn
            namespace = plan.named(f"{cluster}-app-namespace")
            assert namespace.urn in netpol.dependencies
            assert config.urn in namespace.dependencies, "the app's policy is enforced from its first moment"


def test_ingress_contract_is_an_internet_facing_alb_with_ip_targets(plans: Callable[[str], Plan]) -> None:
    plan = plans("aws-standard")
    cluster = "aws-us-east-1"
    ingress = plan.named(f"{cluster}-app-ingress")
    assert ingress.inputs["spec"]["ingressClassName"] == "alb"
    assert ingress.inputs["metadata"]["annotations"] == {
        "alb.ingress.kubernetes.io/scheme": "internet-facing",
        "alb.ingress.kubernetes.io/target-type": "ip",
        ALB_HEALTH_CHECK_PATH_ANNOTATION: "/readyz",
    }
    assert plan.named(f"{cluster}-app-service").inputs["spec"]["type"] == "ClusterIP"
    netpol = plan.named(f"{cluster}-app-netpol")
    vpc_cidr = one(plan, "aws:ec2/vpc:Vpc", cluster).inputs["cidrBlock"]
    assert netpol.inputs["spec"]["ingress"][0]["from"] == [{"ipBlock": {"cidr": vpc_cidr}}]
    assert plan.outputs["appUrls"][cluster].endswith(".elb.amazonaws.com"), "read back from the Ingress status"


# --------------------------------------------------------------------------- kubeconfig and provider


def test_kubeconfig_uses_exec_auth_with_the_assumed_role_and_is_secret(plans: Callable[[str], Plan]) -> None:
    plan = plans("aws-auto")
    for cluster in plan.cluster_names:
        kubeconfig = _kubeconfig(plan, cluster)
        region = cluster.removeprefix("aws-")
        server = kubeconfig["clusters"][0]["cluster"]["server"]
        assert server.startswith("https://") and server.endswith(f".gr7.{region}.eks.amazonaws.com")
        assert kubeconfig["clusters"][0]["cluster"]["certificate-authority-data"]
        user = kubeconfig["users"][0]["user"]
        assert set(user) == {"exec"}, "no token, key or certificate baked in"
        assert user["exec"]["command"] == "aws"
        assert "env" not in user["exec"], "no AWS_PROFILE baked in"
        args = user["exec"]["args"]
        assert args[:2] == ["eks", "get-token"]
        assert args[args.index("--cluster-name") + 1] == cluster
        assert args[args.index("--region") + 1] == region
        assert args[args.index("--role-arn") + 1] == "arn:aws:iam::123456789012:role/deployer"
    assert "kubeconfigs" in plan.secret_outputs


def test_kubeconfig_without_assume_role_uses_the_callers_identity(plans: Callable[[str], Plan]) -> None:
    args = _kubeconfig(plans("aws-standard"), "aws-us-east-1")["users"][0]["user"]["exec"]["args"]
    assert "--role-arn" not in args


def test_provider_identity_is_the_cluster_not_its_credentials(plans: Callable[[str], Plan], tmp_path: Path) -> None:
    plan = plans("aws-standard")
    provider = one(plan, K8S_PROVIDER, "aws-us-east-1")
    arn = "arn:aws:eks:us-east-1:123456789012:cluster/aws-us-east-1"
    assert provider.inputs["clusterIdentifier"].startswith(f"{arn}@")
    assert provider.property_dependencies["clusterIdentifier"] == [one(plan, CLUSTER, "aws-us-east-1").urn]
    values = _stack("aws-standard")
    values["app"] = {**values["app"], "name": "other", "port": 9000}
    values["aws"] = {**values["aws"], "assumeRoleArn": "arn:aws:iam::123456789012:role/other"}
    after = one(_evaluate_values(tmp_path, values), K8S_PROVIDER, "aws-us-east-1")
    assert after.inputs["clusterIdentifier"] == provider.inputs["clusterIdentifier"]


# --------------------------------------------------------------------------- config errors

APP = {"name": "hello", "image": "ghcr.io/acme/hello@sha256:" + "a" * 64}


@pytest.mark.parametrize(
    ("environment", "aws", "path", "message"),
    [
        ("dev", {"kubernetesVersion": "1.29"}, "aws.kubernetesVersion", "EKS standard support"),
        ("dev", {"mode": "fargate"}, "aws.mode", "'auto' or 'standard'"),
        (
            "dev",
            {
                "regions": ["us-west-2", "eu-west-1"],
                "vpcCidr": {"us-west-2": "10.8.0.0/16", "eu-west-1": "10.8.128.0/20"},
            },
            "aws.vpcCidr.eu-west-1",
            "must not overlap",
        ),
        ("dev", {"vpcCidr": {"us-west-2": "10.8.0.0/24"}}, "aws.vpcCidr", "/16 to /20"),
        ("dev", {"vpcCidr": {"eu-west-3": "10.8.0.0/16"}}, "aws.vpcCidr.eu-west-3", "names no region"),
        ("dev", {"regions": ["eu-isoe-west-1"]}, "aws.vpcCidr.eu-isoe-west-1", "no default VPC CIDR"),
        ("dev", {"nodes": {"minSize": 4, "maxSize": 2}}, "aws.nodes.minSize", "must not exceed nodes.maxSize (2)"),
        ("dev", {"nodes": {"capacityType": "RESERVED"}}, "aws.nodes.capacityType", "ON_DEMAND"),
        (
            "dev",
            {"nodes": {"instanceTypes": ["m7g.large", "m6i.large"]}},
            "aws.nodes.instanceTypes",
            "one CPU architecture",
        ),
        ("dev", {"availabilityZones": 4}, "aws.availabilityZones", "less than or equal to 3"),
        ("dev", {"adminRoleArns": ["admin"]}, "aws.adminRoleArns", "IAM role or user ARN"),
        ("dev", {"assumeRoleArn": "arn:aws:iam::123456789012:user/me"}, "aws.assumeRoleArn", "IAM role ARN"),
        ("prod", {"apiAllowedCidrs": ["0.0.0.0/0"]}, "aws.apiAllowedCidrs", "must not contain 0.0.0.0/0 in prod"),
        ("prod", {}, "aws.apiAllowedCidrs", "required in prod"),
        ("dev", {"apiAllowedCidrs": ["10.0.0.1/8"]}, "aws.apiAllowedCidrs", "no host bits"),
    ],
)
def test_bad_aws_config_is_a_config_error_naming_the_key(
    environment: str, aws: dict[str, Any], path: str, message: str
) -> None:
    section = {"enabled": True, "regions": ["us-west-2"], **aws}
    with pytest.raises(ConfigError) as error:
        parse({"environment": environment, "aws": section, "app": APP})
    found = [i for i in error.value.issues if i.path == path]
    assert found, str(error.value)
    assert message in found[0].allowed, str(error.value)


def test_a_bad_aws_config_registers_nothing(tmp_path: Path) -> None:
    into = Plan("t")
    values = {"environment": "prod", "aws": {"enabled": True, "regions": ["us-west-2"]}, "app": APP}
    with pytest.raises(ConfigError, match=r"multicloud:aws\.apiAllowedCidrs"):
        _evaluate_values(tmp_path, values, into=into)
    assert [r.type for r in into] == ["pulumi:pulumi:Stack"]


def test_default_vpc_cidrs_never_overlap_across_regions() -> None:
    regions = sorted(AWS_DEFAULT_VPC_OCTETS)
    config = parse({"aws": {"enabled": True, "regions": regions}, "app": APP})
    networks = [ipaddress.IPv4Network(config.aws.vpc_cidr_of(r) or "") for r in regions]
    assert not any(a.overlaps(b) for i, a in enumerate(networks) for b in networks[i + 1 :])
    reordered = parse({"aws": {"enabled": True, "regions": list(reversed(regions))}, "app": APP})
    assert all(reordered.aws.vpc_cidr_of(r) == config.aws.vpc_cidr_of(r) for r in regions), "order never moves one"


# --------------------------------------------------------------------------- checkov


def test_checkov_terraform_plan_scan_passes_and_runs_the_eks_checks(
    plans: Callable[[str], Plan], tmp_path: Path
) -> None:
    files = []
    for stack in ("aws-auto", "aws-standard", "aws-prod"):
        path = tmp_path / f"{stack}.json"
        path.write_text(json.dumps(to_terraform_plan(plans(stack), TERRAFORM_TYPES, TERRAFORM_RENAMES)))
        files += ["-f", str(path)]
    results = checkov.scan("terraform_plan", files)
    failures = results["failed_checks"]
    unexpected = [
        f"{c['check_id']} {c['resource']}: {c['check_name']}"
        for c in failures
        if c["check_id"] not in SKIP_CHECKS or not fnmatch.fnmatchcase(c["resource"], SKIP_CHECKS[c["check_id"]][0])
    ]
    assert unexpected == [], "\n".join(unexpected)
    passed: dict[str, set[str]] = {}
    for check in results["passed_checks"]:
        passed.setdefault(check["resource"].split(".", 1)[0], set()).add(check["check_id"])
    for tf_type, checks in EXPECTED_CHECKS.items():
        missing = {cid: why for cid, why in checks.items() if cid not in passed.get(tf_type, set())}
        assert not missing, f"{tf_type}: expected checks did not pass: {missing}"
    # The Cluster Autoscaler's policy is scoped tightly enough to pass the checks the controller's cannot.
    autoscaler = {c["check_id"] for c in results["passed_checks"] if c["resource"].endswith("-autoscaler-policy")}
    assert {"CKV_AWS_290", "CKV_AWS_355"} <= autoscaler, autoscaler
    assert {c["check_id"] for c in failures} == set(SKIP_CHECKS), "every accepted check applies here"
