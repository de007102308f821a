"""tools/tfplan.py: recorded bridged-provider inputs as a Terraform plan, field for field."""

from __future__ import annotations

from tools.engine import Plan, Resource
from tools.tfplan import to_terraform_plan


def resource(name: str, type_: str, inputs: dict, deps: dict[str, list[str]] | None = None) -> Resource:
    return Resource(
        urn=f"urn:pulumi:t::p::{type_}::{name}",
        type=type_,
        name=name,
        parent=None,
        provider="urn:provider",
        dependencies=[],
        property_dependencies=deps or {},
        inputs=inputs,
        secret_paths=[],
        protect=False,
        ignore_changes=[],
        custom=True,
    )


VPC = resource("net", "aws:ec2/vpc:Vpc", {"cidrBlock": "10.0.0.0/16", "tags": {"kubernetes.io/role/elb": "1"}})
LOG = resource("net-flow", "aws:ec2/flowLog:FlowLog", {"vpcId": "vpc-1", "trafficType": "ALL"}, {"vpcId": [VPC.urn]})
POOL = resource("pool", "gcp:container/cluster:Cluster", {"nodePools": [{"nodeConfig": {"machineType": "e2"}}]})
TYPES = {
    "aws:ec2/vpc:Vpc": "aws_vpc",
    "aws:ec2/flowLog:FlowLog": "aws_flow_log",
    "gcp:container/cluster:Cluster": "google_container_cluster",
}


def test_fields_become_snake_case_blocks_become_lists_and_maps_stay_maps() -> None:
    doc = to_terraform_plan(Plan("t", [VPC, POOL]), TYPES, renames={"node_pools": "node_pool"})
    vpc, pool = doc["planned_values"]["root_module"]["resources"]
    assert vpc["address"] == "aws_vpc.net"
    assert vpc["values"] == {"cidr_block": "10.0.0.0/16", "tags": {"kubernetes.io/role/elb": "1"}}
    assert pool["values"] == {"node_pool": [{"node_config": [{"machine_type": "e2"}]}]}


def test_property_dependencies_become_references_for_graph_checks() -> None:
    doc = to_terraform_plan(Plan("t", [VPC, LOG]), TYPES)
    flow = doc["configuration"]["root_module"]["resources"][1]
    assert flow["expressions"] == {"vpc_id": {"references": ["aws_vpc.net.id", "aws_vpc.net"]}}
    assert [c["change"]["actions"] for c in doc["resource_changes"]] == [["create"], ["create"]]


def test_resources_of_other_types_are_left_out() -> None:
    doc = to_terraform_plan(Plan("t", [VPC, LOG]), {"aws:ec2/vpc:Vpc": "aws_vpc"})
    assert [r["type"] for r in doc["planned_values"]["root_module"]["resources"]] == ["aws_vpc"]
    assert doc["configuration"]["root_module"]["resources"][0]["expressions"] == {}
