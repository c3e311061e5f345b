"""What a REST API stage serves: the API as it was when its deployment was created.

On AWS a deployment is a snapshot of the API's resources, methods, integrations and
authorizers; a stage serves the snapshot of the deployment it points at, so an edit made
after `CreateDeployment` is not live until the API is deployed again (or the stage is moved
to a newer deployment). moto's deployments record nothing, so `create_deployment` is hooked
to store a `DeployedApi` on moto's Deployment object (a backend reset drops it with the
deployment)."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from moto.apigateway.models import RestAPI

# The attribute of moto's Deployment that holds our snapshot.
SNAPSHOT = "_coldstart_snapshot"


@dataclass(frozen=True)
class DeployedResource:
    id: str
    parent_id: str | None
    path_part: str
    path: str  # "/items/{id}"
    methods: dict[str, Any]  # http method -> moto Method (a private copy)


@dataclass(frozen=True)
class DeployedApi:
    root_id: str
    resources: dict[str, DeployedResource]
    authorizers: dict[str, Any]  # id -> moto Authorizer (a private copy)

    def children(self) -> dict[str | None, list[DeployedResource]]:
        found: dict[str | None, list[DeployedResource]] = {}
        for resource in self.resources.values():
            found.setdefault(resource.parent_id, []).append(resource)
        return found


def snapshot(api: RestAPI, *, private: bool = True) -> DeployedApi:
    """The routable configuration of `api` now. With `private`, methods (with their
    integrations and integration responses) and authorizers are deep copies, so later edits
    to the live API cannot reach the snapshot."""
    clone = copy.deepcopy if private else (lambda value: value)
    resources = {
        resource.id: DeployedResource(
            id=resource.id,
            parent_id=resource.parent_id,
            path_part=resource.path_part,
            path=resource.get_path(),
            methods={name: clone(method) for name, method in resource.resource_methods.items()},
        )
        for resource in api.resources.values()
    }
    authorizers = {key: clone(value) for key, value in api.authorizers.items()}
    return DeployedApi(root_id=api.root_resource_id, resources=resources, authorizers=authorizers)


def record(api: RestAPI, deployment: Any) -> None:
    setattr(deployment, SNAPSHOT, snapshot(api))


def served_by(api: RestAPI, deployment: Any) -> DeployedApi:
    """The configuration a stage pointing at `deployment` serves. A deployment made before
    our hooks were installed has no snapshot; it serves the live API (moto's behaviour)."""
    found = getattr(deployment, SNAPSHOT, None)
    return found if isinstance(found, DeployedApi) else snapshot(api, private=False)
