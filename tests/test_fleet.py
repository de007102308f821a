"""The fleet: every stack evaluates, each cluster gets the app through its own provider."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import STACKS
from tools.engine import Plan, Resource

APP_TYPES = {
    "kubernetes:core/v1:Namespace",
    "kubernetes:core/v1:ServiceAccount",
    "kubernetes:apps/v1:Deployment",
    "kubernetes:core/v1:Service",
    "kubernetes:networking.k8s.io/v1:Ingress",
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    "kubernetes:policy/v1:PodDisruptionBudget",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy",
}
PROVIDER = "pulumi:providers:kubernetes"


@pytest.mark.parametrize("stack", STACKS)
def test_each_committed_stack_evaluates_with_a_cluster_and_an_app_url(
    committed_plan: Callable[[str], Plan], stack: str
) -> None:
    plan = committed_plan(stack)
    assert plan.cluster_names
    assert set(plan.outputs["appUrls"]) == set(plan.cluster_names)
    assert all(url.startswith(("http://", "https://")) for url in plan.outputs["appUrls"].values())


@pytest.mark.parametrize("stack", STACKS)
def test_each_cluster_gets_the_full_app_through_its_own_provider(
    committed_plan: Callable[[str], Plan], stack: str
) -> None:
    plan = committed_plan(stack)
    providers = {plan.cluster_of(p): p.urn for p in plan.of_type(PROVIDER)}
    assert set(providers) == set(plan.cluster_names)
    assert len(set(providers.values())) == len(providers)
    for cluster in plan.cluster_names:
        objects = [r for r in plan if r.type in APP_TYPES and plan.cluster_of(r) == cluster]
        assert {r.type for r in objects} == APP_TYPES, cluster
        assert len(objects) == len(APP_TYPES), cluster
        assert {r.provider for r in objects} == {providers[cluster]}, cluster


@pytest.mark.parametrize("stack", STACKS)
def test_no_custom_resource_is_registered_without_an_explicit_provider(
    committed_plan: Callable[[str], Plan], stack: str
) -> None:
    plan = committed_plan(stack)
    orphans = [r.name for r in plan if r.custom and not r.type.startswith("pulumi:providers:") and not r.provider]
    assert orphans == []


@pytest.mark.parametrize("stack", STACKS)
def test_every_resource_name_starts_with_its_cluster_name(committed_plan: Callable[[str], Plan], stack: str) -> None:
    plan = committed_plan(stack)
    unassigned = [r.name for r in plan if r.type != "pulumi:pulumi:Stack" and plan.cluster_of(r) is None]
    assert unassigned == []


def test_clusters_never_depend_on_each_other(committed_plan: Callable[[str], Plan]) -> None:
    plan = committed_plan("prod")
    assert len(plan.cluster_names) == 8
    assert plan.cross_cluster_edges() == []


def test_kubernetes_provider_is_pinned_to_an_explicit_context_and_identity(
    committed_plan: Callable[[str], Plan],
) -> None:
    plan = committed_plan("prod")
    existing = {c for c in plan.cluster_names if plan.outputs["clusters"][c]["cloud"] == "existing"}
    assert existing
    for provider in plan.of_type(PROVIDER):
        cluster = plan.cluster_of(provider)
        if cluster not in existing:
            continue
        inputs = provider.inputs
        assert inputs["context"] == cluster, "never the kubeconfig's current context"
        assert inputs["clusterIdentifier"] == f"existing/{cluster}"
        assert inputs["kubeconfig"].endswith("/.kube/onprem.yaml")
        assert "~" not in inputs["kubeconfig"]


def test_an_app_change_leaves_the_provider_untouched(
    committed_plan: Callable[[str], Plan], plan_with: Callable[..., Plan]
) -> None:
    before = committed_plan("dev")
    after = plan_with("dev", app={"name": "other", "image": "ghcr.io/acme/other:2.0", "port": 9000})
    assert before.named("kind-k8s").inputs == after.named("kind-k8s").inputs


APP = "multicloud:index:KubernetesApp"
#: Every app setting changed at once: what a release, a rename or a resize would touch.
CHANGED_APP = {
    "name": "shop",
    "image": "ghcr.io/acme/shop:2.0.0@sha256:" + "ab" * 32,
    "port": 8443,
    "namespace": "storefront",
    "host": "shop.example.org",
    "tlsSecretName": "shop-tls",
    "replicas": 5,
    "maxReplicas": 20,
    "targetCpuUtilization": 60,
    "probes": {"liveness": "/live", "readiness": "/ready", "startup": "/started"},
    "resources": {"requests": {"cpu": "300m", "memory": "384Mi"}, "limits": {"cpu": "2", "memory": "1Gi"}},
    "env": {"FEATURE_X": "on"},
}


#: Cloud objects that exist for the app's host and move with it: the Google-managed certificate for `app.host`
#: (named after a hash of the host, so a new host gets a new certificate before the old one goes).
FOR_THE_APP_HOST = {"gcp:compute/managedSslCertificate:ManagedSslCertificate"}


def _infrastructure(plan: Plan) -> dict[str, Resource]:
    """Everything but the app components and what they own: clusters, networks, providers, controllers."""
    apps = {r.urn for r in plan.of_type(APP)}

    def in_app(resource: Resource) -> bool:
        parent = resource.urn
        while parent is not None:
            if parent in apps:
                return True
            parent = plan.by_urn(parent).parent
        return False

    return {r.urn: r for r in plan if not in_app(r) and r.type not in FOR_THE_APP_HOST}


def test_no_app_change_touches_a_cluster_or_a_kubernetes_provider(
    committed_plan: Callable[[str], Plan], plan_with: Callable[..., Plan]
) -> None:
    before = committed_plan("prod")
    after = plan_with("prod", app=CHANGED_APP, overrides={"onprem-dc1": {"replicas": 2}})
    assert {r.name for r in after.of_type("kubernetes:apps/v1:Deployment")} != set(), "the app still deploys"
    old, new = _infrastructure(before), _infrastructure(after)
    assert set(new) == set(old), "an app change added or removed infrastructure"
    changed = [
        old[urn].name
        for urn in old
        if (old[urn].inputs, old[urn].parent, old[urn].provider, sorted(old[urn].edges), old[urn].protect)
        != (new[urn].inputs, new[urn].parent, new[urn].provider, sorted(new[urn].edges), new[urn].protect)
    ]
    assert changed == [], f"an app change would update (or replace) {changed}"
    certificates = [r for r in after if r.type in FOR_THE_APP_HOST]
    assert certificates, "prod's GKE clusters serve app.host with a managed certificate"
    assert all(c.inputs["managed"]["domains"] == ["shop.example.org"] for c in certificates), "it follows the host"
    providers = [r for r in new.values() if r.type == "pulumi:providers:kubernetes"]
    assert len(providers) == len(before.cluster_names) == 8


def test_kubeconfigs_are_exported_only_as_a_secret(committed_plan: Callable[[str], Plan]) -> None:
    plan = committed_plan("prod")
    assert "kubeconfigs" in plan.secret_outputs
    assert set(plan.outputs["kubeconfigs"]) == set(plan.cluster_names)
    assert "kubeconfigs" not in str(plan.as_json()["outputs"]["clusters"])
    assert plan.as_json()["outputs"]["kubeconfigs"] == "[secret]"


def test_cluster_outputs_name_cloud_region_and_url(committed_plan: Callable[[str], Plan]) -> None:
    plan = committed_plan("prod")
    assert plan.outputs["clusters"]["onprem-dc2"] == {
        "cloud": "existing",
        "region": "dc2",
        "url": "https://hello.example.com",
    }


def test_a_dependency_between_two_clusters_is_found() -> None:
    def resource(name: str, deps: list[str]) -> Resource:
        return Resource(f"urn:{name}", "t:m:R", name, None, None, deps, {}, {}, [], False, [], True)

    vpc = resource("aws-us-west-2-vpc", [])
    peer = resource("aws-eu-west-1-peering", [vpc.urn])
    plan = Plan("t", [vpc, peer], outputs={"clusters": {"aws-us-west-2": {}, "aws-eu-west-1": {}}})
    assert plan.cross_cluster_edges() == ["aws-eu-west-1-peering (aws-eu-west-1) -> aws-us-west-2-vpc (aws-us-west-2)"]
