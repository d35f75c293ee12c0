"""Provisioning over SSH: atomic releases on the host, health checks, automatic rollback (fabric)."""

from .deploy import DeployOptions, deploy, prepare, rollback, status
from .errors import DeployError

__all__ = ["DeployError", "DeployOptions", "deploy", "prepare", "rollback", "status"]
