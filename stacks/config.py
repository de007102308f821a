"""Typed, validated stack config: the one home of every default.

The stack file (``Pulumi.<stack>.yaml``) is read through ``pulumi.Config`` and
validated completely before the program registers a resource. Every problem is
collected into one :class:`ConfigError` that names the key path, the value
found and what is allowed. Defaults that differ between environments live in
:data:`PROFILES`; the others are the field defaults below.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import difflib
import ipaddress
import json
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, ClassVar

import pulumi
from pulumi.runtime import config as runtime_config
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, ValidationInfo, field_validator
from pydantic.alias_generators import to_camel

NAMESPACE = "multicloud"

#: Kubernetes minor versions the manifests are validated against and that a
#: cluster may declare. Clusters that do not say are taken to run the default.
KUBERNETES_VERSIONS = ("1.32", "1.33", "1.34", "1.35", "1.36", "1.37")
DEFAULT_KUBERNETES_VERSION = "1.35"

_DNS_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS_LABEL_RE = re.compile(rf"^{_DNS_LABEL}\Z")
_NAME_RE = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?\Z")
# The last label starts with a letter: an IP address is not a host name.
_HOST_RE = re.compile(rf"^(?=.{{1,253}}\Z){_DNS_LABEL}(\.{_DNS_LABEL})*\.[a-z]([-a-z0-9]*[a-z0-9])?\Z")
_SUBDOMAIN_RE = re.compile(rf"^(?=.{{1,253}}\Z){_DNS_LABEL}(\.{_DNS_LABEL})*\Z")
#: Namespaces Kubernetes owns: the app never creates or adopts them.
_RESERVED_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})
_IMAGE_RE = re.compile(
    # [registry[:port]/]path[:tag][@digest]; a registry is only read as one when a path follows,
    # so `redis:7` is the image `redis` with the tag `7`, not a registry port.
    r"^(?P<repo>(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::[0-9]+)?/)?"
    r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?"
    r"(?:@(?P<digest>sha256:[a-f0-9]{64}))?\Z"
)
_ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")
_QUANTITY_RE = re.compile(r"^(?P<num>[0-9]+(\.[0-9]+)?)(?P<unit>m|k|M|G|T|Ki|Mi|Gi|Ti)?\Z")
_UNITS = {
    None: Decimal(1),
    "m": Decimal("0.001"),
    "k": Decimal(10**3),
    "M": Decimal(10**6),
    "G": Decimal(10**9),
    "T": Decimal(10**12),
    "Ki": Decimal(2**10),
    "Mi": Decimal(2**20),
    "Gi": Decimal(2**30),
    "Ti": Decimal(2**40),
}


class Environment(StrEnum):
    """Which profile of defaults a stack takes."""

    DEV = "dev"
    STAGING = "staging"
    PROD = "prod"


class AwsMode(StrEnum):
    """EKS node modes: Auto Mode (AWS runs the nodes) or managed node groups."""

    AUTO = "auto"
    STANDARD = "standard"


class GcpMode(StrEnum):
    """GKE node modes: Autopilot or node pools you size."""

    AUTOPILOT = "autopilot"
    STANDARD = "standard"


class AzureMode(StrEnum):
    """AKS node modes: AKS Automatic or node pools you size."""

    AUTOMATIC = "automatic"
    STANDARD = "standard"


@dataclass(frozen=True)
class Profile:
    """What an environment changes: protection, image pinning, app sizes."""

    protect: bool
    """Pulumi `protect` on the resources a user could lose (the app namespace, clusters)."""
    require_digest: bool
    """Whether images must be pinned by `@sha256:` digest."""
    app: Mapping[str, Any]
    """Defaults for `multicloud:app`, in stack-file spelling."""
    clouds: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Defaults for `multicloud:aws`, `gcp` and `azure` by section name, in stack-file spelling."""


PROFILES: dict[Environment, Profile] = {
    Environment.DEV: Profile(
        protect=False,
        require_digest=False,
        app={
            "replicas": 1,
            "maxReplicas": 3,
            "resources": {
                "requests": {"cpu": "50m", "memory": "64Mi"},
                "limits": {"cpu": "250m", "memory": "128Mi"},
            },
        },
        clouds={
            "aws": {
                "availabilityZones": 2,
                "natGatewayPerZone": False,
                "apiAllowedCidrs": ["0.0.0.0/0"],
                "nodes": {
                    "instanceTypes": ["t3.large", "t3a.large", "m5.large"],
                    "minSize": 1,
                    "maxSize": 3,
                    "capacityType": "SPOT",
                },
            },
            "azure": {
                "systemPool": {"vmSize": "Standard_D2ds_v5", "osDiskSizeGb": 64, "minCount": 1, "maxCount": 3},
                "userPool": {"vmSize": "Standard_D2ds_v5", "osDiskSizeGb": 64, "minCount": 1, "maxCount": 3},
            },
            "gcp": {
                "staticIp": False,
                "nodes": {"machineType": "e2-standard-2", "minPerZone": 1, "maxPerZone": 2, "spot": True},
            },
        },
    ),
    Environment.STAGING: Profile(
        protect=False,
        require_digest=True,
        app={
            "replicas": 2,
            "maxReplicas": 5,
            "resources": {
                "requests": {"cpu": "100m", "memory": "128Mi"},
                "limits": {"cpu": "500m", "memory": "256Mi"},
            },
        },
        clouds={
            "aws": {
                "natGatewayPerZone": False,
                "apiAllowedCidrs": ["0.0.0.0/0"],
                "nodes": {"minSize": 2, "maxSize": 6},
            },
            "azure": {
                "skuTier": "Standard",
                "systemPool": {"minCount": 2, "maxCount": 3},
                "userPool": {"minCount": 2, "maxCount": 6},
            },
            "gcp": {"staticIp": False, "nodes": {"maxPerZone": 2}},
        },
    ),
    Environment.PROD: Profile(
        protect=True,
        require_digest=True,
        app={
            "replicas": 3,
            "maxReplicas": 10,
            "resources": {
                "requests": {"cpu": "250m", "memory": "256Mi"},
                "limits": {"cpu": "1", "memory": "512Mi"},
            },
        },
        clouds={
            "azure": {
                "skuTier": "Standard",
                "systemPool": {"minCount": 3},
                "userPool": {"minCount": 3, "maxCount": 10},
                "logRetentionDays": 90,
            },
        },
    ),
}


# --------------------------------------------------------------------------- models


class _Model(BaseModel):
    """Stack-file spelling (camelCase), unknown keys rejected, immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        use_attribute_docstrings=True,
    )


def _check_quantity(value: str) -> str:
    if not _QUANTITY_RE.match(value):
        raise ValueError("must be a Kubernetes quantity such as 250m, 1, 128Mi or 1Gi")
    return value


def quantity(value: str) -> Decimal:
    """A Kubernetes quantity (`250m`, `128Mi`) as a number, for comparisons."""
    match = _QUANTITY_RE.match(value)
    if match is None:
        raise ValueError(f"not a quantity: {value!r}")
    return Decimal(match["num"]) * _UNITS[match["unit"]]


Quantity = Annotated[str, Field(min_length=1)]


class ResourceAmounts(_Model):
    cpu: Quantity
    """CPU, in cores or millicores (`250m`)."""
    memory: Quantity
    """Memory, in bytes with a binary suffix (`256Mi`)."""

    _check = field_validator("cpu", "memory")(_check_quantity)


class Resources(_Model):
    requests: ResourceAmounts
    """What the scheduler reserves for each pod."""
    limits: ResourceAmounts
    """The most each pod may use."""


def _matching(pattern: re.Pattern[str], allowed: str) -> Callable[[str | None], str | None]:
    """A field check: a value that is set must match `pattern` in full; `allowed` tells the user what would."""

    def check(value: str | None) -> str | None:
        if value is not None and not pattern.fullmatch(value):
            raise ValueError(allowed)
        return value

    return check


#: The checks more than one field shares.
_is_name = _matching(_NAME_RE, "must be a DNS label: lowercase letters, digits and '-', starting with a letter")
_is_label = _matching(_DNS_LABEL_RE, "must be a DNS label: lowercase letters, digits and '-'")


class Probes(_Model):
    liveness: str = "/healthz"
    """HTTP path the kubelet polls to restart a stuck container."""
    readiness: str = "/readyz"
    """HTTP path that says the pod may receive traffic (also the load balancer health check)."""
    startup: str = "/healthz"
    """HTTP path polled until the app has started, before liveness applies."""

    @field_validator("liveness", "readiness", "startup")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/") or any(c.isspace() for c in value):
            raise ValueError("must be an HTTP path starting with '/' and without spaces")
        return value


def _check_image(value: str, info: ValidationInfo) -> str:
    match = _IMAGE_RE.match(value)
    if match is None:
        raise ValueError("must be an image reference like registry/repo:tag or registry/repo@sha256:<64 hex>")
    if match["tag"] is None and match["digest"] is None:
        raise ValueError("must name a tag or a digest; an untagged image means :latest")
    if match["tag"] == "latest" and match["digest"] is None:
        raise ValueError("must not use the moving tag :latest; pin a version or a digest")
    profile = (info.context or {}).get("profile")
    if profile is not None and profile.require_digest and match["digest"] is None:
        raise ValueError("must be pinned by digest (@sha256:...) in staging and prod")
    return value


class AppSettings(_Model):
    name: str = Field(max_length=40)
    """Name of the app: its namespace, labels and every in-cluster object."""
    image: str
    """Container image; staging and prod require `@sha256:` digest pinning."""
    namespace: str | None = Field(default=None, max_length=63)
    """Namespace to deploy into (defaults to the app name)."""
    port: int = Field(default=8080, ge=1024, le=65535)
    """Port the container listens on (non-root: 1024 or above)."""
    host: str | None = None
    """Public DNS name for the Ingress; without it the Ingress matches any host."""
    tls_secret_name: str | None = None
    """Existing TLS Secret in the app namespace for `host` (enables HTTPS)."""
    replicas: int = Field(ge=1, le=1000)
    """Minimum number of pods (the autoscaler's floor)."""
    max_replicas: int = Field(ge=1, le=1000)
    """Maximum number of pods the autoscaler may run."""
    target_cpu_utilization: int = Field(default=70, ge=10, le=95)
    """Average CPU use (percent of requests) the autoscaler aims for."""
    resources: Resources
    """CPU and memory requests and limits per pod."""
    probes: Probes = Probes()
    """HTTP paths of the liveness, readiness and startup probes."""
    run_as_user: int = Field(default=10001, ge=10000, le=2147483647)
    """Numeric user (and group) the container runs as; 10000+ never clashes with host users."""
    env: dict[str, str] = Field(default_factory=dict)
    """Plain environment variables for the container (no secrets); numbers and booleans are written as text."""

    _name = field_validator("name")(_is_name)

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, value: str | None) -> str | None:
        _is_label(value)
        if value in _RESERVED_NAMESPACES:
            raise ValueError(f"must not be a namespace Kubernetes owns ({', '.join(sorted(_RESERVED_NAMESPACES))})")
        return value

    _secret_name = field_validator("tls_secret_name")(
        _matching(_SUBDOMAIN_RE, "must be a Secret name: lowercase DNS labels joined by '.'")
    )

    _host = field_validator("host")(
        _matching(_HOST_RE, "must be a lowercase DNS name with at least two labels, like hello.example.com")
    )

    _image = field_validator("image")(_check_image)

    @field_validator("env", mode="before")
    @classmethod
    def _env_scalars(cls, value: Any) -> Any:
        # `pulumi config set --path app.env.WORKERS 4` stores a number, not text.
        if not isinstance(value, dict):
            return value
        return {
            k: ("true" if v else "false") if isinstance(v, bool) else str(v) if isinstance(v, int | float) else v
            for k, v in value.items()
        }

    @field_validator("env")
    @classmethod
    def _env(cls, value: dict[str, str]) -> dict[str, str]:
        bad = [k for k in value if not _ENV_NAME_RE.match(k)]
        if bad:
            raise ValueError(f"environment variable names must match [A-Za-z_][A-Za-z0-9_]*: {', '.join(bad)}")
        return value

    @property
    def namespace_name(self) -> str:
        return self.namespace or self.name


class ClusterOverride(_Model):
    replicas: int | None = Field(default=None, ge=1, le=1000)
    """Minimum number of pods on this cluster."""
    max_replicas: int | None = Field(default=None, ge=1, le=1000)
    """Maximum number of pods on this cluster."""
    image: str | None = None
    """Image for this cluster only (a canary)."""

    @field_validator("image")
    @classmethod
    def _image(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else _check_image(value, info)


class CloudSettings(_Model):
    """What every cloud section has: on/off, regions and a node mode."""

    region_pattern: ClassVar[re.Pattern[str]]
    region_example: ClassVar[str]

    enabled: bool = False
    """Whether this stack creates clusters in this cloud."""
    regions: list[str] = Field(default_factory=list)
    """Regions to run one cluster in each."""

    @field_validator("regions")
    @classmethod
    def _regions(cls, value: list[str]) -> list[str]:
        bad = [r for r in value if not cls.region_pattern.match(r)]
        if bad:
            raise ValueError(f"not a region name like {cls.region_example}: {', '.join(bad)}")
        dupes = sorted({r for r in value if value.count(r) > 1})
        if dupes:
            raise ValueError(f"regions must be unique; repeated: {', '.join(dupes)}")
        return value


#: Kubernetes minors in EKS standard support today (extended support costs
#: six times as much per cluster hour): the versions an EKS cluster may declare.
#: As of 2026-12: 1.34 left standard support on 2026-12-02, 1.35 keeps it until
#: 2027-03. Add a minor here when EKS ships it, drop one when its support ends.
#: (checkov 3.3.30's CKV_AWS_339 still stops at 1.35, so the scanned test stacks use 1.35.)
EKS_KUBERNETES_VERSIONS = ("1.35", "1.36")

#: Second octet of the default VPC CIDR (`10.<n>.0.0/16`) of each AWS region:
#: fixed per region, so default CIDRs never overlap and never move when the
#: list of regions changes. Regions not listed need an explicit `vpcCidr`.
AWS_DEFAULT_VPC_OCTETS = {
    region: 16 + index
    for index, region in enumerate(
        (
            "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "ca-west-1", "sa-east-1",
            "mx-central-1", "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-central-2", "eu-north-1",
            "eu-south-1", "eu-south-2", "il-central-1", "me-south-1", "me-central-1", "af-south-1",
            "ap-south-1", "ap-south-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1",
            "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-7", "ap-east-1",
        )
    )
}  # fmt: skip

_AWS_ARN_RE = re.compile(r"^arn:aws(-[a-z]+)*:iam::[0-9]{12}:(role|user)/[\w+=,.@/-]{1,512}\Z")
_AWS_ROLE_ARN_RE = re.compile(r"^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}\Z")
_AWS_INSTANCE_TYPE_RE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+\Z")
#: Graviton (arm64) families carry a `g` after the generation: m7g, c6gn, t4g, r8gd.
_AWS_ARM64_TYPE_RE = re.compile(r"^[a-z]+[0-9]+[a-z]*g[a-z]*\.")


def aws_arm64(instance_type: str) -> bool:
    """Whether an EC2 instance type is Graviton (arm64)."""
    return _AWS_ARM64_TYPE_RE.match(instance_type) is not None


class AwsCapacityType(StrEnum):
    """How managed node groups buy EC2 capacity."""

    ON_DEMAND = "ON_DEMAND"
    SPOT = "SPOT"


def _check_network(value: str) -> str:
    try:
        ipaddress.IPv4Network(value)
    except ValueError:
        raise ValueError("must be an IPv4 network in CIDR notation with no host bits set, like 10.20.0.0/16") from None
    return value


class AwsNodeSettings(_Model):
    instance_types: list[str] = Field(default_factory=lambda: ["m6i.large", "m7i.large"], min_length=1)
    """EC2 instance types of the managed node group (standard mode), in order of preference."""
    min_size: int = Field(default=3, ge=1, le=450)
    """Fewest nodes of the node group (the autoscaler's floor; the first size)."""
    max_size: int = Field(default=10, ge=1, le=450)
    """Most nodes of the node group (the autoscaler's ceiling)."""
    capacity_type: AwsCapacityType = AwsCapacityType.ON_DEMAND
    """`ON_DEMAND` or `SPOT` (cheaper, may be reclaimed with two minutes' notice)."""
    disk_size: int = Field(default=50, ge=20, le=16384)
    """Size of each node's encrypted gp3 root volume, in GiB."""

    @field_validator("instance_types")
    @classmethod
    def _types(cls, value: list[str]) -> list[str]:
        bad = [t for t in value if not _AWS_INSTANCE_TYPE_RE.match(t)]
        if bad:
            raise ValueError(f"not an EC2 instance type like m6i.large: {', '.join(bad)}")
        if len({aws_arm64(t) for t in value}) > 1:
            raise ValueError("must all be one CPU architecture (Graviton m7g, c7g... or x86): one AMI serves the group")
        return value


class AwsSettings(CloudSettings):
    region_pattern = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]\Z")
    region_example = "us-west-2"
    mode: AwsMode = AwsMode.AUTO
    """`auto` (EKS Auto Mode) or `standard` (managed node groups)."""
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION
    """Kubernetes minor version of the clusters; only versions in EKS standard support."""
    vpc_cidr: dict[str, str] = Field(default_factory=dict)
    """VPC CIDR (/16 to /20) by region; unset regions take `10.<n>.0.0/16`, fixed per region."""
    availability_zones: int = Field(default=3, ge=2, le=3)
    """How many zones (`<region>a`, `b`, `c`) get a public and a private subnet."""
    nat_gateway_per_zone: bool = True
    """One NAT gateway per zone (survives a zone outage), or one for the whole VPC."""
    api_allowed_cidrs: list[str] = Field(default_factory=list)
    """Who may reach the public API endpoint; required in prod, never `0.0.0.0/0` there."""
    admin_role_arns: list[str] = Field(default_factory=list)
    """IAM roles or users (people, CI) given cluster-admin through EKS access entries."""
    assume_role_arn: str | None = None
    """Role the kubeconfig assumes (`aws eks get-token --role-arn`); unset: the caller's identity."""
    nodes: AwsNodeSettings = AwsNodeSettings()
    """The managed node group of standard mode (ignored by Auto Mode)."""

    @field_validator("kubernetes_version")
    @classmethod
    def _version(cls, value: str) -> str:
        if value not in EKS_KUBERNETES_VERSIONS:
            raise ValueError(f"must be a version in EKS standard support: {', '.join(EKS_KUBERNETES_VERSIONS)}")
        return value

    @field_validator("vpc_cidr")
    @classmethod
    def _vpc_cidr(cls, value: dict[str, str]) -> dict[str, str]:
        for region, cidr in value.items():
            _check_network(cidr)
            network = ipaddress.IPv4Network(cidr)
            if not network.is_private or not 16 <= network.prefixlen <= 20:
                raise ValueError(f"{region}: {cidr} must be a private (RFC 1918) network from /16 to /20")
        return value

    @field_validator("api_allowed_cidrs")
    @classmethod
    def _api_cidrs(cls, value: list[str]) -> list[str]:
        for cidr in value:
            _check_network(cidr)
        return value

    @field_validator("admin_role_arns")
    @classmethod
    def _admins(cls, value: list[str]) -> list[str]:
        bad = [arn for arn in value if not _AWS_ARN_RE.match(arn)]
        if bad:
            raise ValueError(f"not an IAM role or user ARN (arn:aws:iam::<account>:role/<name>): {', '.join(bad)}")
        repeated = sorted({arn for arn in value if value.count(arn) > 1})
        if repeated:
            raise ValueError(
                f"each ARN once (EKS allows one access entry per principal); repeated: {', '.join(repeated)}"
            )
        return value

    _assume = field_validator("assume_role_arn")(
        _matching(_AWS_ROLE_ARN_RE, "must be an IAM role ARN like arn:aws:iam::123456789012:role/deployer")
    )

    def vpc_cidr_of(self, region: str) -> str | None:
        """The VPC CIDR of one region: the configured one, else the region's fixed default."""
        if region in self.vpc_cidr:
            return self.vpc_cidr[region]
        octet = AWS_DEFAULT_VPC_OCTETS.get(region)
        return None if octet is None else f"10.{octet}.0.0/16"


class GcpReleaseChannel(StrEnum):
    """GKE release channels: how soon a cluster gets new versions (never a pinned version)."""

    RAPID = "RAPID"
    REGULAR = "REGULAR"
    STABLE = "STABLE"
    EXTENDED = "EXTENDED"


#: Slot of each Google Cloud region in the default address plan: fixed per
#: region, so default ranges never overlap and never move when the list of
#: regions changes. Append new regions at the end; regions not listed need
#: explicit `gcp.ranges`.
GCP_DEFAULT_RANGE_SLOTS = {
    region: index
    for index, region in enumerate(
        (
            "us-central1", "us-east1", "us-east4", "us-east5", "us-south1", "us-west1", "us-west2", "us-west3",
            "us-west4", "northamerica-northeast1", "northamerica-northeast2", "northamerica-south1",
            "southamerica-east1", "southamerica-west1", "europe-west1", "europe-west2", "europe-west3",
            "europe-west4", "europe-west6", "europe-west8", "europe-west9", "europe-west10", "europe-west12",
            "europe-central2", "europe-north1", "europe-north2", "europe-southwest1", "me-central1", "me-central2",
            "me-west1", "africa-south1", "asia-east1", "asia-east2", "asia-northeast1", "asia-northeast2",
            "asia-northeast3", "asia-south1", "asia-south2", "asia-southeast1", "asia-southeast2",
            "australia-southeast1", "australia-southeast2",
        )
    )
}  # fmt: skip

_GCP_PROJECT_RE = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]\Z")
_GCP_MACHINE_TYPE_RE = re.compile(r"^[a-z][a-z0-9]*-[a-z0-9-]+\Z")
_RFC3339_UTC_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\Z")


def _check_private_network(value: str | None) -> str | None:
    if value is None:
        return value
    _check_network(value)
    if not ipaddress.IPv4Network(value).is_private:
        raise ValueError("must be a private (RFC 1918) range like 10.176.0.0/20")
    return value


class GcpRanges(_Model):
    subnet: str | None = None
    """Primary range of the region's subnetwork (node IPs); default `10.176.0.0/20` + the region's slot."""
    pods: str | None = None
    """Secondary range for pod IPs; default `10.<128 + slot>.0.0/16`."""
    services: str | None = None
    """Secondary range for Service cluster IPs; default `10.180.0.0/20` + the region's slot."""

    _check = field_validator("subnet", "pods", "services")(_check_private_network)


class GcpNodeSettings(_Model):
    machine_type: str = "e2-standard-4"
    """Compute Engine machine type of the node pool (standard mode)."""
    min_per_zone: int = Field(default=1, ge=0, le=1000)
    """Fewest nodes per zone (the autoscaler's floor); a regional pool spans three zones."""
    max_per_zone: int = Field(default=3, ge=1, le=1000)
    """Most nodes per zone (the autoscaler's ceiling)."""
    spot: bool = False
    """Spot VMs: much cheaper, may be reclaimed at any time (dev only by default)."""
    disk_size_gb: int = Field(default=100, ge=20, le=65536)
    """Boot disk size of each node (pd-balanced), in GB."""

    _machine = field_validator("machine_type")(
        _matching(_GCP_MACHINE_TYPE_RE, "must be a Compute Engine machine type like e2-standard-4")
    )


#: How long one GKE maintenance window may last: at least 4 hours, less than a day.
GKE_MAINTENANCE_HOURS = (4, 24)


def _utc(text: str) -> datetime.datetime:
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")


class GcpMaintenanceWindow(_Model):
    start: str = "2025-01-04T03:00:00Z"
    """First start of the recurring window (RFC 3339, UTC); only its time of day and weekday matter."""
    end: str = "2025-01-04T09:00:00Z"
    """First end of the window (RFC 3339, UTC); the window lasts `end - start`."""
    recurrence: str = "FREQ=WEEKLY;BYDAY=SA,SU"
    """RFC 5545 RRULE of the window; GKE needs 48 h of windows in every 32 days."""

    _time = field_validator("start", "end")(
        _matching(_RFC3339_UTC_RE, "must be an RFC 3339 UTC time like 2025-01-04T03:00:00Z")
    )

    @field_validator("recurrence")
    @classmethod
    def _rrule(cls, value: str) -> str:
        if not value.startswith("FREQ="):
            raise ValueError("must be an RFC 5545 RRULE like FREQ=WEEKLY;BYDAY=SA,SU")
        return value


class GcpSettings(CloudSettings):
    region_pattern = re.compile(r"^[a-z]+-[a-z]+[0-9]+\Z")
    region_example = "us-central1"
    mode: GcpMode = GcpMode.AUTOPILOT
    """`autopilot` or `standard` (node pools)."""
    project: str | None = None
    """Google Cloud project id the clusters live in; required when enabled."""
    release_channel: GcpReleaseChannel = GcpReleaseChannel.REGULAR
    """Release channel GKE upgrades the control plane and nodes from."""
    master_authorized_cidrs: list[str] = Field(default_factory=list)
    """Who may reach the control plane; required in prod, never `0.0.0.0/0` there; empty: anyone (IAM applies)."""
    ranges: dict[str, GcpRanges] = Field(default_factory=dict)
    """Node, pod and Service ranges by region; unset ones come from the region's fixed slot."""
    nodes: GcpNodeSettings = GcpNodeSettings()
    """The node pool of standard mode (ignored by Autopilot)."""
    maintenance_window: GcpMaintenanceWindow = GcpMaintenanceWindow()
    """When GKE may upgrade and repair the cluster."""
    static_ip: bool = True
    """Reserve a global static IP for the app's load balancer (survives Ingress re-creation)."""
    managed_certificate: bool = False
    """A Google-managed TLS certificate for `app.host` on the load balancer (needs `app.host`)."""

    _project = field_validator("project")(
        _matching(
            _GCP_PROJECT_RE, "must be a project id: 6-30 lowercase letters, digits or '-', starting with a letter"
        )
    )

    @field_validator("master_authorized_cidrs")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        for cidr in value:
            _check_network(cidr)
        return value

    def ranges_of(self, region: str) -> GcpRanges | None:
        """The region's ranges: configured ones, the rest from its slot (None: no slot and not all set)."""
        configured = self.ranges.get(region, GcpRanges())
        slot = GCP_DEFAULT_RANGE_SLOTS.get(region)
        defaults: dict[str, str] = {}
        if slot is not None:
            defaults = {
                "subnet": f"10.{176 + slot // 16}.{(slot % 16) * 16}.0/20",
                "pods": f"10.{128 + slot}.0.0/16",
                "services": f"10.{180 + slot // 16}.{(slot % 16) * 16}.0/20",
            }
        resolved = {key: getattr(configured, key) or defaults.get(key) for key in ("subnet", "pods", "services")}
        if any(value is None for value in resolved.values()):
            return None
        return GcpRanges(**resolved)


#: Second octet of the default VNet range (`10.<n>.0.0/16`) of each Azure
#: region: fixed per region, so default ranges never overlap and never move
#: when the list of regions changes. Regions not listed need `vnetCidr`.
AZURE_DEFAULT_VNET_OCTETS = {
    region: 64 + index
    for index, region in enumerate(
        (
            "eastus", "eastus2", "centralus", "northcentralus", "southcentralus", "westcentralus", "westus",
            "westus2", "westus3", "canadacentral", "canadaeast", "brazilsouth", "mexicocentral", "northeurope",
            "westeurope", "uksouth", "ukwest", "francecentral", "germanywestcentral", "swedencentral",
            "switzerlandnorth", "norwayeast", "polandcentral", "italynorth", "spaincentral", "austriaeast",
            "belgiumcentral", "uaenorth", "qatarcentral", "israelcentral", "southafricanorth", "centralindia",
            "southindia", "westindia", "eastasia", "southeastasia", "japaneast", "japanwest", "koreacentral",
            "koreasouth", "australiaeast", "australiasoutheast", "australiacentral", "newzealandnorth",
            "indonesiacentral", "malaysiawest", "chilecentral",
        )
    )
}  # fmt: skip

_GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
_AZURE_VM_SIZE_RE = re.compile(r"^Standard_[A-Za-z0-9_]+\Z")
_HH_MM_RE = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]\Z")
_UTC_OFFSET_RE = re.compile(r"^[+-](0[0-9]|1[0-4]):[0-5][0-9]\Z")


class AzureSkuTier(StrEnum):
    """AKS control plane tiers: `Free` (no SLA) or `Standard` (uptime SLA)."""

    FREE = "Free"
    STANDARD = "Standard"


class KubeloginMode(StrEnum):
    """How `kubelogin` gets an Entra ID token for the kubeconfig."""

    AZURECLI = "azurecli"
    WORKLOADIDENTITY = "workloadidentity"
    SPN = "spn"


class WeekDay(StrEnum):
    """A day of the week, as AKS maintenance windows spell it."""

    MONDAY = "Monday"
    TUESDAY = "Tuesday"
    WEDNESDAY = "Wednesday"
    THURSDAY = "Thursday"
    FRIDAY = "Friday"
    SATURDAY = "Saturday"
    SUNDAY = "Sunday"


def _azure_cidr(value: str) -> ipaddress.IPv4Network:
    try:
        return ipaddress.IPv4Network(value)
    except ValueError:
        raise ValueError(
            f"{value} is not an IPv4 network in CIDR notation without host bits, like 10.64.0.0/16"
        ) from None


class AzurePoolSettings(_Model):
    vm_size: str = "Standard_D4ds_v5"
    """VM size of the pool's nodes; with `ephemeralOsDisk` it needs a local disk of at least `osDiskSizeGb`."""
    min_count: int = Field(default=2, ge=1, le=1000)
    """Fewest nodes (the cluster autoscaler's floor; the size at creation)."""
    max_count: int = Field(default=5, ge=1, le=1000)
    """Most nodes (the cluster autoscaler's ceiling)."""
    os_disk_size_gb: int = Field(default=128, ge=30, le=2048)
    """OS disk size of each node, in GiB."""
    ephemeral_os_disk: bool = True
    """OS disk on the VM's local storage (faster, nothing persisted); false for VM sizes without a local disk."""

    _vm_size = field_validator("vm_size")(
        _matching(_AZURE_VM_SIZE_RE, "must be an Azure VM size like Standard_D4ds_v5")
    )


class AzureMaintenanceSettings(_Model):
    day: WeekDay = WeekDay.SUNDAY
    """Day of the weekly window in which AKS upgrades the cluster and node images."""
    start_time: str = "02:00"
    """Start of the window, `HH:MM` in `utcOffset`."""
    duration_hours: int = Field(default=4, ge=4, le=24)
    """Length of the window in hours (AKS needs at least 4)."""
    utc_offset: str = "+00:00"
    """Time zone of `startTime`, like `+01:00`."""

    _start = field_validator("start_time")(_matching(_HH_MM_RE, "must be a time of day HH:MM, like 02:00"))

    _offset = field_validator("utc_offset")(
        _matching(_UTC_OFFSET_RE, "must be a UTC offset +HH:MM or -HH:MM, like +01:00")
    )


#: Ranges AKS uses itself; pod and service ranges must stay clear of them.
AKS_RESERVED_RANGES = ("169.254.0.0/16", "172.30.0.0/16", "172.31.0.0/16", "192.0.2.0/24")


class AzureSettings(CloudSettings):
    region_pattern = re.compile(r"^[a-z][a-z0-9]+\Z")
    region_example = "westeurope"
    mode: AzureMode = AzureMode.AUTOMATIC
    """`automatic` (AKS Automatic) or `standard` (node pools)."""
    subscription_id: str | None = None
    """Subscription the clusters live in; unset: `ARM_SUBSCRIPTION_ID` of the environment running Pulumi."""
    kubernetes_version: str | None = None
    """Kubernetes minor version at creation; unset: the AKS default, kept current by the `stable` channel."""
    sku_tier: AzureSkuTier = AzureSkuTier.FREE
    """Control plane tier of standard mode: `Free` or `Standard` (uptime SLA); Automatic is always Standard."""
    api_allowed_cidrs: list[str] = Field(default_factory=list)
    """Who may reach the API server (authorized IP ranges); required in prod, never `0.0.0.0/0` there."""
    admin_group_object_ids: list[str] = Field(default_factory=list)
    """Entra ID groups (object ids) that administer the clusters; the deploying identity must be in one."""
    kubelogin_mode: KubeloginMode = KubeloginMode.AZURECLI
    """How the kubeconfig gets a token: `azurecli`, `workloadidentity` or `spn` (`kubelogin --login`)."""
    vnet_cidr: dict[str, str] = Field(default_factory=dict)
    """VNet range (/8 to /24) by region; unset regions take `10.<n>.0.0/16`, fixed per region."""
    node_subnet_cidr: dict[str, str] = Field(default_factory=dict)
    """Node subnet range by region; unset: the first /20 of the region's VNet (the VNet itself if smaller)."""
    pod_cidr: str = "10.244.0.0/16"
    """Pod range of Azure CNI Overlay (private to each cluster, must not overlap a VNet)."""
    service_cidr: str = "10.0.0.0/16"
    """Service range (private to each cluster, must not overlap a VNet or the pod range)."""
    availability_zones: list[str] = Field(default_factory=lambda: ["1", "2", "3"])
    """Zones the node pools spread over; empty for regions without availability zones."""
    system_pool: AzurePoolSettings = AzurePoolSettings()
    """The system node pool of standard mode (tainted CriticalAddonsOnly)."""
    user_pool: AzurePoolSettings = AzurePoolSettings()
    """The node pool the app runs on in standard mode."""
    log_retention_days: int = Field(default=30, ge=30, le=730)
    """Retention of the Log Analytics workspace that receives Container Insights."""
    maintenance: AzureMaintenanceSettings = AzureMaintenanceSettings()
    """Weekly window for Kubernetes and node image upgrades."""

    _subscription = field_validator("subscription_id")(
        _matching(_GUID_RE, "must be a subscription id (GUID) like 00000000-0000-0000-0000-000000000000")
    )

    @field_validator("kubernetes_version")
    @classmethod
    def _version(cls, value: str | None) -> str | None:
        if value is not None and value not in KUBERNETES_VERSIONS:
            raise ValueError(f"must be one of {', '.join(KUBERNETES_VERSIONS)}")
        return value

    @field_validator("admin_group_object_ids")
    @classmethod
    def _groups(cls, value: list[str]) -> list[str]:
        bad = [g for g in value if not _GUID_RE.match(g)]
        if bad:
            raise ValueError(f"not an Entra ID object id (GUID): {', '.join(bad)}")
        return value

    @field_validator("api_allowed_cidrs")
    @classmethod
    def _api_cidrs(cls, value: list[str]) -> list[str]:
        for cidr in value:
            _azure_cidr(cidr)
        return value

    @field_validator("availability_zones")
    @classmethod
    def _zones(cls, value: list[str]) -> list[str]:
        bad = [z for z in value if z not in ("1", "2", "3")]
        if bad:
            raise ValueError(f"zones are '1', '2' and '3': {', '.join(bad)}")
        return value

    @field_validator("vnet_cidr", "node_subnet_cidr")
    @classmethod
    def _ranges(cls, value: dict[str, str]) -> dict[str, str]:
        for region, cidr in value.items():
            network = _azure_cidr(cidr)
            if not network.is_private or not 8 <= network.prefixlen <= 24:
                raise ValueError(f"{region}: {cidr} must be a private (RFC 1918) network from /8 to /24")
        return value

    @field_validator("pod_cidr", "service_cidr")
    @classmethod
    def _cluster_range(cls, value: str) -> str:
        network = _azure_cidr(value)
        if not network.is_private or not 8 <= network.prefixlen <= 24:
            raise ValueError("must be a private (RFC 1918) network from /8 to /24")
        return value

    def vnet_cidr_of(self, region: str) -> str | None:
        """The VNet range of one region: the configured one, else the region's fixed default."""
        if region in self.vnet_cidr:
            return self.vnet_cidr[region]
        octet = AZURE_DEFAULT_VNET_OCTETS.get(region)
        return None if octet is None else f"10.{octet}.0.0/16"

    def node_subnet_cidr_of(self, region: str) -> str | None:
        """The node subnet of one region: the configured one, else the first /20 of its VNet."""
        if region in self.node_subnet_cidr:
            return self.node_subnet_cidr[region]
        vnet = self.vnet_cidr_of(region)
        if vnet is None:
            return None
        network = ipaddress.IPv4Network(vnet)
        return str(next(network.subnets(new_prefix=20)) if network.prefixlen < 20 else network)

    @property
    def dns_service_ip(self) -> str:
        """The cluster DNS address: the tenth address of the service range, as AKS defaults it."""
        return str(ipaddress.IPv4Network(self.service_cidr).network_address + 10)


class ExistingClusterSettings(_Model):
    name: str = Field(max_length=30)
    """Cluster key: prefixes every resource on it and names its outputs."""
    context: str = Field(min_length=1, pattern=r"^\S+$")
    """kubeconfig context to use (never the current context implicitly)."""
    kubeconfig: str = "~/.kube/config"
    """Path of the kubeconfig file that holds `context`."""
    ingress_class: str = "nginx"
    """IngressClass of the controller already running in the cluster."""
    ingress_namespace: str = "ingress-nginx"
    """Namespace the ingress controller runs in (the only source of app traffic)."""
    region: str = "local"
    """Free-form location shown in the stack outputs."""
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION
    """Minor version of the cluster; manifests are validated against it."""

    _name = field_validator("name")(_is_name)

    # IngressClass names are DNS subdomains: AKS app routing's is `webapprouting.kubernetes.azure.com`.
    _ingress_class = field_validator("ingress_class")(
        _matching(_SUBDOMAIN_RE, "must be an IngressClass name: lowercase DNS labels joined by '.'")
    )

    _label = field_validator("ingress_namespace")(_is_label)

    @field_validator("kubernetes_version")
    @classmethod
    def _version(cls, value: str) -> str:
        if value not in KUBERNETES_VERSIONS:
            raise ValueError(f"must be one of {', '.join(KUBERNETES_VERSIONS)}")
        return value


# --------------------------------------------------------------------------- the stack


@dataclass(frozen=True)
class ClusterSpec:
    """One cluster the stack names, before any resource exists."""

    name: str
    cloud: str
    region: str
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION
    """Minor version the cluster runs (or is expected to run, on a release channel)."""


@dataclass(frozen=True)
class StackConfig:
    """The whole validated stack config, defaults filled in."""

    environment: Environment
    aws: AwsSettings
    gcp: GcpSettings
    azure: AzureSettings
    existing: tuple[ExistingClusterSettings, ...]
    app: AppSettings
    overrides: Mapping[str, ClusterOverride] = field(default_factory=dict)

    @property
    def profile(self) -> Profile:
        return PROFILES[self.environment]

    @property
    def clusters(self) -> list[ClusterSpec]:
        return _cluster_specs(self.aws, self.gcp, self.azure, self.existing)

    def app_for(self, cluster: str) -> AppSettings:
        """The app settings for one cluster: its override on top of the app."""
        override = self.overrides.get(cluster)
        if override is None:
            return self.app
        return self.app.model_copy(update=override.model_dump(exclude_none=True))


#: The top-level keys of `multicloud:` and the model of each.
SECTIONS: dict[str, Any] = {
    "environment": Environment,
    "aws": AwsSettings,
    "gcp": GcpSettings,
    "azure": AzureSettings,
    "existing": list[ExistingClusterSettings],
    "app": AppSettings,
    "overrides": dict[str, ClusterOverride],
}


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in the stack config."""

    path: str
    value: Any
    allowed: str

    def __str__(self) -> str:
        key = f"{NAMESPACE}:{self.path}" if self.path else NAMESPACE
        return f"{key}: found {_show(self.value)}; {self.allowed}"


class ConfigError(pulumi.RunError):
    """The stack config is invalid. Raised before any resource is registered.

    A ``RunError`` ends ``pulumi up`` with this message and no stack trace.
    """

    def __init__(self, issues: list[ConfigIssue]) -> None:
        self.issues = issues
        lines = "\n".join(f"  - {issue}" for issue in issues)
        count = f"{len(issues)} problem" + ("s" if len(issues) != 1 else "")
        super().__init__(f"invalid stack config ({count}):\n{lines}")


_MISSING = object()


def _show(value: Any) -> str:
    if value is _MISSING:
        return "nothing"
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _cluster_specs(
    aws: CloudSettings, gcp: CloudSettings, azure: CloudSettings, existing: tuple[ExistingClusterSettings, ...]
) -> list[ClusterSpec]:
    specs = [
        ClusterSpec(
            f"{cloud}-{region}",
            cloud,
            region,
            getattr(settings, "kubernetes_version", None) or DEFAULT_KUBERNETES_VERSION,
        )
        for cloud, settings in (("aws", aws), ("gcp", gcp), ("azure", azure))
        if settings.enabled
        for region in settings.regions
    ]
    specs += [ClusterSpec(e.name, "existing", e.region, e.kubernetes_version) for e in existing]
    return specs


# --------------------------------------------------------------------------- loading


def read_raw() -> dict[str, Any]:
    """Every `multicloud:` key of the running stack, objects parsed from JSON."""
    prefix = f"{NAMESPACE}:"
    keys = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    raw: dict[str, Any] = {}
    for key in sorted(k for k in keys if k.startswith(prefix)):
        value = runtime_config.get_config(key)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        raw[key[len(prefix) :]] = value
    return raw


def load() -> StackConfig:
    """Read and validate the running stack's config (raises :class:`ConfigError`)."""
    prefix = f"{NAMESPACE}:"
    secret = {k[len(prefix) :] for k in runtime_config._SECRET_KEYS.get() if k.startswith(prefix)}
    return parse(read_raw(), secret_keys=secret)


def parse(raw: Mapping[str, Any], secret_keys: Collection[str] = ()) -> StackConfig:
    """Validate raw config (top-level key -> parsed value) into a :class:`StackConfig`.

    Values under `secret_keys` are never repeated in an error message.
    """
    try:
        return _parse(raw)
    except ConfigError as error:
        if not secret_keys:
            raise
        masked = [
            dataclasses.replace(i, value="[secret]") if re.split(r"[.\[]", i.path)[0] in secret_keys else i
            for i in error.issues
        ]
        raise ConfigError(masked) from None


def _parse(raw: Mapping[str, Any]) -> StackConfig:
    issues: list[ConfigIssue] = []
    for key in raw:
        if key not in SECTIONS:
            issues.append(ConfigIssue(key, raw[key], _unknown_key(key, SECTIONS)))

    env_raw = raw.get("environment", Environment.DEV.value)
    environment = Environment.DEV
    try:
        environment = Environment(env_raw)
    except (ValueError, TypeError):
        issues.append(ConfigIssue("environment", env_raw, f"must be one of {_choices(Environment)}"))
    profile = PROFILES[environment]

    data = dict(raw)
    if "app" not in data:
        issues.append(ConfigIssue("app", _MISSING, "required: the app to deploy (at least name and image)"))
    elif isinstance(data["app"], dict):
        data["app"] = _merge(profile.app, data["app"])
    for cloud, defaults in profile.clouds.items():
        if isinstance(data.get(cloud, {}), dict):
            data[cloud] = _merge(defaults, data.get(cloud, {}))

    sections: dict[str, Any] = {}
    for key, model in SECTIONS.items():
        if key == "environment" or (key not in data and key == "app"):
            continue
        sections[key] = _validate(key, model, data.get(key, _default_of(model)), profile, issues)

    cloud_sections = {k: sections[k] for k in ("aws", "gcp", "azure")}
    for cloud, settings in cloud_sections.items():
        if settings is None or not settings.enabled:
            continue
        if not settings.regions:
            issues.append(ConfigIssue(f"{cloud}.regions", [], "must list at least one region when enabled"))

    existing = sections["existing"]
    app = sections.get("app")
    overrides = sections["overrides"]
    if all(s is not None for s in cloud_sections.values()) and existing is not None:
        specs = _cluster_specs(cloud_sections["aws"], cloud_sections["gcp"], cloud_sections["azure"], tuple(existing))
        _check_clusters(specs, existing, overrides, issues)
    if cloud_sections["aws"] is not None and cloud_sections["aws"].enabled:
        _check_aws(cloud_sections["aws"], environment, issues)
    if cloud_sections["azure"] is not None and cloud_sections["azure"].enabled:
        _check_azure(cloud_sections["azure"], environment, issues)
    if cloud_sections["gcp"] is not None and cloud_sections["gcp"].enabled:
        _check_gcp(cloud_sections["gcp"], environment, app, issues)
    if app is not None:
        _check_app(app, "app", issues)
        if overrides:
            for cluster, override in overrides.items():
                _check_override(app, cluster, override, issues)

    if issues or app is None:
        raise ConfigError(issues)
    return StackConfig(
        environment=environment,
        aws=cloud_sections["aws"],
        gcp=cloud_sections["gcp"],
        azure=cloud_sections["azure"],
        existing=tuple(existing),
        app=app,
        overrides=dict(overrides),
    )


def _default_of(model: Any) -> Any:
    origin = getattr(model, "__origin__", None)
    if origin is list:
        return []
    if origin is dict:
        return {}
    return {}


def _validate(key: str, model: Any, value: Any, profile: Profile, issues: list[ConfigIssue]) -> Any:
    try:
        return TypeAdapter(model).validate_python(value, context={"profile": profile, "key": key})
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            issues.append(_issue_from(key, model, value, error))
        return None


def _issue_from(key: str, model: Any, value: Any, error: Mapping[str, Any]) -> ConfigIssue:
    loc = tuple(error["loc"])
    path = key + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        siblings = _fields_at(model, loc[:-1])
        return ConfigIssue(path, error["input"], _unknown_key(str(loc[-1]), siblings))
    if kind == "missing":
        return ConfigIssue(path, _MISSING, "required")
    message = str(error["msg"])
    message = message.removeprefix("Value error, ")
    if message.startswith("Input should be"):
        message = "must be" + message[len("Input should be") :]
    return ConfigIssue(path, error.get("input", _lookup(value, loc)), message[:1].lower() + message[1:])


def _lookup(value: Any, loc: tuple[Any, ...]) -> Any:
    for part in loc:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return _MISSING
    return value


def _fields_at(model: Any, loc: tuple[Any, ...]) -> list[str]:
    """The stack-file keys allowed at `loc` inside `model`."""
    current = model
    for part in loc:
        origin = getattr(current, "__origin__", None)
        if origin in (list, dict):
            current = current.__args__[-1]
        elif isinstance(current, type) and issubclass(current, BaseModel):
            fields = {info.alias or name: info for name, info in current.model_fields.items()}
            current = _unwrap(fields[part].annotation) if part in fields else None
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [info.alias or name for name, info in current.model_fields.items()]
    return []


def _unwrap(annotation: Any) -> Any:
    args = [a for a in getattr(annotation, "__args__", ()) if a is not type(None)]
    if getattr(annotation, "__origin__", None) in (list, dict):
        return annotation
    return args[0] if len(args) == 1 else annotation


def _unknown_key(key: str, allowed: Any) -> str:
    names = sorted(allowed)
    hint = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
    suggestion = f"did you mean '{hint[0]}'? " if hint else ""
    return f"unknown key; {suggestion}allowed keys: {', '.join(names)}"


def _choices(enum: type[StrEnum]) -> str:
    return " | ".join(member.value for member in enum)


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _check_clusters(
    specs: list[ClusterSpec],
    existing: list[ExistingClusterSettings],
    overrides: Mapping[str, ClusterOverride] | None,
    issues: list[ConfigIssue],
) -> None:
    if not specs:
        issues.append(
            ConfigIssue(
                "existing",
                [e.model_dump(by_alias=True) for e in existing],
                "the stack names no cluster: enable a cloud (aws, gcp, azure) or list one under existing",
            )
        )
    seen: set[str] = set()
    cloud_names = {s.name for s in specs if s.cloud != "existing"}
    for index, cluster in enumerate(existing):
        if cluster.name in seen or cluster.name in cloud_names:
            issues.append(
                ConfigIssue(f"existing[{index}].name", cluster.name, "must be unique across the stack's clusters")
            )
        seen.add(cluster.name)
    names = [s.name for s in specs]
    for key in overrides or {}:
        if key not in names:
            hint = difflib.get_close_matches(key, names, n=1)
            suggestion = f"did you mean '{hint[0]}'? " if hint else ""
            issues.append(
                ConfigIssue(
                    f"overrides.{key}",
                    key,
                    f"no cluster of that name in this stack; {suggestion}clusters: {', '.join(names) or 'none'}",
                )
            )


def _check_azure(azure: AzureSettings, environment: Environment, issues: list[ConfigIssue]) -> None:
    """Cross-field rules of `multicloud:azure`: who administers, who reaches the API, ranges that never overlap."""
    if not azure.admin_group_object_ids:
        issues.append(
            ConfigIssue(
                "azure.adminGroupObjectIds",
                [],
                "must name at least one Entra ID group: local accounts are disabled, so only these groups administer",
            )
        )
    if environment is Environment.PROD:
        if not azure.api_allowed_cidrs:
            issues.append(
                ConfigIssue("azure.apiAllowedCidrs", [], "required in prod: the ranges allowed to reach the API server")
            )
        for index, cidr in enumerate(azure.api_allowed_cidrs):
            if ipaddress.IPv4Network(cidr).prefixlen == 0:
                issues.append(
                    ConfigIssue(
                        f"azure.apiAllowedCidrs[{index}]", cidr, "must not open the API server to everyone in prod"
                    )
                )
    for pool in ("system_pool", "user_pool"):
        settings: AzurePoolSettings = getattr(azure, pool)
        if settings.min_count > settings.max_count:
            key = f"azure.{to_camel(pool)}.minCount"
            issues.append(ConfigIssue(key, settings.min_count, f"must not exceed maxCount ({settings.max_count})"))
    pods, services = ipaddress.IPv4Network(azure.pod_cidr), ipaddress.IPv4Network(azure.service_cidr)
    if pods.overlaps(services):
        issues.append(ConfigIssue("azure.serviceCidr", azure.service_cidr, f"must not overlap podCidr ({pods})"))
    for key, network in (("podCidr", pods), ("serviceCidr", services)):
        reserved = [r for r in AKS_RESERVED_RANGES if network.overlaps(ipaddress.IPv4Network(r))]
        if reserved:
            issues.append(
                ConfigIssue(f"azure.{key}", str(network), f"must not overlap what AKS reserves: {', '.join(reserved)}")
            )
    vnets: dict[str, ipaddress.IPv4Network] = {}
    for region in azure.regions:
        vnet_text = azure.vnet_cidr_of(region)
        if vnet_text is None:
            issues.append(
                ConfigIssue(
                    f"azure.vnetCidr.{region}",
                    None,
                    "required: the region has no default VNet range; set a private /8 to /24 network",
                )
            )
            continue
        vnet = ipaddress.IPv4Network(vnet_text)
        subnet_text = azure.node_subnet_cidr_of(region)
        if subnet_text is not None and not ipaddress.IPv4Network(subnet_text).subnet_of(vnet):
            issues.append(
                ConfigIssue(
                    f"azure.nodeSubnetCidr.{region}", subnet_text, f"must lie inside the region's VNet ({vnet})"
                )
            )
        for other, network in vnets.items():
            if vnet.overlaps(network):
                issues.append(
                    ConfigIssue(
                        f"azure.vnetCidr.{region}", vnet_text, f"must not overlap the VNet of {other} ({network})"
                    )
                )
        for key, network in (("podCidr", pods), ("serviceCidr", services)):
            if vnet.overlaps(network):
                issues.append(
                    ConfigIssue(f"azure.vnetCidr.{region}", vnet_text, f"must not overlap azure.{key} ({network})")
                )
        vnets[region] = vnet


def _check_gcp(gcp: GcpSettings, environment: Environment, app: AppSettings | None, issues: list[ConfigIssue]) -> None:
    """Rules across GCP fields: project, ranges of every region, node bounds, control-plane access in prod."""
    if gcp.project is None:
        issues.append(
            ConfigIssue("gcp.project", _MISSING, "required when gcp.enabled is true: the project id of the clusters")
        )
    for region in gcp.ranges:
        if region not in gcp.regions:
            issues.append(
                ConfigIssue(
                    f"gcp.ranges.{region}",
                    gcp.ranges[region].model_dump(by_alias=True, exclude_none=True),
                    f"names no region of gcp.regions {gcp.regions}",
                )
            )
    taken: dict[str, ipaddress.IPv4Network] = {}
    for region in gcp.regions:
        ranges = gcp.ranges_of(region)
        if ranges is None:
            issues.append(
                ConfigIssue(
                    f"gcp.ranges.{region}",
                    _MISSING,
                    "required: this region has no default ranges; set subnet, pods and services",
                )
            )
            continue
        for kind in ("subnet", "pods", "services"):
            cidr = str(getattr(ranges, kind))
            network = ipaddress.IPv4Network(cidr)
            path = f"gcp.ranges.{region}.{kind}"
            clashes = [f"{other} ({net})" for other, net in taken.items() if network.overlaps(net)]
            if clashes:
                issues.append(
                    ConfigIssue(
                        path, cidr, f"must not overlap {', '.join(clashes)}: ranges never overlap across regions"
                    )
                )
            taken[path] = network
    if gcp.nodes.min_per_zone > gcp.nodes.max_per_zone:
        issues.append(
            ConfigIssue(
                "gcp.nodes.minPerZone",
                gcp.nodes.min_per_zone,
                f"must not exceed nodes.maxPerZone ({gcp.nodes.max_per_zone})",
            )
        )
    window = gcp.maintenance_window
    hours = (_utc(window.end) - _utc(window.start)).total_seconds() / 3600
    if not GKE_MAINTENANCE_HOURS[0] <= hours < GKE_MAINTENANCE_HOURS[1]:
        low, high = GKE_MAINTENANCE_HOURS
        issues.append(
            ConfigIssue(
                "gcp.maintenanceWindow.end",
                window.end,
                f"must be {low} to under {high} hours after maintenanceWindow.start ({window.start}): "
                "GKE refuses shorter windows",
            )
        )
    if gcp.managed_certificate and app is not None and app.host is None:
        issues.append(
            ConfigIssue("gcp.managedCertificate", True, "needs app.host: a Google-managed certificate is for one host")
        )
    if environment is Environment.PROD:
        if not gcp.master_authorized_cidrs:
            issues.append(
                ConfigIssue(
                    "gcp.masterAuthorizedCidrs",
                    [],
                    "required in prod: the networks (office, VPN, CI) that may reach the control plane",
                )
            )
        if any(ipaddress.IPv4Network(c).prefixlen == 0 for c in gcp.master_authorized_cidrs):
            issues.append(
                ConfigIssue(
                    "gcp.masterAuthorizedCidrs",
                    gcp.master_authorized_cidrs,
                    "must not contain 0.0.0.0/0 in prod: name the networks",
                )
            )


def _check_app(app: AppSettings, path: str, issues: list[ConfigIssue]) -> None:
    if app.replicas > app.max_replicas:
        issues.append(
            ConfigIssue(f"{path}.replicas", app.replicas, f"must not exceed maxReplicas ({app.max_replicas})")
        )
    if app.tls_secret_name is not None and app.host is None:
        issues.append(ConfigIssue(f"{path}.tlsSecretName", app.tls_secret_name, "needs app.host: TLS is per host"))
    for kind in ("cpu", "memory"):
        request = getattr(app.resources.requests, kind)
        limit = getattr(app.resources.limits, kind)
        if quantity(limit) < quantity(request):
            issues.append(
                ConfigIssue(f"{path}.resources.limits.{kind}", limit, f"must be at least the request ({request})")
            )


def _check_override(app: AppSettings, cluster: str, override: ClusterOverride, issues: list[ConfigIssue]) -> None:
    path = f"overrides.{cluster}"
    merged = app.model_copy(update=override.model_dump(exclude_none=True))
    if merged.replicas > merged.max_replicas:
        issues.append(
            ConfigIssue(
                f"{path}.replicas",
                merged.replicas,
                f"must not exceed maxReplicas ({merged.max_replicas}) on this cluster",
            )
        )


def _check_aws(aws: AwsSettings, environment: Environment, issues: list[ConfigIssue]) -> None:
    """Rules across AWS fields: CIDRs per region, node bounds, who may reach the API in prod."""
    for region in aws.vpc_cidr:
        if region not in aws.regions:
            issues.append(
                ConfigIssue(
                    f"aws.vpcCidr.{region}", aws.vpc_cidr[region], f"names no region of aws.regions {aws.regions}"
                )
            )
    networks: dict[str, ipaddress.IPv4Network] = {}
    for region in aws.regions:
        cidr = aws.vpc_cidr_of(region)
        if cidr is None:
            issues.append(ConfigIssue(f"aws.vpcCidr.{region}", None, "required: this region has no default VPC CIDR"))
            continue
        network = ipaddress.IPv4Network(cidr)
        for other, taken in networks.items():
            if network.overlaps(taken):
                issues.append(
                    ConfigIssue(
                        f"aws.vpcCidr.{region}",
                        cidr,
                        f"must not overlap the VPC of {other} ({taken}): regions may be peered later",
                    )
                )
        networks[region] = network
    if aws.nodes.min_size > aws.nodes.max_size:
        issues.append(
            ConfigIssue(
                "aws.nodes.minSize", aws.nodes.min_size, f"must not exceed nodes.maxSize ({aws.nodes.max_size})"
            )
        )
    if environment is Environment.PROD:
        if not aws.api_allowed_cidrs:
            issues.append(
                ConfigIssue(
                    "aws.apiAllowedCidrs", [], "required in prod: the networks (office, VPN, CI) that may reach the API"
                )
            )
        open_to_all = [c for c in aws.api_allowed_cidrs if ipaddress.IPv4Network(c).prefixlen == 0]
        if open_to_all:
            issues.append(
                ConfigIssue(
                    "aws.apiAllowedCidrs",
                    aws.api_allowed_cidrs,
                    "must not contain 0.0.0.0/0 in prod: name the networks",
                )
            )
