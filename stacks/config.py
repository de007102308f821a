"""Typed, validated stack config: the one home of every default.

The stack file (``Pulumi.<stack>.yaml``) is read through ``pulumi.Config`` and
validated completely before the program registers a resource. Every problem is
collected into one :class:`ConfigError` that names the key path, the value
found and what is allowed. Defaults that differ between environments live in
:data:`PROFILES`; the others are the field defaults below.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import re
from collections.abc import Mapping
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
#: cluster may declare. The newest is the default for clusters that do not say.
KUBERNETES_VERSIONS = ("1.31", "1.32", "1.33", "1.34", "1.35", "1.36")
DEFAULT_KUBERNETES_VERSION = "1.34"

_DNS_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS_LABEL_RE = re.compile(rf"^{_DNS_LABEL}$")
_NAME_RE = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_HOST_RE = re.compile(rf"^(?=.{{1,253}}$){_DNS_LABEL}(\.{_DNS_LABEL})+$")
_IMAGE_RE = re.compile(
    r"^(?P<repo>[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-]{1,2}[a-z0-9]+)*)*)"
    r"(:(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?"
    r"(@(?P<digest>sha256:[a-f0-9]{64}))?$"
)
_ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_QUANTITY_RE = re.compile(r"^(?P<num>[0-9]+(\.[0-9]+)?)(?P<unit>m|k|M|G|T|Ki|Mi|Gi|Ti)?$")
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
    """Plain environment variables for the container (no secrets)."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME_RE.match(value):
            raise ValueError("must be a DNS label: lowercase letters, digits and '-', starting with a letter")
        return value

    @field_validator("namespace", "tls_secret_name")
    @classmethod
    def _label(cls, value: str | None) -> str | None:
        if value is not None and not _DNS_LABEL_RE.match(value):
            raise ValueError("must be a DNS label: lowercase letters, digits and '-'")
        return value

    @field_validator("host")
    @classmethod
    def _host(cls, value: str | None) -> str | None:
        if value is not None and not _HOST_RE.match(value):
            raise ValueError("must be a lowercase DNS name with at least two labels, like hello.example.com")
        return value

    _image = field_validator("image")(_check_image)

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


class AwsSettings(CloudSettings):
    region_pattern = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$")
    region_example = "us-west-2"
    mode: AwsMode = AwsMode.AUTO
    """`auto` (EKS Auto Mode) or `standard` (managed node groups)."""


class GcpSettings(CloudSettings):
    region_pattern = re.compile(r"^[a-z]+-[a-z]+[0-9]+$")
    region_example = "us-central1"
    mode: GcpMode = GcpMode.AUTOPILOT
    """`autopilot` or `standard` (node pools)."""


class AzureSettings(CloudSettings):
    region_pattern = re.compile(r"^[a-z][a-z0-9]+$")
    region_example = "westeurope"
    mode: AzureMode = AzureMode.AUTOMATIC
    """`automatic` (AKS Automatic) or `standard` (node pools)."""


class ExistingClusterSettings(_Model):
    name: str = Field(max_length=30)
    """Cluster key: prefixes every resource on it and names its outputs."""
    context: str = Field(min_length=1)
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

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME_RE.match(value):
            raise ValueError("must be a DNS label: lowercase letters, digits and '-', starting with a letter")
        return value

    @field_validator("ingress_class", "ingress_namespace")
    @classmethod
    def _label(cls, value: str) -> str:
        if not _DNS_LABEL_RE.match(value):
            raise ValueError("must be a DNS label: lowercase letters, digits and '-'")
        return value

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

#: Cloud sections whose cluster component has not landed yet. Enabling one is a
#: config error rather than a silent no-op.
UNAVAILABLE_CLOUDS = {"aws": "EksCluster", "gcp": "GkeCluster", "azure": "AksCluster"}


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
        ClusterSpec(f"{cloud}-{region}", cloud, region)
        for cloud, settings in (("aws", aws), ("gcp", gcp), ("azure", azure))
        if settings.enabled
        for region in settings.regions
    ]
    specs += [ClusterSpec(e.name, "existing", e.region) for e in existing]
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
    return parse(read_raw())


def parse(raw: Mapping[str, Any]) -> StackConfig:
    """Validate raw config (top-level key -> parsed value) into a :class:`StackConfig`."""
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
        if cloud in UNAVAILABLE_CLOUDS:
            issues.append(
                ConfigIssue(
                    f"{cloud}.enabled",
                    True,
                    f"must be false: the {UNAVAILABLE_CLOUDS[cloud]} component is not part of this "
                    "release yet; use `existing` clusters meanwhile",
                )
            )
        elif not settings.regions:
            issues.append(ConfigIssue(f"{cloud}.regions", [], "must list at least one region when enabled"))

    existing = sections["existing"]
    app = sections.get("app")
    overrides = sections["overrides"]
    if all(s is not None for s in cloud_sections.values()) and existing is not None:
        specs = _cluster_specs(cloud_sections["aws"], cloud_sections["gcp"], cloud_sections["azure"], tuple(existing))
        _check_clusters(specs, existing, overrides, issues)
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
