"""The stack config rules, one behaviour a test.

Pure validation rules call `stacks.config.parse` on a raw config (top-level key
-> parsed value, as `read_raw` hands it over). Whatever depends on how a stack
file is read (string values, committed stacks, "nothing registered") goes
through the offline engine with a written stack file.
"""

from __future__ import annotations

import contextvars
import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pulumi.runtime.config import set_all_config

from stacks import config as stack_config_module
from stacks.config import ConfigError, ConfigIssue, Environment, StackConfig, parse
from tests import conftest
from tests.conftest import STACKS, stack_config, write_stack
from tools.engine import Plan, evaluate, registered_non_stack

DIGEST = "sha256:" + "0123456789abcdef" * 4
PINNED = f"ghcr.io/acme/hello:1.4.2@{DIGEST}"
TAGGED = "ghcr.io/acme/hello:1.4.2"


def raw_config(environment: str = "dev", **changes: Any) -> dict[str, Any]:
    """A valid raw config (one existing cluster `kind`, the app pinned by digest), with keys replaced."""
    raw: dict[str, Any] = {
        "environment": environment,
        "existing": [{"name": "kind", "context": "kind-kind"}],
        "app": {"name": "hello", "image": PINNED},
    }
    for key, value in {"environment": environment, **changes}.items():
        if value is None:
            raw.pop(key, None)
        else:
            raw[key] = value
    return raw


def app(**fields: Any) -> dict[str, Any]:
    """The valid app section with some fields replaced or added."""
    return {"name": "hello", "image": PINNED, **fields}


def error_of(raw: dict[str, Any]) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse(raw)
    return caught.value


def only_issue(raw: dict[str, Any]) -> ConfigIssue:
    """The one issue of an invalid config; also checks the message names its key path."""
    error = error_of(raw)
    assert len(error.issues) == 1, [str(i) for i in error.issues]
    issue = error.issues[0]
    assert f"multicloud:{issue.path}" in str(error)
    return issue


def evaluate_failing(stack: str, config_file: Path) -> tuple[ConfigError, Plan]:
    """Evaluate a stack that must fail with a ConfigError; return it and what was registered before it."""
    error, plan = conftest.evaluate_failing(stack, config_file)
    assert error is not None, "the stack evaluated without a ConfigError"
    return error, plan


# --------------------------------------------------------------------------- the error itself


def test_config_error_is_a_run_error_so_pulumi_prints_no_traceback() -> None:
    import pulumi

    assert issubclass(ConfigError, pulumi.RunError)


def test_an_issue_reads_key_value_and_what_is_allowed() -> None:
    issue = only_issue(raw_config(app=app(port=80)))

    assert (issue.path, issue.value) == ("app.port", 80)
    assert str(issue) == f"multicloud:app.port: found 80; {issue.allowed}"
    assert "1024" in issue.allowed


def test_all_problems_are_collected_into_one_error() -> None:
    error = error_of(
        raw_config(
            environment="qa",
            app=app(port=80, host="Not A Host"),
            existing=[{"name": "kind", "context": "kind-kind", "ingresClass": "nginx"}],
            colour="blue",
        )
    )

    paths = {issue.path for issue in error.issues}
    assert paths == {"environment", "app.port", "app.host", "existing[0].ingresClass", "colour"}
    assert str(error).startswith("invalid stack config (5 problems):")
    for path in paths:
        assert f"multicloud:{path}" in str(error)


def test_a_missing_app_is_reported() -> None:
    issue = only_issue(raw_config(app=None))

    assert issue.path == "app"
    assert str(issue).startswith("multicloud:app: found nothing; required")


def test_a_missing_required_app_field_is_reported_at_its_path() -> None:
    issue = only_issue(raw_config(app={"name": "hello"}))

    assert (issue.path, issue.allowed) == ("app.image", "required")


# --------------------------------------------------------------------------- unknown keys


def test_unknown_top_level_key_suggests_the_closest_key() -> None:
    issue = only_issue(raw_config(enviroment="prod"))

    assert (issue.path, issue.value) == ("enviroment", "prod")
    assert "did you mean 'environment'?" in issue.allowed


@pytest.mark.parametrize(
    ("section", "value", "path", "suggestion"),
    [
        ("app", app(imagePullPolicy="Always", maxReplica=4), "app.maxReplica", "maxReplicas"),
        ("app", app(resources={"requests": {"cpus": "1"}}), "app.resources.requests.cpus", "cpu"),
        ("app", app(probes={"liveliness": "/live"}), "app.probes.liveliness", "liveness"),
        (
            "existing",
            [{"name": "kind", "context": "kind-kind", "ingresClass": "nginx"}],
            "existing[0].ingresClass",
            "ingressClass",
        ),
        ("overrides", {"kind": {"replica": 2}}, "overrides.kind.replica", "replicas"),
        ("aws", {"region": ["us-west-2"]}, "aws.region", "regions"),
    ],
)
def test_unknown_nested_key_suggests_the_closest_key(section: str, value: Any, path: str, suggestion: str) -> None:
    error = error_of(raw_config(**{section: value}))

    issue = next(i for i in error.issues if i.path == path)
    assert f"did you mean '{suggestion}'?" in issue.allowed
    assert f"multicloud:{path}:" in str(error)


def test_unknown_key_without_a_close_match_lists_the_allowed_keys() -> None:
    issue = only_issue(raw_config(app=app(zzz=1)))

    assert issue.path == "app.zzz"
    assert "did you mean" not in issue.allowed
    assert "allowed keys:" in issue.allowed and "maxReplicas" in issue.allowed


# --------------------------------------------------------------------------- environment


@pytest.mark.parametrize("value", ["production", "Dev", "", 1, ["dev"]])
def test_environment_must_be_dev_staging_or_prod(value: Any) -> None:
    issue = only_issue(raw_config(environment=value))

    assert (issue.path, issue.value) == ("environment", value)
    assert "dev | staging | prod" in issue.allowed


def test_environment_defaults_to_dev() -> None:
    assert parse(raw_config(environment=None)).environment is Environment.DEV


# --------------------------------------------------------------------------- clusters


def test_existing_cluster_names_must_be_unique() -> None:
    twice = [{"name": "kind", "context": "kind-a"}, {"name": "kind", "context": "kind-b"}]

    issue = only_issue(raw_config(existing=twice))

    assert (issue.path, issue.value) == ("existing[1].name", "kind")
    assert "unique" in issue.allowed


def test_an_override_for_a_cluster_the_stack_does_not_have_is_rejected() -> None:
    issue = only_issue(raw_config(overrides={"kinb": {"replicas": 2}}))

    assert issue.path == "overrides.kinb"
    assert "did you mean 'kind'?" in issue.allowed
    assert "clusters: kind" in issue.allowed


def test_a_stack_without_any_cluster_is_rejected() -> None:
    issue = only_issue(raw_config(existing=None))

    assert (issue.path, issue.value) == ("existing", [])
    assert "names no cluster" in issue.allowed


def test_a_bad_existing_cluster_field_is_reported_at_its_list_index() -> None:
    clusters = [{"name": "kind", "context": "kind-kind"}, {"name": "Second", "context": "c2"}]

    issue = only_issue(raw_config(existing=clusters))

    assert (issue.path, issue.value) == ("existing[1].name", "Second")


@pytest.mark.parametrize(
    ("cloud", "region"),
    [
        ("aws", "us-west2"),
        ("aws", "US-WEST-2"),
        ("aws", "us-central1"),
        ("gcp", "us-central"),
        ("gcp", "us-west-2"),
        ("azure", "west-europe"),
        ("azure", "West Europe"),
    ],
)
def test_region_names_follow_each_clouds_pattern(cloud: str, region: str) -> None:
    issue = only_issue(raw_config(**{cloud: {"regions": [region]}}))

    assert (issue.path, issue.value) == (f"{cloud}.regions", [region])
    assert region in issue.allowed


@pytest.mark.parametrize(
    ("cloud", "regions"),
    [
        ("aws", ["us-west-2", "eu-central-1", "us-gov-west-1"]),
        ("gcp", ["us-central1", "europe-west4"]),
        ("azure", ["westeurope", "eastus2"]),
    ],
)
def test_real_region_names_are_accepted(cloud: str, regions: list[str]) -> None:
    parsed = parse(raw_config(**{cloud: {"regions": regions}}))

    assert getattr(parsed, cloud).regions == regions


@pytest.mark.parametrize(
    ("cloud", "regions"),
    [("aws", ["us-west-2", "us-west-2"]), ("gcp", ["us-central1", "europe-west4", "us-central1"])],
)
def test_repeated_regions_are_rejected(cloud: str, regions: list[str]) -> None:
    issue = only_issue(raw_config(**{cloud: {"regions": regions}}))

    assert issue.path == f"{cloud}.regions"
    assert "unique" in issue.allowed


def test_region_errors_are_reported_even_when_the_cloud_is_enabled() -> None:
    error = error_of(raw_config(aws={"enabled": True, "regions": ["nowhere"]}))

    assert [issue.path for issue in error.issues] == ["aws.regions"]


# --------------------------------------------------------------------------- images


@pytest.mark.parametrize("environment", ["staging", "prod"])
def test_staging_and_prod_require_the_image_pinned_by_digest(environment: str) -> None:
    issue = only_issue(raw_config(environment, app=app(image=TAGGED)))

    assert (issue.path, issue.value) == ("app.image", TAGGED)
    assert "@sha256:" in issue.allowed


@pytest.mark.parametrize("environment", ["staging", "prod"])
def test_staging_and_prod_accept_a_digest_pinned_image(environment: str) -> None:
    assert parse(raw_config(environment)).app.image == PINNED


def test_dev_accepts_an_image_pinned_by_tag_only() -> None:
    assert parse(raw_config("dev", app=app(image=TAGGED))).app.image == TAGGED


@pytest.mark.parametrize("environment", ["staging", "prod"])
def test_an_override_image_obeys_the_same_digest_rule(environment: str) -> None:
    issue = only_issue(raw_config(environment, overrides={"kind": {"image": TAGGED}}))

    assert (issue.path, issue.value) == ("overrides.kind.image", TAGGED)
    assert "@sha256:" in issue.allowed


@pytest.mark.parametrize("image", ["ghcr.io/acme/hello:latest", "hello:latest"])
def test_the_latest_tag_is_rejected_in_every_environment(image: str) -> None:
    issue = only_issue(raw_config("dev", app=app(image=image)))

    assert (issue.path, issue.value) == ("app.image", image)
    assert ":latest" in issue.allowed


@pytest.mark.parametrize("image", ["ghcr.io/acme/hello", "hello", "localhost:5000/acme/hello"])
def test_an_untagged_image_is_rejected_in_every_environment(image: str) -> None:
    issue = only_issue(raw_config("dev", app=app(image=image)))

    assert (issue.path, issue.value) == ("app.image", image)
    assert "tag or a digest" in issue.allowed


@pytest.mark.parametrize("image", ["ghcr.io/acme/hello:latest", "ghcr.io/acme/hello"])
def test_an_override_image_may_not_be_latest_or_untagged(image: str) -> None:
    issue = only_issue(raw_config("dev", overrides={"kind": {"image": image}}))

    assert (issue.path, issue.value) == ("overrides.kind.image", image)


@pytest.mark.parametrize("image", ["ghcr.io/acme/hello:1@sha256:abc", "hello world:1", ""])
def test_a_malformed_image_reference_is_rejected(image: str) -> None:
    issue = only_issue(raw_config("dev", app=app(image=image)))

    assert issue.path == "app.image"


# --------------------------------------------------------------------------- host and TLS


@pytest.mark.parametrize(
    "host",
    [
        "hello",
        "Hello.example.com",
        "hello_world.example.com",
        "-hello.example.com",
        "hello..example.com",
        "https://hello.example.com",
        "*.example.com",
        "hello.example.com.",
        "a" * 250 + ".com",
    ],
)
def test_app_host_must_be_a_dns_name(host: str) -> None:
    issue = only_issue(raw_config(app=app(host=host)))

    assert (issue.path, issue.value) == ("app.host", host)
    assert "DNS name" in issue.allowed


def test_a_tls_secret_needs_a_host() -> None:
    issue = only_issue(raw_config(app=app(tlsSecretName="hello-tls")))

    assert (issue.path, issue.value) == ("app.tlsSecretName", "hello-tls")
    assert "app.host" in issue.allowed


def test_a_tls_secret_with_a_host_is_accepted() -> None:
    parsed = parse(raw_config(app=app(host="hello.example.com", tlsSecretName="hello-tls")))

    assert (parsed.app.host, parsed.app.tls_secret_name) == ("hello.example.com", "hello-tls")


# --------------------------------------------------------------------------- sizes


def test_replicas_may_not_exceed_max_replicas() -> None:
    issue = only_issue(raw_config(app=app(replicas=5, maxReplicas=4)))

    assert (issue.path, issue.value) == ("app.replicas", 5)
    assert "maxReplicas (4)" in issue.allowed


def test_replicas_above_the_profile_max_replicas_are_rejected() -> None:
    issue = only_issue(raw_config("dev", app=app(replicas=4)))

    assert (issue.path, issue.value) == ("app.replicas", 4)
    assert "maxReplicas (3)" in issue.allowed


def test_an_override_may_not_raise_replicas_past_max_replicas() -> None:
    issue = only_issue(raw_config(overrides={"kind": {"replicas": 5}}))

    assert (issue.path, issue.value) == ("overrides.kind.replicas", 5)
    assert "on this cluster" in issue.allowed


def test_an_override_may_not_lower_max_replicas_below_replicas() -> None:
    issue = only_issue(raw_config("prod", overrides={"kind": {"maxReplicas": 2}}))

    assert (issue.path, issue.value) == ("overrides.kind.replicas", 3)
    assert "maxReplicas (2)" in issue.allowed


def test_an_override_may_raise_replicas_together_with_max_replicas() -> None:
    parsed = parse(raw_config(overrides={"kind": {"replicas": 5, "maxReplicas": 8}}))

    assert parsed.app_for("kind").replicas == 5


@pytest.mark.parametrize(
    ("resources", "path", "value"),
    [
        ({"requests": {"cpu": "500m"}, "limits": {"cpu": "250m"}}, "app.resources.limits.cpu", "250m"),
        ({"requests": {"cpu": "1"}, "limits": {"cpu": "999m"}}, "app.resources.limits.cpu", "999m"),
        ({"requests": {"memory": "1Gi"}, "limits": {"memory": "512Mi"}}, "app.resources.limits.memory", "512Mi"),
        ({"requests": {"memory": "1G"}, "limits": {"memory": "950Mi"}}, "app.resources.limits.memory", "950Mi"),
    ],
)
def test_limits_below_requests_are_rejected(resources: dict[str, Any], path: str, value: str) -> None:
    issue = only_issue(raw_config(app=app(resources=resources)))

    assert (issue.path, issue.value) == (path, value)
    assert "at least the request" in issue.allowed


def test_limits_equal_to_requests_in_other_units_are_accepted() -> None:
    resources = {"requests": {"cpu": "0.5", "memory": "1Gi"}, "limits": {"cpu": "500m", "memory": "1024Mi"}}

    parsed = parse(raw_config(app=app(resources=resources)))

    assert parsed.app.resources.limits.cpu == "500m"


@pytest.mark.parametrize("port", [80, 443, 1023, 0, -1, 65536])
def test_a_port_outside_1024_to_65535_is_rejected(port: int) -> None:
    issue = only_issue(raw_config(app=app(port=port)))

    assert (issue.path, issue.value) == ("app.port", port)


@pytest.mark.parametrize("port", [1024, 8080, 65535])
def test_an_unprivileged_port_is_accepted(port: int) -> None:
    assert parse(raw_config(app=app(port=port))).app.port == port


# --------------------------------------------------------------------------- profiles and overrides


@pytest.mark.parametrize(
    ("environment", "replicas", "max_replicas", "cpu_request", "protect"),
    [("dev", 1, 3, "50m", False), ("staging", 2, 5, "100m", False), ("prod", 3, 10, "250m", True)],
)
def test_the_environment_profile_fills_what_is_not_written(
    environment: str, replicas: int, max_replicas: int, cpu_request: str, protect: bool
) -> None:
    parsed = parse(raw_config(environment))

    assert (parsed.app.replicas, parsed.app.max_replicas) == (replicas, max_replicas)
    assert parsed.app.resources.requests.cpu == cpu_request
    assert parsed.profile.protect is protect


def test_a_written_value_wins_over_the_profile() -> None:
    parsed = parse(raw_config("prod", app=app(replicas=5)))

    assert parsed.app.replicas == 5
    assert parsed.app.max_replicas == 10


def test_a_partly_written_resources_block_keeps_the_profile_for_the_rest() -> None:
    parsed = parse(raw_config("prod", app=app(resources={"requests": {"cpu": "500m"}})))

    assert parsed.app.resources.requests.cpu == "500m"
    assert parsed.app.resources.requests.memory == "256Mi"
    assert parsed.app.resources.limits.model_dump() == {"cpu": "1", "memory": "512Mi"}


def test_field_defaults_apply_when_nothing_is_written() -> None:
    parsed = parse(raw_config())

    assert parsed.app.port == 8080
    assert parsed.app.namespace_name == "hello"
    assert parsed.app.probes.liveness == "/healthz"
    assert parsed.existing[0].ingress_class == "nginx"
    assert (parsed.aws.enabled, parsed.aws.mode.value, parsed.gcp.mode.value) == (False, "auto", "autopilot")


@pytest.mark.parametrize("ingress_class", ["webapprouting.kubernetes.azure.com", "nginx", "traefik-internal"])
def test_an_existing_cluster_takes_any_ingress_class_name_kubernetes_allows(ingress_class: str) -> None:
    clusters = [{"name": "aks-adopted", "context": "aks", "ingressClass": ingress_class}]
    parsed = parse(raw_config(existing=clusters))

    assert parsed.existing[0].ingress_class == ingress_class


@pytest.mark.parametrize("ingress_class", ["Nginx", "nginx.", ".nginx", "web..routing", "nginx_internal"])
def test_an_ingress_class_kubernetes_would_refuse_is_a_config_error(ingress_class: str) -> None:
    clusters = [{"name": "kind", "context": "kind-kind", "ingressClass": ingress_class}]
    issue = only_issue(raw_config(existing=clusters))

    assert (issue.path, issue.value) == ("existing[0].ingressClass", ingress_class)
    assert "IngressClass name" in issue.allowed


def test_app_for_applies_an_override_only_to_the_cluster_it_names() -> None:
    clusters = [{"name": "kind", "context": "kind-kind"}, {"name": "edge", "context": "edge"}]
    canary = f"ghcr.io/acme/hello:1.5.0@{DIGEST}"
    parsed: StackConfig = parse(
        raw_config("prod", existing=clusters, overrides={"edge": {"replicas": 4, "maxReplicas": 12, "image": canary}})
    )

    edge, kind = parsed.app_for("edge"), parsed.app_for("kind")

    assert (edge.replicas, edge.max_replicas, edge.image) == (4, 12, canary)
    assert (kind.replicas, kind.max_replicas, kind.image) == (3, 10, PINNED)
    assert parsed.app.replicas == 3
    assert edge.resources == kind.resources


def test_values_written_as_strings_are_accepted_by_parse() -> None:
    parsed = parse(raw_config(aws={"enabled": "false"}, app=app(port="9898", replicas="2", maxReplicas="4")))

    assert (parsed.aws.enabled, parsed.app.port, parsed.app.replicas, parsed.app.max_replicas) == (False, 9898, 2, 4)


# --------------------------------------------------------------------------- through the engine


@pytest.mark.parametrize("stack", STACKS)
def test_each_committed_stack_loads_and_evaluates(stack: str, committed_plan: Callable[[str], Plan]) -> None:
    expected = parse(stack_config(stack))

    plan = committed_plan(stack)

    assert plan.cluster_names == sorted(c.name for c in expected.clusters)
    assert registered_non_stack(plan)
    assert len(plan.of_type("pulumi:pulumi:Stack")) == 1


def test_values_stored_as_strings_by_pulumi_config_set_are_accepted(tmp_path: Path) -> None:
    # `pulumi config set --path app.port 8080` writes the string "8080" into the stack file.
    values = raw_config(
        aws={"enabled": "false", "mode": "standard"},
        app=app(port="8080", replicas="2", maxReplicas="3", targetCpuUtilization="60"),
    )

    plan = evaluate("strings", config_file=write_stack(tmp_path, values, "strings"))

    deployment = plan.of_type("kubernetes:apps/v1:Deployment")[0]
    container = deployment.inputs["spec"]["template"]["spec"]["containers"][0]
    assert container["ports"][0]["containerPort"] == 8080
    hpa = plan.of_type("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")[0]
    assert (hpa.inputs["spec"]["minReplicas"], hpa.inputs["spec"]["maxReplicas"]) == (2, 3)


def test_a_bad_stack_file_raises_config_error_and_registers_only_the_root_stack(tmp_path: Path) -> None:
    values = raw_config("prod", app=app(image=TAGGED, port=80), overrides={"nowhere": {"replicas": 2}})

    error, plan = evaluate_failing("bad", write_stack(tmp_path, values, "bad"))

    assert {issue.path for issue in error.issues} == {"app.image", "app.port", "overrides.nowhere"}
    assert "multicloud:app.image" in str(error)
    assert registered_non_stack(plan) == []
    assert [r.type for r in plan.resources] == ["pulumi:pulumi:Stack"]


def test_an_unknown_top_level_key_in_a_stack_file_is_reported(tmp_path: Path) -> None:
    values = {**raw_config(), "enviroment": "prod"}

    error, plan = evaluate_failing("typo", write_stack(tmp_path, values, "typo"))

    assert "multicloud:enviroment: found 'prod'; unknown key; did you mean 'environment'?" in str(error)
    assert registered_non_stack(plan) == []


# --------------------------------------------------------------------------- edge cases found by review


@pytest.mark.parametrize(
    ("section", "value", "path"),
    [
        ("app", app(name="hello\n"), "app.name"),
        ("app", app(image="ghcr.io/acme/hello:1.4.2\n"), "app.image"),
        ("app", app(host="hello.example.com\n"), "app.host"),
        ("app", app(resources={"requests": {"cpu": "50m\n"}}), "app.resources.requests.cpu"),
        ("existing", [{"name": "kind\n", "context": "kind-kind"}], "existing[0].name"),
        ("aws", {"regions": ["us-west-2\n"]}, "aws.regions"),
    ],
)
def test_a_trailing_newline_is_not_a_valid_name(section: str, value: Any, path: str) -> None:
    issue = only_issue(raw_config(**{section: value}))

    assert issue.path == path


@pytest.mark.parametrize("image", ["redis:7", "postgres:16", "hello:20240101"])
def test_a_numeric_tag_on_a_one_part_image_name_is_a_tag(image: str) -> None:
    assert parse(raw_config("dev", app=app(image=image))).app.image == image


def test_a_number_or_bool_set_with_config_set_path_is_a_valid_env_value() -> None:
    parsed = parse(raw_config(app=app(env={"WORKERS": 4, "DEBUG": True})))

    assert parsed.app.env == {"WORKERS": "4", "DEBUG": "true"}


def test_an_ip_address_is_not_an_ingress_host() -> None:
    issue = only_issue(raw_config(app=app(host="10.0.0.1")))

    assert issue.path == "app.host"


def test_a_secret_value_is_never_printed_in_a_config_error() -> None:
    def load_with_a_secret() -> ConfigError:
        config = {
            "multicloud:existing": '[{"name": "kind", "context": "kind-kind"}]',
            "multicloud:app": f'{{"name": "hello", "image": "{PINNED}"}}',
            "multicloud:dbPassword": "hunter2-plaintext",
        }
        set_all_config(config, ["multicloud:dbPassword"])
        with pytest.raises(ConfigError) as caught:
            stack_config_module.load()
        return caught.value

    error = contextvars.copy_context().run(load_with_a_secret)

    assert [issue.path for issue in error.issues] == ["dbPassword"]
    assert "hunter2-plaintext" not in str(error)


def test_a_yaml_date_in_a_stack_file_is_read_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.date.yaml"
    path.write_text(
        "config:\n"
        "  multicloud:existing: [{name: kind, context: kind-kind}]\n"
        "  multicloud:app:\n"
        "    name: hello\n"
        f"    image: {TAGGED}\n"
        "    env:\n"
        "      RELEASE: 2024-01-01\n"
    )

    try:
        evaluate("date", config_file=path)
    except ConfigError as error:
        assert [issue.path for issue in error.issues] == ["app.env.RELEASE"]


def test_the_fixture_config_is_valid() -> None:
    parsed = parse(copy.deepcopy(raw_config()))

    assert [c.name for c in parsed.clusters] == ["kind"]


def test_an_admin_arn_listed_twice_is_refused() -> None:
    arn = "arn:aws:iam::123456789012:role/platform-admins"
    issue = only_issue(raw_config(aws={"adminRoleArns": [arn, arn]}))

    assert issue.path == "aws.adminRoleArns"
    assert "one access entry per principal" in issue.allowed


def issues_of(raw: dict[str, Any]) -> list[ConfigIssue]:
    with pytest.raises(ConfigError) as caught:
        parse(raw)
    return caught.value.issues


GKE = {"enabled": True, "project": "acme-dev", "regions": ["us-central1"]}
AKS = {"enabled": True, "regions": ["westeurope"], "adminGroupObjectIds": ["3f2b8c1e-5d4a-4e7b-9c61-2a8d0f4b7e19"]}


@pytest.mark.parametrize(
    ("start", "end"),
    [("2025-01-04T03:00:00Z", "2025-01-04T05:00:00Z"), ("2025-01-04T03:00:00Z", "2025-01-05T04:00:00Z")],
)
def test_a_gke_maintenance_window_lasts_four_hours_to_under_a_day(start: str, end: str) -> None:
    issues = issues_of(raw_config(gcp={**GKE, "maintenanceWindow": {"start": start, "end": end}}))

    assert [i.path for i in issues] == ["gcp.maintenanceWindow.end"]


@pytest.mark.parametrize("key", ["podCidr", "serviceCidr"])
def test_aks_pod_and_service_ranges_stay_clear_of_the_ranges_aks_reserves(key: str) -> None:
    issues = issues_of(raw_config(azure={**AKS, key: "172.30.0.0/16"}))

    assert ("azure." + key, "172.30.0.0/16") in [(i.path, i.value) for i in issues]


def test_enabled_gke_and_aks_sections_with_defaults_are_valid() -> None:
    parsed = parse(raw_config(gcp=GKE, azure=AKS))

    assert [c.name for c in parsed.clusters if c.cloud != "existing"] == ["gcp-us-central1", "azure-westeurope"]
