"""KubernetesApp: the hardening and shape of every object, on the recorded inputs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.app import KubernetesApp, KubernetesAppArgs
from components.cluster import ClusterTarget, IngressContract
from tools.engine import Plan, Resource, run

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
NAMESPACE = "kubernetes:core/v1:Namespace"
SERVICE = "kubernetes:core/v1:Service"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"


def one(plan: Plan, type_: str, cluster: str = "kind") -> Resource:
    found = [r for r in plan.of_type(type_) if r.name.startswith(f"{cluster}-")]
    assert len(found) == 1, f"expected one {type_} on {cluster}, found {[r.name for r in found]}"
    return found[0]


def pod_spec(plan: Plan, cluster: str = "kind") -> dict[str, Any]:
    return one(plan, DEPLOYMENT, cluster).inputs["spec"]["template"]["spec"]


def container(plan: Plan, cluster: str = "kind") -> dict[str, Any]:
    (only,) = pod_spec(plan, cluster)["containers"]
    return only


@pytest.fixture(scope="module")
def dev(committed_plan: Callable[[str], Plan]) -> Plan:
    return committed_plan("dev")


@pytest.fixture(scope="module")
def prod(committed_plan: Callable[[str], Plan]) -> Plan:
    return committed_plan("prod")


def test_namespace_enforces_restricted_pod_security(dev: Plan) -> None:
    labels = one(dev, NAMESPACE).inputs["metadata"]["labels"]
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"


def test_service_account_never_mounts_a_token(dev: Plan) -> None:
    assert one(dev, SERVICE_ACCOUNT).inputs["automountServiceAccountToken"] is False
    assert pod_spec(dev)["automountServiceAccountToken"] is False
    assert pod_spec(dev)["serviceAccountName"] == one(dev, SERVICE_ACCOUNT).inputs["metadata"]["name"]


def test_pod_runs_as_a_high_non_root_user_with_runtime_default_seccomp(dev: Plan) -> None:
    pod = pod_spec(dev)["securityContext"]
    assert pod["runAsNonRoot"] is True
    assert pod["runAsUser"] >= 10000
    assert pod["seccompProfile"] == {"type": "RuntimeDefault"}


def test_container_is_locked_down(dev: Plan) -> None:
    security = container(dev)["securityContext"]
    assert security["allowPrivilegeEscalation"] is False
    assert security["privileged"] is False
    assert security["readOnlyRootFilesystem"] is True
    assert security["runAsNonRoot"] is True
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert security["seccompProfile"] == {"type": "RuntimeDefault"}


def test_read_only_root_gets_a_bounded_writable_tmp(dev: Plan) -> None:
    mounts = {m["mountPath"]: m["name"] for m in container(dev)["volumeMounts"]}
    volumes = {v["name"]: v for v in pod_spec(dev)["volumes"]}
    assert volumes[mounts["/tmp"]]["emptyDir"]["sizeLimit"]


def test_container_has_cpu_and_memory_requests_and_limits_from_the_profile(dev: Plan, prod: Plan) -> None:
    assert container(dev)["resources"] == {
        "requests": {"cpu": "50m", "memory": "64Mi"},
        "limits": {"cpu": "250m", "memory": "128Mi"},
    }
    assert container(prod, "onprem-dc1")["resources"]["requests"] == {"cpu": "250m", "memory": "256Mi"}


def test_probes_poll_the_configured_paths_on_the_app_port(plan_with: Callable[..., Plan]) -> None:
    plan = plan_with(
        "dev",
        app={
            "name": "hello",
            "image": "ghcr.io/acme/hello:1.0",
            "port": 9000,
            "probes": {"liveness": "/live", "readiness": "/ready", "startup": "/started"},
        },
    )
    app = container(plan)
    assert app["ports"] == [{"name": "http", "containerPort": 9000, "protocol": "TCP"}]
    assert app["livenessProbe"]["httpGet"] == {"path": "/live", "port": "http"}
    assert app["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
    assert app["startupProbe"]["httpGet"] == {"path": "/started", "port": "http"}


def test_pods_spread_across_zones_without_blocking_single_zone_clusters(dev: Plan) -> None:
    spread = {c["topologyKey"]: c for c in pod_spec(dev)["topologySpreadConstraints"]}
    zone = spread["topology.kubernetes.io/zone"]
    assert zone["maxSkew"] == 1
    assert zone["whenUnsatisfiable"] == "ScheduleAnyway"
    assert zone["labelSelector"]["matchLabels"] == one(dev, DEPLOYMENT).inputs["spec"]["selector"]["matchLabels"]


def test_rollout_never_drops_below_the_disruption_budget(dev: Plan) -> None:
    strategy = one(dev, DEPLOYMENT).inputs["spec"]["strategy"]
    assert strategy["type"] == "RollingUpdate"
    assert strategy["rollingUpdate"]["maxUnavailable"] == 0
    budget = one(dev, PDB).inputs["spec"]
    assert budget["maxUnavailable"] == 1
    assert budget["unhealthyPodEvictionPolicy"] == "AlwaysAllow"
    assert budget["selector"] == one(dev, DEPLOYMENT).inputs["spec"]["selector"]


def test_autoscaler_owns_the_replica_count(dev: Plan, prod: Plan) -> None:
    assert "replicas" not in one(dev, DEPLOYMENT).inputs["spec"]
    hpa = one(dev, HPA).inputs["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (1, 3)
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "hello"}
    assert hpa["metrics"][0]["resource"]["target"] == {"type": "Utilization", "averageUtilization": 70}
    prod_hpa = one(prod, HPA, "onprem-dc2").inputs["spec"]
    assert (prod_hpa["minReplicas"], prod_hpa["maxReplicas"]) == (3, 10)


def test_overrides_change_only_the_cluster_they_name(prod: Plan) -> None:
    dc1 = one(prod, HPA, "onprem-dc1").inputs["spec"]
    dc2 = one(prod, HPA, "onprem-dc2").inputs["spec"]
    assert (dc1["minReplicas"], dc1["maxReplicas"]) == (4, 12)
    assert (dc2["minReplicas"], dc2["maxReplicas"]) == (3, 10)


def test_override_image_is_a_canary_on_one_cluster(plan_with: Callable[..., Plan]) -> None:
    digest = "@sha256:" + "a" * 64
    plan = plan_with("prod", overrides={"onprem-dc2": {"image": f"ghcr.io/acme/hello:2.0{digest}"}})
    assert container(plan, "onprem-dc2")["image"] == f"ghcr.io/acme/hello:2.0{digest}"
    assert container(plan, "onprem-dc1")["image"].startswith("ghcr.io/stefanprodan/podinfo:6.7.1@sha256:")


def test_in_cluster_objects_have_stable_names_and_standard_labels(dev: Plan) -> None:
    for type_ in (DEPLOYMENT, SERVICE, INGRESS, HPA, PDB, NETPOL, SERVICE_ACCOUNT):
        metadata = one(dev, type_).inputs["metadata"]
        assert metadata["name"] == "hello", type_
        assert metadata["namespace"] == "hello", type_
        assert metadata["labels"]["app.kubernetes.io/name"] == "hello"
        assert metadata["labels"]["app.kubernetes.io/instance"] == "hello-kind"
    assert one(dev, NAMESPACE).inputs["metadata"]["name"] == "hello"


def test_ingress_routes_the_host_to_the_service_with_the_cluster_class(dev: Plan) -> None:
    spec = one(dev, INGRESS).inputs["spec"]
    assert spec["ingressClassName"] == "nginx"
    (rule,) = spec["rules"]
    assert rule["host"] == "hello.dev.localtest.me"
    (path,) = rule["http"]["paths"]
    assert path["backend"]["service"] == {"name": "hello", "port": {"name": "http"}}
    assert "tls" not in spec


def test_ingress_terminates_tls_with_the_named_secret(prod: Plan) -> None:
    spec = one(prod, INGRESS, "onprem-dc1").inputs["spec"]
    assert spec["tls"] == [{"hosts": ["hello.example.com"], "secretName": "hello-tls"}]
    assert prod.outputs["appUrls"]["onprem-dc1"] == "https://hello.example.com"


def test_without_a_host_the_ingress_matches_any_host_and_the_url_is_the_lb_address(
    plan_with: Callable[..., Plan],
) -> None:
    plan = plan_with("dev", app={"name": "hello", "image": "ghcr.io/acme/hello:1.0"})
    (rule,) = one(plan, INGRESS).inputs["spec"]["rules"]
    assert "host" not in rule
    assert plan.outputs["appUrls"]["kind"].startswith("http://203.0.113.")


def test_network_policy_admits_only_the_app_port_from_the_ingress_controller(dev: Plan) -> None:
    spec = one(dev, NETPOL).inputs["spec"]
    assert spec["policyTypes"] == ["Ingress"]
    assert spec["podSelector"] == one(dev, DEPLOYMENT).inputs["spec"]["selector"]
    (rule,) = spec["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 9898}]
    assert rule["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}]


def test_prod_namespace_is_protected_and_dev_is_not(dev: Plan, prod: Plan) -> None:
    assert one(dev, NAMESPACE).protect is False
    assert {r.protect for r in prod.of_type(NAMESPACE)} == {True}
    app_objects = [r for r in prod if any(a.type == "multicloud:index:KubernetesApp" for a in prod.ancestors(r))]
    assert [r.name for r in app_objects if r.protect and r.type != NAMESPACE] == []


def _app_on(contract: IngressContract, ready: bool = True) -> Plan:
    """Put the app on a target with this ingress contract (a stand-in for a cloud cluster)."""

    def program() -> None:
        provider = k8s.Provider("fake-k8s", kubeconfig="{}", cluster_identifier="fake")
        nodes = [k8s.core.v1.ConfigMap("fake-nodes", opts=pulumi.ResourceOptions(provider=provider))] if ready else []
        target = ClusterTarget(
            name="fake",
            cloud="test",
            region="r1",
            provider=provider,
            kubeconfig=pulumi.Output.secret("{}"),
            ingress=contract,
            ready=nodes,
        )
        args: KubernetesAppArgs = {
            "target": target,
            "name": "hello",
            "namespace": "hello",
            "image": "ghcr.io/acme/hello:1.0",
            "port": 8080,
            "replicas": 2,
            "max_replicas": 4,
            "target_cpu_utilization": 60,
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"cpu": "200m", "memory": "256Mi"},
            "liveness_path": "/healthz",
            "readiness_path": "/ready",
            "startup_path": "/healthz",
            "run_as_user": 10001,
        }
        KubernetesApp("fake-app", args)

    return run(program)


def test_service_and_ingress_follow_the_cluster_ingress_contract() -> None:
    contract = IngressContract(
        class_name="alb",
        annotations={"alb.ingress.kubernetes.io/scheme": "internet-facing"},
        service_type="NodePort",
        service_annotations={"cloud.google.com/neg": '{"ingress": true}'},
        health_check_path_annotation="alb.ingress.kubernetes.io/healthcheck-path",
        traffic_sources=({"ipBlock": {"cidr": "10.0.0.0/16"}},),
    )
    plan = _app_on(contract)
    service = one(plan, SERVICE, "fake").inputs
    assert service["spec"]["type"] == "NodePort"
    assert service["metadata"]["annotations"] == {"cloud.google.com/neg": '{"ingress": true}'}
    ingress = one(plan, INGRESS, "fake").inputs
    assert ingress["spec"]["ingressClassName"] == "alb"
    assert ingress["metadata"]["annotations"] == {
        "alb.ingress.kubernetes.io/scheme": "internet-facing",
        "alb.ingress.kubernetes.io/healthcheck-path": "/ready",
    }
    (rule,) = one(plan, NETPOL, "fake").inputs["spec"]["ingress"]
    assert rule["from"] == [{"ipBlock": {"cidr": "10.0.0.0/16"}}]


def test_every_app_object_goes_through_the_target_provider() -> None:
    plan = _app_on(IngressContract(class_name=None))
    provider = plan.named("fake-k8s").urn
    app = plan.named("fake-app")
    children = plan.children(app.urn)
    assert {r.type for r in children} == {DEPLOYMENT, SERVICE, INGRESS, HPA, PDB, NETPOL, SERVICE_ACCOUNT, NAMESPACE}
    assert {r.provider for r in children} == {provider}


def test_workloads_wait_for_the_cluster_to_be_ready() -> None:
    plan = _app_on(IngressContract(class_name=None))
    nodes = plan.named("fake-nodes").urn
    for type_ in (NAMESPACE, DEPLOYMENT, INGRESS):
        assert nodes in one(plan, type_, "fake").dependencies, type_
    namespace = one(plan, NAMESPACE, "fake").urn
    for type_ in (DEPLOYMENT, SERVICE, INGRESS, HPA, PDB, NETPOL, SERVICE_ACCOUNT):
        assert namespace in one(plan, type_, "fake").dependencies, type_


def test_an_ingress_without_a_class_leaves_the_choice_to_the_cluster_default() -> None:
    plan = _app_on(IngressContract(class_name=None), ready=False)
    assert "ingressClassName" not in one(plan, INGRESS, "fake").inputs["spec"]
