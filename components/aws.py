"""EksCluster: one production-grade EKS cluster in one region, with its own VPC and providers.

Read top to bottom, the file builds what a cluster needs in the order AWS
creates it: the region's provider, the network (VPC, subnets in every zone,
NAT, flow logs), the encryption keys and log groups, the cluster itself with
its access entries, then the nodes of its mode:

* `auto`: EKS Auto Mode. AWS runs the nodes (built-in node pools), the load
  balancer controller and the EBS driver; we add the `IngressClassParams` and
  `IngressClass` of its built-in ALB controller, and turn on NetworkPolicy
  enforcement (off by default in both modes).
* `standard`: a managed node group on AL2023 from a hardened launch template,
  the EKS add-ons, the AWS Load Balancer Controller and the Cluster Autoscaler
  (Helm, Pod Identity).

The bar is the defaults of terraform-aws-modules/terraform-aws-eks: private
nodes, secrets encryption, every control-plane log, API access entries only.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_kubernetes as k8s
from pulumi_aws import cloudwatch, ec2, eks, iam, kms
from pulumi_aws.provider import Provider as AwsProvider

from components.cluster import ClusterComponent, ClusterTarget, IngressContract, exec_kubeconfig
from stacks.config import AwsCapacityType, AwsMode, aws_arm64

# --------------------------------------------------------------------------- cloud facts

#: Control-plane log types; all five go to CloudWatch.
CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
#: How long control-plane and VPC flow logs are kept (a year: the usual audit baseline).
LOG_RETENTION_DAYS = 365
#: Days a deleted KMS key can still be recovered (the maximum).
KMS_DELETION_WINDOW_DAYS = 30

#: AWS managed policies the cluster role needs, by mode (name under `arn:<partition>:iam::aws:policy/`).
CLUSTER_POLICIES: Mapping[AwsMode, tuple[str, ...]] = {
    AwsMode.AUTO: (
        "AmazonEKSClusterPolicy",
        "AmazonEKSComputePolicy",
        "AmazonEKSBlockStoragePolicy",
        "AmazonEKSLoadBalancingPolicy",
        "AmazonEKSNetworkingPolicy",
    ),
    AwsMode.STANDARD: ("AmazonEKSClusterPolicy",),
}
#: AWS managed policies the node role needs, by mode.
NODE_POLICIES: Mapping[AwsMode, tuple[str, ...]] = {
    AwsMode.AUTO: ("AmazonEKSWorkerNodeMinimalPolicy", "AmazonEC2ContainerRegistryPullOnly"),
    AwsMode.STANDARD: ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly", "AmazonEKS_CNI_Policy"),
}
#: Managed policy of the EBS CSI driver (standard mode; Auto Mode ships its own driver).
EBS_CSI_POLICY = "service-role/AmazonEBSCSIDriverPolicy"
#: EKS access policy given to `adminRoleArns`.
CLUSTER_ADMIN_ACCESS_POLICY = "AmazonEKSClusterAdminPolicy"

#: Built-in node pools of Auto Mode: `system` for cluster add-ons, `general-purpose` for workloads.
AUTO_NODE_POOLS = ("general-purpose", "system")

#: EKS add-ons of standard mode that nodes need to become Ready: installed before the node group.
ADDONS_BEFORE_NODES = ("vpc-cni", "kube-proxy", "eks-pod-identity-agent")
#: EKS add-ons that run as pods: installed once the node group has nodes.
ADDONS_AFTER_NODES = ("coredns", "aws-ebs-csi-driver")
#: EKS community add-on serving the metrics API the app's HorizontalPodAutoscaler reads CPU from.
#: EKS installs no metrics server of its own (GKE and AKS do), in either mode.
METRICS_SERVER_ADDON = "metrics-server"
#: Service account of the EBS CSI controller, bound to its IAM role through Pod Identity.
EBS_CSI_SERVICE_ACCOUNT = "ebs-csi-controller-sa"
#: Add-on configuration: the VPC CNI enforces NetworkPolicies only when asked (off by default).
ADDON_CONFIGURATION = {"vpc-cni": {"enableNetworkPolicy": "true"}}
#: Auto Mode enforces NetworkPolicies only once this ConfigMap exists (kube-system/amazon-vpc-cni).
AUTO_NETWORK_POLICY_CONFIG = {"enable-network-policy-controller": "true"}

#: AL2023 AMI types of managed node groups, by CPU architecture.
AMI_TYPES = {"x86_64": "AL2023_x86_64_STANDARD", "arm64": "AL2023_ARM_64_STANDARD"}
#: Root device of the AL2023 EKS AMIs.
ROOT_DEVICE = "/dev/xvda"
#: Nodes a rolling node-group update may take away at once.
NODE_MAX_UNAVAILABLE = 1

#: The AWS Load Balancer Controller (standard mode), pinned.
LB_CONTROLLER_CHART = "aws-load-balancer-controller"
LB_CONTROLLER_VERSION = "1.13.0"
LB_CONTROLLER_REPO = "https://aws.github.io/eks-charts"
LB_CONTROLLER_NAMESPACE = "kube-system"
LB_CONTROLLER_SERVICE_ACCOUNT = "aws-load-balancer-controller"

#: The Cluster Autoscaler (standard mode): it owns the node group's desired size, between its min and max.
CLUSTER_AUTOSCALER_CHART = "cluster-autoscaler"
CLUSTER_AUTOSCALER_VERSION = "9.56.0"
CLUSTER_AUTOSCALER_REPO = "https://kubernetes.github.io/autoscaler"
CLUSTER_AUTOSCALER_IMAGE = "registry.k8s.io/autoscaling/cluster-autoscaler"
CLUSTER_AUTOSCALER_NAMESPACE = "kube-system"
CLUSTER_AUTOSCALER_SERVICE_ACCOUNT = "cluster-autoscaler"
#: Its arguments: spread over zones (one group spans them), pack by least waste, and let nodes
#: whose pods keep only scratch space (the app's emptyDir /tmp) scale down.
CLUSTER_AUTOSCALER_ARGS = {
    "balance-similar-node-groups": True,
    "expander": "least-waste",
    "skip-nodes-with-local-storage": False,
}
#: ASG tag EKS puts on a managed node group's Auto Scaling group, with the value `owned`.
CLUSTER_AUTOSCALER_OWNER_TAG = "k8s.io/cluster-autoscaler/{cluster}"

#: Name of the IngressClass the app's Ingress uses, in both modes.
INGRESS_CLASS = "alb"
#: `spec.controller` of that class: the Auto Mode built-in ALB controller, or the Helm-installed one.
INGRESS_CONTROLLERS = {AwsMode.AUTO: "eks.amazonaws.com/alb", AwsMode.STANDARD: "ingress.k8s.aws/alb"}
#: Ingress annotations of an internet-facing ALB that sends straight to pod IPs.
ALB_INGRESS_ANNOTATIONS = {
    "alb.ingress.kubernetes.io/scheme": "internet-facing",
    "alb.ingress.kubernetes.io/target-type": "ip",
}
#: Ingress annotation that carries the app's readiness path to the ALB health check.
ALB_HEALTH_CHECK_PATH_ANNOTATION = "alb.ingress.kubernetes.io/healthcheck-path"

#: Zone letters of regions that do not offer `a`, `b`, `c` to every account (ap-northeast-1b
#: is closed to newer accounts). Other regions use `abc`.
ZONE_LETTERS: Mapping[str, str] = {"ap-northeast-1": "acd"}

#: Subnet tags load balancers and Auto Mode discover subnets by.
PUBLIC_SUBNET_ROLE = {"kubernetes.io/role/elb": "1"}
PRIVATE_SUBNET_ROLE = {"kubernetes.io/role/internal-elb": "1"}


#: Region prefixes of the partitions other than `aws` (the isolated ones are `us-iso-`, `us-isob-`, ...).
PARTITIONS = {
    "us-gov-": "aws-us-gov",
    "cn-": "aws-cn",
    "us-iso-": "aws-iso",
    "us-isob-": "aws-iso-b",
    "eu-isoe-": "aws-iso-e",
    "us-isof-": "aws-iso-f",
}


def partition(region: str) -> str:
    """The AWS partition of a region (`aws`, `aws-us-gov`, `aws-cn`, `aws-iso`, ...)."""
    return next((part for prefix, part in PARTITIONS.items() if region.startswith(prefix)), "aws")


def _managed_policy(part: str, name: str) -> str:
    return f"arn:{part}:iam::aws:policy/{name}"


def _trust(*services: str, tag_session: bool = False) -> str:
    actions = ["sts:AssumeRole", "sts:TagSession"] if tag_session else ["sts:AssumeRole"]
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": list(services)}, "Action": actions}],
        }
    )


def _allow(actions: Sequence[str], resource: str | Sequence[str]) -> str:
    """An identity policy that allows `actions` on `resource` and nothing else."""
    statement = {"Effect": "Allow", "Action": list(actions), "Resource": resource}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _account(arn: str) -> str:
    return arn.split(":")[4]


def _key_policy(part: str, account: str, logs_region: str | None = None) -> str:
    """Key policy: the account administers the key through IAM; CloudWatch Logs may use it if named."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AccountAdministersThroughIam",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:{part}:iam::{account}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if logs_region is not None:
        statements.append(
            {
                "Sid": "CloudWatchLogsOfThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{logs_region}.amazonaws.com"},
                "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                "Resource": "*",
                "Condition": {
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": f"arn:{part}:logs:{logs_region}:{account}:log-group:*"
                    }
                },
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def cluster_autoscaler_image_tag(kubernetes_version: str) -> str:
    """The Cluster Autoscaler release made for the cluster's minor version (`1.35` -> `v1.35.0`)."""
    return f"v{kubernetes_version}.0"


def _cluster_autoscaler_policy(part: str, region: str, cluster: str) -> str:
    """What the Cluster Autoscaler may do: read groups and instance types, resize only this cluster's groups.

    EKS tags the Auto Scaling group of every managed node group with
    `k8s.io/cluster-autoscaler/<cluster>: owned` and names it `eks-<node group>-<id>`;
    the write actions need both.
    """
    owned = {"StringEquals": {f"aws:ResourceTag/{CLUSTER_AUTOSCALER_OWNER_TAG.format(cluster=cluster)}": "owned"}}
    statements: list[dict[str, Any]] = [
        {
            "Effect": "Allow",
            "Action": [
                "autoscaling:DescribeAutoScalingGroups",
                "autoscaling:DescribeAutoScalingInstances",
                "autoscaling:DescribeLaunchConfigurations",
                "autoscaling:DescribeScalingActivities",
                "autoscaling:DescribeTags",
                "ec2:DescribeImages",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeLaunchTemplateVersions",
                "ec2:GetInstanceTypesFromInstanceRequirements",
            ],
            "Resource": "*",
        },
        {
            "Effect": "Allow",
            "Action": "eks:DescribeNodegroup",
            "Resource": f"arn:{part}:eks:{region}:*:nodegroup/{cluster}/*/*",
        },
        {
            "Effect": "Allow",
            "Action": ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
            "Resource": f"arn:{part}:autoscaling:{region}:*:autoScalingGroup:*:autoScalingGroupName/eks-*",
            "Condition": owned,
        },
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def _lb_controller_policy(part: str) -> str:
    """What the AWS Load Balancer Controller may do: read the network, manage only the ELBs it tags."""
    cluster_tag = "elbv2.k8s.aws/cluster"
    own_request = {"Null": {f"aws:RequestTag/{cluster_tag}": "false"}}
    own_resource = {"Null": {f"aws:ResourceTag/{cluster_tag}": "false"}}
    retag = {"Null": {f"aws:RequestTag/{cluster_tag}": "true", f"aws:ResourceTag/{cluster_tag}": "false"}}
    elb = f"arn:{part}:elasticloadbalancing:*:*"
    security_groups = f"arn:{part}:ec2:*:*:security-group/*"
    balancers = [f"{elb}:targetgroup/*/*", f"{elb}:loadbalancer/net/*/*", f"{elb}:loadbalancer/app/*/*"]
    statements: list[dict[str, Any]] = [
        {
            "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": "*",
            "Condition": {"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}},
        },
        {
            "Effect": "Allow",
            "Action": [
                "ec2:DescribeAccountAttributes",
                "ec2:DescribeAddresses",
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeInternetGateways",
                "ec2:DescribeVpcs",
                "ec2:DescribeVpcPeeringConnections",
                "ec2:DescribeSubnets",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeInstances",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeTags",
                "ec2:DescribeRouteTables",
                "ec2:DescribeIpamPools",
                "ec2:DescribeCoipPools",
                "ec2:GetCoipPoolUsage",
                "ec2:GetSecurityGroupsForVpc",
                "elasticloadbalancing:DescribeLoadBalancers",
                "elasticloadbalancing:DescribeLoadBalancerAttributes",
                "elasticloadbalancing:DescribeListeners",
                "elasticloadbalancing:DescribeListenerAttributes",
                "elasticloadbalancing:DescribeListenerCertificates",
                "elasticloadbalancing:DescribeSSLPolicies",
                "elasticloadbalancing:DescribeRules",
                "elasticloadbalancing:DescribeTargetGroups",
                "elasticloadbalancing:DescribeTargetGroupAttributes",
                "elasticloadbalancing:DescribeTargetHealth",
                "elasticloadbalancing:DescribeTags",
                "elasticloadbalancing:DescribeTrustStores",
                "elasticloadbalancing:DescribeCapacityReservation",
            ],
            "Resource": "*",
        },
        {
            "Effect": "Allow",
            "Action": [
                "cognito-idp:DescribeUserPoolClient",
                "acm:ListCertificates",
                "acm:DescribeCertificate",
                "iam:ListServerCertificates",
                "iam:GetServerCertificate",
                "waf-regional:GetWebACL",
                "waf-regional:GetWebACLForResource",
                "waf-regional:AssociateWebACL",
                "waf-regional:DisassociateWebACL",
                "wafv2:GetWebACL",
                "wafv2:GetWebACLForResource",
                "wafv2:AssociateWebACL",
                "wafv2:DisassociateWebACL",
                "shield:GetSubscriptionState",
                "shield:DescribeProtection",
                "shield:CreateProtection",
                "shield:DeleteProtection",
            ],
            "Resource": "*",
        },
        {
            "Effect": "Allow",
            "Action": [
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupIngress",
                "ec2:CreateSecurityGroup",
            ],
            "Resource": "*",
        },
        {
            "Effect": "Allow",
            "Action": "ec2:CreateTags",
            "Resource": security_groups,
            "Condition": {"StringEquals": {"ec2:CreateAction": "CreateSecurityGroup"}, **own_request},
        },
        {
            "Effect": "Allow",
            "Action": ["ec2:CreateTags", "ec2:DeleteTags"],
            "Resource": security_groups,
            "Condition": retag,
        },
        {
            "Effect": "Allow",
            "Action": [
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupIngress",
                "ec2:DeleteSecurityGroup",
            ],
            "Resource": "*",
            "Condition": own_resource,
        },
        {
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"],
            "Resource": "*",
            "Condition": own_request,
        },
        {
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:DeleteListener",
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:DeleteRule",
            ],
            "Resource": "*",
        },
        {
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            "Resource": balancers,
            "Condition": retag,
        },
        {
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            "Resource": [
                f"{elb}:listener/net/*/*/*",
                f"{elb}:listener/app/*/*/*",
                f"{elb}:listener-rule/net/*/*/*",
                f"{elb}:listener-rule/app/*/*/*",
            ],
        },
        {
            "Effect": "Allow",
            "Action": "elasticloadbalancing:AddTags",
            "Resource": balancers,
            "Condition": {
                "StringEquals": {"elasticloadbalancing:CreateAction": ["CreateTargetGroup", "CreateLoadBalancer"]},
                **own_request,
            },
        },
        {
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:ModifyLoadBalancerAttributes",
                "elasticloadbalancing:SetIpAddressType",
                "elasticloadbalancing:SetSecurityGroups",
                "elasticloadbalancing:SetSubnets",
                "elasticloadbalancing:DeleteLoadBalancer",
                "elasticloadbalancing:ModifyTargetGroup",
                "elasticloadbalancing:ModifyTargetGroupAttributes",
                "elasticloadbalancing:DeleteTargetGroup",
                "elasticloadbalancing:ModifyListenerAttributes",
                "elasticloadbalancing:ModifyCapacityReservation",
                "elasticloadbalancing:ModifyIpPools",
            ],
            "Resource": "*",
            "Condition": own_resource,
        },
        {
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
            "Resource": f"{elb}:targetgroup/*/*",
        },
        {
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:SetWebAcl",
                "elasticloadbalancing:ModifyListener",
                "elasticloadbalancing:AddListenerCertificates",
                "elasticloadbalancing:RemoveListenerCertificates",
                "elasticloadbalancing:ModifyRule",
                "elasticloadbalancing:SetRulePriorities",
            ],
            "Resource": "*",
        },
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def _pod_identity(
    prefix: str,
    what: str,
    policy: str,
    namespace: str,
    service_account: str,
    cluster: eks.Cluster,
    tags: Mapping[str, str],
    child: Callable[..., pulumi.ResourceOptions],
) -> eks.PodIdentityAssociation:
    """A role only EKS Pod Identity can assume, with its own policy, bound to one service account.

    Registers `<prefix>-policy`, `<prefix>-role`, `<prefix>-role-policy` and `<prefix>-identity`.
    """
    role_policy = iam.Policy(f"{prefix}-policy", description=what, policy=policy, tags=dict(tags), opts=child())
    role = iam.Role(
        f"{prefix}-role",
        assume_role_policy=_trust("pods.eks.amazonaws.com", tag_session=True),
        description=f"{what} (Pod Identity)",
        tags=dict(tags),
        opts=child(),
    )
    attachment = iam.RolePolicyAttachment(
        f"{prefix}-role-policy", role=role.name, policy_arn=role_policy.arn, opts=child()
    )
    return eks.PodIdentityAssociation(
        f"{prefix}-identity",
        cluster_name=cluster.name,
        namespace=namespace,
        service_account=service_account,
        role_arn=role.arn,
        tags=dict(tags),
        # The pods may start as soon as the association exists: the role must already hold its policy.
        opts=child(depends_on=[attachment]),
    )


def _addon(
    name: str,
    addon_name: str,
    cluster: eks.Cluster,
    tags: Mapping[str, str],
    child: Callable[..., pulumi.ResourceOptions],
    after: Sequence[pulumi.Resource],
    **extra: Any,
) -> eks.Addon:
    """`<name>-addon-<addon>`: the EKS add-on at its default version for the cluster, ours on conflicts."""
    configuration = ADDON_CONFIGURATION.get(addon_name)
    return eks.Addon(
        f"{name}-addon-{addon_name}",
        cluster_name=cluster.name,
        addon_name=addon_name,
        configuration_values=json.dumps(configuration) if configuration else None,
        resolve_conflicts_on_create="OVERWRITE",
        resolve_conflicts_on_update="OVERWRITE",
        tags=dict(tags),
        opts=child(depends_on=list(after)),
        **extra,
    )


def subnet_cidrs(vpc_cidr: str, zones: int) -> tuple[list[str], list[str]]:
    """Private and public subnet CIDRs, one of each per zone.

    The VPC is cut in quarters: each zone's private subnet is a quarter (room
    for a pod IP per VPC CNI address), the last quarter is cut again for the
    small public subnets that only hold load balancers and NAT gateways.
    """
    quarters = list(ipaddress.IPv4Network(vpc_cidr).subnets(prefixlen_diff=2))
    public = list(quarters[3].subnets(prefixlen_diff=2))
    return [str(n) for n in quarters[:zones]], [str(n) for n in public[:zones]]


def principal_key(arn: str) -> str:
    """Resource-name key of an IAM principal: `arn:aws:iam::1:role/ci/deployer` -> `role-ci-deployer`."""
    return arn.split(":", 5)[5].replace("/", "-")


def ami_type(instance_types: Sequence[str]) -> str:
    """AL2023 AMI type for the instance types: Graviton families (`m7g`, `c6gn`, `t4g`) are arm64."""
    return AMI_TYPES["arm64" if instance_types and all(aws_arm64(t) for t in instance_types) else "x86_64"]


# --------------------------------------------------------------------------- the component


class EksClusterArgs(TypedDict):
    region: str
    """AWS region of the cluster; the component makes its own provider for it."""
    mode: AwsMode
    """`auto` (EKS Auto Mode) or `standard` (managed node group + add-ons + Load Balancer Controller)."""
    kubernetes_version: str
    """Kubernetes minor version (`1.35`), one EKS supports in standard support."""
    vpc_cidr: str
    """CIDR of the cluster's dedicated VPC."""
    availability_zones: int
    """How many zones (`<region>a`, `b`, `c`) get a public and a private subnet."""
    nat_gateway_per_zone: bool
    """One NAT gateway per zone, or one for the VPC."""
    api_allowed_cidrs: Sequence[str]
    """Networks allowed to reach the public API endpoint."""
    admin_role_arns: Sequence[str]
    """IAM principals given cluster-admin through access entries."""
    protect: bool
    """Pulumi `protect` and EKS deletion protection on what cannot be recreated without loss."""
    tags: Mapping[str, str]
    """Tags on every AWS resource (the cluster tag is added here)."""
    assume_role_arn: NotRequired[str | None]
    """Role the kubeconfig assumes to get a token."""
    node_instance_types: NotRequired[Sequence[str]]
    """Standard mode: instance types of the node group."""
    node_min_size: NotRequired[int]
    """Standard mode: fewest nodes."""
    node_max_size: NotRequired[int]
    """Standard mode: most nodes."""
    node_capacity_type: NotRequired[AwsCapacityType]
    """Standard mode: `ON_DEMAND` or `SPOT`."""
    node_disk_size: NotRequired[int]
    """Standard mode: root volume size in GiB."""


class EksCluster(ClusterComponent):
    """An EKS cluster with its own VPC, ready for the app: nodes, ingress class and a Kubernetes provider."""

    cluster_name: pulumi.Output[str]
    """Name of the EKS cluster (the cluster key)."""
    endpoint: pulumi.Output[str]
    """HTTPS endpoint of the Kubernetes API."""
    vpc_id: pulumi.Output[str]
    """The cluster's VPC."""
    kubeconfig: pulumi.Output[str]
    """kubeconfig with `aws eks get-token` exec auth; a secret."""

    def __init__(self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("multicloud:index:EksCluster", name, None, opts)
        region = args["region"]
        mode = args["mode"]
        protect = args["protect"]
        part = partition(region)
        tags = {**args["tags"], f"kubernetes.io/cluster/{name}": "owned"}
        provider = AwsProvider(f"{name}-provider", region=region, opts=pulumi.ResourceOptions(parent=self))

        def child(**extra: Any) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(parent=self, provider=provider, **extra)

        def named(role: str) -> dict[str, str]:
            return {**tags, "Name": f"{name}-{role}"}

        # ------------------------------------------------------------------ IAM roles
        def service_role(
            role: str, trust: str, description: str, policies: Sequence[str]
        ) -> tuple[iam.Role, list[iam.RolePolicyAttachment]]:
            """`<name>-<role>-role` for an AWS service, with the AWS managed `policies` (`<name>-<role>-<policy>`)."""
            created = iam.Role(
                f"{name}-{role}-role", assume_role_policy=trust, description=description, tags=tags, opts=child()
            )
            attached = [
                iam.RolePolicyAttachment(
                    f"{name}-{role}-{policy}",
                    role=created.name,
                    policy_arn=_managed_policy(part, policy),
                    opts=child(),
                )
                for policy in policies
            ]
            return created, attached

        cluster_role, cluster_policies = service_role(
            "cluster",
            _trust("eks.amazonaws.com", tag_session=True),
            f"EKS control plane of {name}",
            CLUSTER_POLICIES[mode],
        )
        account = cluster_role.arn.apply(_account)
        node_role, node_policies = service_role(
            "node", _trust("ec2.amazonaws.com"), f"EKS nodes of {name}", NODE_POLICIES[mode]
        )

        # ------------------------------------------------------------------ keys and logs
        secrets_key = kms.Key(
            f"{name}-secrets-key",
            description=f"Envelope encryption of Kubernetes secrets in {name}",
            enable_key_rotation=True,
            deletion_window_in_days=KMS_DELETION_WINDOW_DAYS,
            policy=account.apply(lambda acct: _key_policy(part, acct)),
            tags=tags,
            opts=child(protect=protect),
        )
        logs_key = kms.Key(
            f"{name}-logs-key",
            description=f"Encryption of the control-plane and flow logs of {name}",
            enable_key_rotation=True,
            deletion_window_in_days=KMS_DELETION_WINDOW_DAYS,
            policy=account.apply(lambda acct: _key_policy(part, acct, logs_region=region)),
            tags=tags,
            opts=child(protect=protect),
        )
        encryption_policy = iam.RolePolicy(
            f"{name}-cluster-encryption",
            role=cluster_role.name,
            policy=secrets_key.arn.apply(
                lambda arn: _allow(["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"], arn)
            ),
            opts=child(),
        )

        def log_group(role: str, log_name: str) -> cloudwatch.LogGroup:
            """A log group kept for LOG_RETENTION_DAYS, encrypted with the logs key, protected in prod."""
            return cloudwatch.LogGroup(
                f"{name}-{role}",
                name=log_name,
                retention_in_days=LOG_RETENTION_DAYS,
                kms_key_id=logs_key.arn,
                tags=tags,
                opts=child(protect=protect),
            )

        # EKS writes to this exact name; creating it first sets retention and encryption.
        cluster_logs = log_group("cluster-logs", f"/aws/eks/{name}/cluster")

        # ------------------------------------------------------------------ network
        vpc = ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args["vpc_cidr"],
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags=named("vpc"),
            opts=child(protect=protect),
        )
        # Adopting the default security group with no rules closes it: nothing may use it by accident.
        ec2.DefaultSecurityGroup(f"{name}-default-sg", vpc_id=vpc.id, tags=named("default-sg"), opts=child())
        flow_logs = log_group("flow-logs", f"/aws/vpc-flow-logs/{name}")
        flow_role = iam.Role(
            f"{name}-flow-logs-role",
            assume_role_policy=_trust("vpc-flow-logs.amazonaws.com"),
            description=f"VPC flow logs of {name}",
            tags=tags,
            opts=child(),
        )
        iam.RolePolicy(
            f"{name}-flow-logs-write",
            role=flow_role.name,
            policy=flow_logs.arn.apply(
                lambda arn: _allow(
                    ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups", "logs:DescribeLogStreams"],
                    [arn, f"{arn}:*"],
                )
            ),
            opts=child(),
        )
        ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=flow_logs.arn,
            iam_role_arn=flow_role.arn,
            max_aggregation_interval=60,
            tags=named("flow-log"),
            opts=child(),
        )
        gateway = ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags=named("igw"), opts=child())

        zones = [f"{region}{letter}" for letter in ZONE_LETTERS.get(region, "abc")[: args["availability_zones"]]]
        private_cidrs, public_cidrs = subnet_cidrs(args["vpc_cidr"], len(zones))
        public_routes = ec2.RouteTable(
            f"{name}-public-rt",
            vpc_id=vpc.id,
            routes=[{"cidr_block": "0.0.0.0/0", "gateway_id": gateway.id}],
            tags=named("public-rt"),
            opts=child(),
        )
        public_subnets: list[ec2.Subnet] = []
        private_subnets: list[ec2.Subnet] = []
        nat_gateways: list[ec2.NatGateway] = []
        # Nodes in a private subnet reach ECR and AWS APIs only through its NAT route: whatever
        # launches nodes waits for these associations (each waits for its route table and NAT gateway).
        private_routing: list[ec2.RouteTableAssociation] = []

        def subnet(kind: str, zone: str, cidr: str, role_tags: Mapping[str, str]) -> ec2.Subnet:
            """`<name>-<kind>-<zone>`; no public IPs even in public subnets: load balancers get their own."""
            return ec2.Subnet(
                f"{name}-{kind}-{zone}",
                vpc_id=vpc.id,
                availability_zone=zone,
                cidr_block=cidr,
                map_public_ip_on_launch=False,
                tags={**named(f"{kind}-{zone}"), **role_tags},
                opts=child(protect=protect),
            )

        for index, zone in enumerate(zones):
            public = subnet("public", zone, public_cidrs[index], PUBLIC_SUBNET_ROLE)
            ec2.RouteTableAssociation(
                f"{name}-public-{zone}-rt", subnet_id=public.id, route_table_id=public_routes.id, opts=child()
            )
            public_subnets.append(public)
            if args["nat_gateway_per_zone"] or index == 0:
                address = ec2.Eip(f"{name}-nat-{zone}-ip", domain="vpc", tags=named(f"nat-{zone}"), opts=child())
                nat_gateways.append(
                    ec2.NatGateway(
                        f"{name}-nat-{zone}",
                        allocation_id=address.allocation_id,
                        subnet_id=public.id,
                        connectivity_type="public",
                        tags=named(f"nat-{zone}"),
                        opts=child(depends_on=[gateway]),
                    )
                )
        for index, zone in enumerate(zones):
            private = subnet("private", zone, private_cidrs[index], PRIVATE_SUBNET_ROLE)
            nat = nat_gateways[index if args["nat_gateway_per_zone"] else 0]
            routes = ec2.RouteTable(
                f"{name}-private-{zone}-rt",
                vpc_id=vpc.id,
                routes=[{"cidr_block": "0.0.0.0/0", "nat_gateway_id": nat.id}],
                tags=named(f"private-{zone}-rt"),
                opts=child(),
            )
            private_routing.append(
                ec2.RouteTableAssociation(
                    f"{name}-private-{zone}-rt-link", subnet_id=private.id, route_table_id=routes.id, opts=child()
                )
            )
            private_subnets.append(private)
        private_ids = [s.id for s in private_subnets]

        # ------------------------------------------------------------------ the cluster
        auto = mode is AwsMode.AUTO
        # EKS reads an empty `public_access_cidrs` as 0.0.0.0/0: no allowed network means no public endpoint.
        api_cidrs = list(args["api_allowed_cidrs"])
        cluster = eks.Cluster(
            f"{name}-cluster",
            name=name,
            version=args["kubernetes_version"],
            role_arn=cluster_role.arn,
            vpc_config={
                "subnet_ids": private_ids,
                "endpoint_private_access": True,
                "endpoint_public_access": bool(api_cidrs),
                "public_access_cidrs": api_cidrs or None,
            },
            # Access entries only (no aws-auth ConfigMap); the identity that creates
            # the cluster (the one running Pulumi) gets admin so it can deploy onto it.
            access_config={"authentication_mode": "API", "bootstrap_cluster_creator_admin_permissions": True},
            # Add-ons are managed explicitly (standard) or by Auto Mode, never self-managed.
            bootstrap_self_managed_addons=False,
            encryption_config={"provider": {"key_arn": secrets_key.arn}, "resources": ["secrets"]},
            enabled_cluster_log_types=list(CONTROL_PLANE_LOG_TYPES),
            upgrade_policy={"support_type": "STANDARD"},
            deletion_protection=protect,
            compute_config=(
                {"enabled": True, "node_pools": list(AUTO_NODE_POOLS), "node_role_arn": node_role.arn} if auto else None
            ),
            kubernetes_network_config={"elastic_load_balancing": {"enabled": True}} if auto else None,
            storage_config={"block_storage": {"enabled": True}} if auto else None,
            tags=tags,
            # The name is fixed (the log group and the kubeconfig use it): a replacement must
            # delete the old cluster first, never collide with it.
            opts=child(
                protect=protect,
                delete_before_replace=True,
                depends_on=[cluster_logs, encryption_policy, *cluster_policies, *(node_policies if auto else [])],
            ),
        )

        admins = list(dict.fromkeys(args["admin_role_arns"]))
        last_names = [arn.rsplit("/", 1)[-1] for arn in admins]
        for arn, last_name in zip(admins, last_names, strict=True):
            # `role/deployer`, `role/ci/deployer` and `user/deployer` are three principals: the
            # whole resource part names the entry. Names used to end in the last part only; an
            # alias keeps such an entry where it was when that name was unambiguous.
            key = principal_key(arn)
            was = f"{name}-access-{last_name}" if last_names.count(last_name) == 1 else None
            entry = eks.AccessEntry(
                f"{name}-access-{key}",
                cluster_name=cluster.name,
                principal_arn=arn,
                type="STANDARD",
                tags=tags,
                opts=child(aliases=[pulumi.Alias(name=was)] if was else None),
            )
            eks.AccessPolicyAssociation(
                f"{name}-access-{key}-admin",
                cluster_name=cluster.name,
                principal_arn=entry.principal_arn,
                policy_arn=f"arn:{part}:eks::aws:cluster-access-policy/{CLUSTER_ADMIN_ACCESS_POLICY}",
                access_scope={"type": "cluster"},
                opts=child(aliases=[pulumi.Alias(name=f"{was}-admin")] if was else None),
            )

        # ------------------------------------------------------------------ kubeconfig and provider
        token_args: list[pulumi.Input[str]] = ["eks", "get-token", "--output", "json"]
        token_args += ["--cluster-name", cluster.name, "--region", region]
        if args.get("assume_role_arn"):
            token_args += ["--role-arn", str(args["assume_role_arn"])]
        kubeconfig = exec_kubeconfig(
            name, cluster.endpoint, cluster.certificate_authority.data, {"command": "aws", "args": token_args}
        )
        # The ARN names the cluster for good; `createdAt` changes only when the cluster is
        # replaced (same name, same ARN), and then the provider must be replaced with it.
        k8s_provider = self._kubernetes_provider(
            name,
            kubeconfig=kubeconfig,
            cluster_identifier=pulumi.Output.format("{0}@{1}", cluster.arn, cluster.created_at),
        )

        def k8s_child(**extra: Any) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(parent=self, provider=k8s_provider, **extra)

        # ------------------------------------------------------------------ nodes and ingress
        ready: list[pulumi.Resource]
        if auto:
            params = k8s.apiextensions.CustomResource(
                f"{name}-alb-params",
                api_version="eks.amazonaws.com/v1",
                kind="IngressClassParams",
                metadata={"name": INGRESS_CLASS},
                spec={"scheme": ALB_INGRESS_ANNOTATIONS["alb.ingress.kubernetes.io/scheme"]},
                opts=k8s_child(depends_on=[cluster]),
            )
            ingress_class = k8s.networking.v1.IngressClass(
                f"{name}-ingress-class",
                metadata={"name": INGRESS_CLASS},
                spec={
                    "controller": INGRESS_CONTROLLERS[mode],
                    "parameters": {
                        "api_group": "eks.amazonaws.com",
                        "kind": "IngressClassParams",
                        "name": INGRESS_CLASS,
                    },
                },
                opts=k8s_child(depends_on=[params]),
            )
            network_policy = k8s.core.v1.ConfigMap(
                f"{name}-network-policy",
                metadata={"name": "amazon-vpc-cni", "namespace": "kube-system"},
                data=AUTO_NETWORK_POLICY_CONFIG,
                opts=k8s_child(depends_on=[cluster]),
            )
            # Runs on nodes Auto Mode launches for it, which need the private subnets' NAT routes.
            _addon(name, METRICS_SERVER_ADDON, cluster, tags, child, [cluster, *private_routing])
            # Auto Mode's built-in node pools are part of the cluster resource; the nodes they
            # launch for the app need the private subnets' NAT routes.
            ready = [cluster, *private_routing, network_policy, params, ingress_class]
        else:
            ready = self._standard_nodes(
                name,
                args,
                part,
                tags,
                child,
                k8s_child,
                cluster,
                node_role,
                [*node_policies, *private_routing],
                private_ids,
                vpc,
            )
            ingress_class = k8s.networking.v1.IngressClass(
                f"{name}-ingress-class",
                metadata={"name": INGRESS_CLASS},
                spec={"controller": INGRESS_CONTROLLERS[mode]},
                opts=k8s_child(depends_on=ready),
            )
            ready.append(ingress_class)

        self.cluster_name = cluster.name
        self.endpoint = cluster.endpoint
        self.vpc_id = vpc.id
        self.kubeconfig = kubeconfig
        self.target = ClusterTarget(
            name=name,
            cloud="aws",
            region=region,
            provider=k8s_provider,
            kubeconfig=kubeconfig,
            ingress=IngressContract(
                class_name=INGRESS_CLASS,
                annotations=dict(ALB_INGRESS_ANNOTATIONS),
                health_check_path_annotation=ALB_HEALTH_CHECK_PATH_ANNOTATION,
                # With `ip` targets the ALB connects to pod IPs from its own ENIs in the VPC.
                traffic_sources=({"ipBlock": {"cidr": args["vpc_cidr"]}},),
            ),
            ready=ready,
        )
        self.register_outputs(
            {
                "clusterName": self.cluster_name,
                "endpoint": self.endpoint,
                "vpcId": self.vpc_id,
                "kubeconfig": self.kubeconfig,
            }
        )

    def _standard_nodes(
        self,
        name: str,
        args: EksClusterArgs,
        part: str,
        tags: Mapping[str, str],
        child: Callable[..., pulumi.ResourceOptions],
        k8s_child: Callable[..., pulumi.ResourceOptions],
        cluster: eks.Cluster,
        node_role: iam.Role,
        node_prerequisites: Sequence[pulumi.Resource],
        private_ids: Sequence[pulumi.Output[str]],
        vpc: ec2.Vpc,
    ) -> list[pulumi.Resource]:
        """Standard mode: add-ons, the managed node group and the AWS Load Balancer Controller."""

        def addon(addon_name: str, after: Sequence[pulumi.Resource], **extra: Any) -> eks.Addon:
            return _addon(name, addon_name, cluster, tags, child, after, **extra)

        before = [addon(a, [cluster]) for a in ADDONS_BEFORE_NODES]

        instance_types = list(args.get("node_instance_types") or ())
        template = ec2.LaunchTemplate(
            f"{name}-nodes-template",
            description=f"Nodes of {name}: IMDSv2 only, encrypted gp3 root volume",
            update_default_version=True,
            metadata_options={
                "http_endpoint": "enabled",
                "http_tokens": "required",
                # Pods cannot reach the node's credentials: they use Pod Identity.
                "http_put_response_hop_limit": 1,
            },
            block_device_mappings=[
                {
                    "device_name": ROOT_DEVICE,
                    "ebs": {
                        "volume_size": args.get("node_disk_size"),
                        "volume_type": "gp3",
                        "encrypted": "true",
                        "delete_on_termination": "true",
                    },
                }
            ],
            tag_specifications=[
                {"resource_type": kind, "tags": {**tags, "Name": f"{name}-node"}} for kind in ("instance", "volume")
            ],
            tags=dict(tags),
            opts=child(),
        )
        min_size = args.get("node_min_size", 1)
        node_group = eks.NodeGroup(
            f"{name}-nodes",
            cluster_name=cluster.name,
            node_role_arn=node_role.arn,
            subnet_ids=list(private_ids),
            ami_type=ami_type(instance_types),
            capacity_type=str(args.get("node_capacity_type", AwsCapacityType.ON_DEMAND)),
            instance_types=instance_types,
            scaling_config={
                "min_size": min_size,
                "max_size": args.get("node_max_size", min_size),
                "desired_size": min_size,
            },
            update_config={"max_unavailable": NODE_MAX_UNAVAILABLE},
            launch_template={"id": template.id, "version": template.latest_version.apply(str)},
            tags=dict(tags),
            # The Cluster Autoscaler (below) owns the node count once the group exists.
            opts=child(depends_on=[*node_prerequisites, *before], ignore_changes=["scalingConfig.desiredSize"]),
        )

        ebs_role = iam.Role(
            f"{name}-ebs-csi-role",
            assume_role_policy=_trust("pods.eks.amazonaws.com", tag_session=True),
            description=f"EBS CSI driver of {name} (Pod Identity)",
            tags=dict(tags),
            opts=child(),
        )
        ebs_policy = iam.RolePolicyAttachment(
            f"{name}-ebs-csi-policy", role=ebs_role.name, policy_arn=_managed_policy(part, EBS_CSI_POLICY), opts=child()
        )
        coredns = addon("coredns", [node_group])
        addon(METRICS_SERVER_ADDON, [node_group])
        addon(
            "aws-ebs-csi-driver",
            [node_group, ebs_policy],
            pod_identity_associations=[{"role_arn": ebs_role.arn, "service_account": EBS_CSI_SERVICE_ACCOUNT}],
        )

        lbc_identity = _pod_identity(
            f"{name}-lbc",
            f"AWS Load Balancer Controller of {name}",
            _lb_controller_policy(part),
            LB_CONTROLLER_NAMESPACE,
            LB_CONTROLLER_SERVICE_ACCOUNT,
            cluster,
            tags,
            child,
        )
        controller = k8s.helm.v3.Release(
            f"{name}-lbc",
            name=LB_CONTROLLER_CHART,
            chart=LB_CONTROLLER_CHART,
            version=LB_CONTROLLER_VERSION,
            repository_opts={"repo": LB_CONTROLLER_REPO},
            namespace=LB_CONTROLLER_NAMESPACE,
            values={
                "clusterName": cluster.name,
                # IMDS is out of reach of pods (hop limit 1): region and VPC are given, not discovered.
                "region": args["region"],
                "vpcId": vpc.id,
                "replicaCount": 2,
                "serviceAccount": {"create": True, "name": LB_CONTROLLER_SERVICE_ACCOUNT},
                # The IngressClass is ours (below), not the chart's.
                "createIngressClassResource": False,
            },
            opts=k8s_child(depends_on=[node_group, coredns, lbc_identity]),
        )
        # The Cluster Autoscaler, allowed to resize only this cluster's node groups.
        autoscaler_identity = _pod_identity(
            f"{name}-autoscaler",
            f"Cluster Autoscaler of {name}",
            _cluster_autoscaler_policy(part, args["region"], name),
            CLUSTER_AUTOSCALER_NAMESPACE,
            CLUSTER_AUTOSCALER_SERVICE_ACCOUNT,
            cluster,
            tags,
            child,
        )
        autoscaler = k8s.helm.v3.Release(
            f"{name}-autoscaler",
            name=CLUSTER_AUTOSCALER_CHART,
            chart=CLUSTER_AUTOSCALER_CHART,
            version=CLUSTER_AUTOSCALER_VERSION,
            repository_opts={"repo": CLUSTER_AUTOSCALER_REPO},
            namespace=CLUSTER_AUTOSCALER_NAMESPACE,
            values={
                # `deploy/cluster-autoscaler` in kube-system, not the chart's `<release>-aws-<chart>`.
                "fullnameOverride": CLUSTER_AUTOSCALER_CHART,
                "cloudProvider": "aws",
                "awsRegion": args["region"],
                "autoDiscovery": {"clusterName": cluster.name},
                "image": {
                    "repository": CLUSTER_AUTOSCALER_IMAGE,
                    "tag": cluster_autoscaler_image_tag(args["kubernetes_version"]),
                },
                "rbac": {"serviceAccount": {"create": True, "name": CLUSTER_AUTOSCALER_SERVICE_ACCOUNT}},
                "extraArgs": dict(CLUSTER_AUTOSCALER_ARGS),
                "priorityClassName": "system-cluster-critical",
                "resources": {
                    "requests": {"cpu": "100m", "memory": "300Mi"},
                    "limits": {"memory": "600Mi"},
                },
                "securityContext": {
                    "runAsNonRoot": True,
                    "runAsUser": 65534,
                    "runAsGroup": 65534,
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
                "containerSecurityContext": {
                    "allowPrivilegeEscalation": False,
                    "readOnlyRootFilesystem": True,
                    "capabilities": {"drop": ["ALL"]},
                },
            },
            opts=k8s_child(depends_on=[node_group, coredns, autoscaler_identity]),
        )
        # The app waits for the autoscaler too: its first replicas may need more than the minimum of nodes.
        return [node_group, coredns, controller, autoscaler]
