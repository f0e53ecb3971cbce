"""HTTP server (FastAPI): native /v1 routes, health probes, one error format."""

from limelight.server.app import create_app

__all__ = ["create_app"]
