"""Deployments: endpoints that serve a model reference or a weighted split of references."""

from limelight.deployments.spec import EndpointSpec, Target, dump_file, load_file, parse_endpoint
from limelight.deployments.store import DeploymentStore, EndpointNotFound

__all__ = [
    "DeploymentStore",
    "EndpointNotFound",
    "EndpointSpec",
    "Target",
    "dump_file",
    "load_file",
    "parse_endpoint",
]
