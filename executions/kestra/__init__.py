"""The only door to Kestra: every call the portal makes goes through this package."""

from executions.kestra.client import KestraClient, get_client
from executions.kestra.errors import KestraError, KestraNotFound, KestraRejected, KestraUnavailable

__all__ = [
    "KestraClient",
    "KestraError",
    "KestraNotFound",
    "KestraRejected",
    "KestraUnavailable",
    "get_client",
]
