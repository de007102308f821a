"""Realistic computed outputs for the offline engine, so every `apply` in the program runs.

A mock returns the inputs it was given plus what the cloud or cluster would
compute: ids, endpoints, certificate data, load balancer addresses. Addresses
come from the documentation ranges (RFC 5737, RFC 2606) so they never route.
"""

from __future__ import annotations

import base64
import hashlib
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


#: Computed outputs by resource type; the cloud components add theirs here.
COMPUTED: dict[str, Callable[[mocks.MockResourceArgs], dict[str, Any]]] = {
    "kubernetes:networking.k8s.io/v1:Ingress": _ingress_status,
}


class OfflineMocks(mocks.Mocks):
    """Inputs echoed back, plus the computed outputs of :data:`COMPUTED`."""

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        outputs = dict(args.inputs)
        compute = COMPUTED.get(args.typ)
        if compute is not None:
            outputs.update(compute(args))
        return f"{args.name}-id", outputs

    def call(self, args: mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None
