"""`python -m tools.plan`: the command-line contract CI and users script against."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import stack_config, write_stack
from tools.engine import PROJECT_DIR


def plan(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.plan", *args],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_default_output_is_a_resource_tree_with_a_summary() -> None:
    result = plan("--stack", "dev")
    assert result.returncode == 0, result.stderr
    assert "pulumi:pulumi:Stack multicloud-dev" in result.stdout
    assert "kubernetes:apps/v1:Deployment kind-app-deployment" in result.stdout
    assert "Resources: 12 to create (2 components, 9 custom; 0 protected)" in result.stdout
    assert "[secret]" in result.stdout


def test_json_lists_every_resource_with_the_contract_fields() -> None:
    result = plan("--stack", "prod", "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["stack"] == "prod"
    assert doc["outputs"]["kubeconfigs"] == "[secret]"
    for resource in doc["resources"]:
        assert {"urn", "type", "name", "parent", "provider", "dependencies", "inputs", "protect"} <= resource.keys()
    protected = {r["name"] for r in doc["resources"] if r["protect"]}
    assert {"onprem-dc1-app-namespace", "onprem-dc2-app-namespace", "aws-us-west-2-cluster"} <= protected
    assert not any(r["name"].endswith("-app-deployment") for r in doc["resources"] if r["protect"])


def test_render_writes_plain_manifests_per_cluster(tmp_path: Path) -> None:
    result = plan("--stack", "prod", "--render", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "aws-eu-west-1",
        "aws-us-west-2",
        "azure-northeurope",
        "azure-westeurope",
        "gcp-europe-west1",
        "gcp-us-east1",
        "onprem-dc1",
        "onprem-dc2",
    ]
    deployment = yaml.safe_load((tmp_path / "onprem-dc1" / "deployment-hello.yaml").read_text())
    assert deployment["apiVersion"] == "apps/v1"
    port = deployment["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"]
    assert port == 9898
    assert isinstance(port, int)
    assert len(list((tmp_path / "onprem-dc1").glob("*.yaml"))) == 8


def test_config_file_replaces_the_stack_file(tmp_path: Path) -> None:
    values = stack_config("dev")
    values["existing"] = [{"name": "lab", "context": "lab-admin"}]
    result = plan("--stack", "dev", "--json", "--config-file", str(write_stack(tmp_path, values)))
    assert result.returncode == 0, result.stderr
    assert {r["name"] for r in json.loads(result.stdout)["resources"]} >= {"lab", "lab-k8s", "lab-app-deployment"}


def test_config_error_exits_2_with_every_problem_and_no_traceback(tmp_path: Path) -> None:
    values = stack_config("prod")
    values["app"] = {**values["app"], "image": "ghcr.io/acme/hello:1.0", "port": 80}
    values["overides"] = {}
    result = plan("--stack", "prod", "--config-file", str(write_stack(tmp_path, values)))
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert "multicloud:app.image: found 'ghcr.io/acme/hello:1.0'; must be pinned by digest" in result.stderr
    assert "multicloud:app.port: found 80" in result.stderr
    assert "multicloud:overides: found {}; unknown key; did you mean 'overrides'?" in result.stderr


def test_other_failures_exit_1(tmp_path: Path) -> None:
    result = plan("--stack", "nosuchstack")
    assert result.returncode == 1
    assert "Pulumi.nosuchstack.yaml" in result.stderr
    assert "Traceback" not in result.stderr
