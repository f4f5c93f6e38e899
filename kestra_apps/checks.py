"""System checks for settings that parse but cannot work (`manage.py check` reports them)."""

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Warning

from executions import throttle
from kestra_apps import metrics


def _is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


def check_settings(app_configs: Any = None, **kwargs: Any) -> list[Error | Warning]:
    return [
        *_kestra_problems(),
        *_portal_problems(),
        *_deployment_problems(),
        *_secret_key_problems(),
    ]


def _kestra_problems() -> list[Error | Warning]:
    """How the portal reaches Kestra: the address, the tenant, the credentials."""
    problems: list[Error | Warning] = []
    if not _is_http_url(settings.KESTRA_URL):
        problems.append(
            Error(
                f"KESTRA_URL must be an http(s) URL, got {settings.KESTRA_URL!r}.",
                hint="For example http://127.0.0.1:8080",
                id="kestra.E001",
            )
        )
    if not settings.KESTRA_TENANT or "/" in settings.KESTRA_TENANT:
        problems.append(
            Error("KESTRA_TENANT must be a tenant id such as 'main'.", id="kestra.E002")
        )
    if bool(settings.KESTRA_USERNAME) != bool(settings.KESTRA_PASSWORD):
        problems.append(
            Error(
                "KESTRA_USERNAME and KESTRA_PASSWORD must be set together.",
                hint="Basic auth needs both; leave both empty to use KESTRA_API_TOKEN or no auth.",
                id="kestra.E003",
            )
        )
    if settings.KESTRA_USERNAME and settings.KESTRA_API_TOKEN:
        problems.append(
            Error(
                "Set either KESTRA_USERNAME/KESTRA_PASSWORD or KESTRA_API_TOKEN, not both.",
                id="kestra.E004",
            )
        )
    return problems


def _portal_problems() -> list[Error | Warning]:
    """The portal's own settings: its address, the submission limit, the intervals."""
    problems: list[Error | Warning] = []
    if settings.PORTAL_BASE_URL and not _is_http_url(settings.PORTAL_BASE_URL):
        problems.append(
            Error(
                "PORTAL_BASE_URL must be an absolute http(s) URL,"
                f" got {settings.PORTAL_BASE_URL!r}.",
                id="kestra.E005",
            )
        )
    for name in ("SUBMISSION_RATE_LIMIT", "VALIDATE_RATE_LIMIT"):
        try:
            throttle.parse_rate(getattr(settings, name))
        except (ValueError, KeyError):
            problems.append(
                Error(
                    f"{name} must look like 20/m, got {getattr(settings, name)!r}.",
                    hint="A count, a slash, and s, m, h or d; 0/m turns the limit off.",
                    id="kestra.E007",
                )
            )
    try:
        throttle.trusted_proxies()
    except ValueError as exc:
        problems.append(
            Error(
                f"TRUSTED_PROXIES must list IP addresses or networks: {exc}.",
                hint="For example 10.0.0.5,192.168.0.0/24.",
                id="kestra.E018",
            )
        )
    if (
        min(settings.KESTRA_TIMEOUT, settings.EXECUTION_POLL_SECONDS, settings.LIVE_POLL_SECONDS)
        <= 0
    ):
        problems.append(
            Error(
                "KESTRA_TIMEOUT, EXECUTION_POLL_SECONDS and LIVE_POLL_SECONDS must be positive.",
                id="kestra.E006",
            )
        )
    if min(settings.THUMBNAIL_MAX_BYTES, settings.THUMBNAIL_TIMEOUT) <= 0:
        problems.append(
            Error("THUMBNAIL_MAX_BYTES and THUMBNAIL_TIMEOUT must be positive.", id="kestra.E021")
        )
    return problems


UPLOAD_STORAGES = ("database", "filesystem", "s3")


def _deployment_problems() -> list[Error | Warning]:
    """What several machines must share (where uploads wait), and who may read the metrics."""
    problems: list[Error | Warning] = []
    if settings.UPLOAD_STORAGE not in UPLOAD_STORAGES:
        problems.append(
            Error(
                f"UPLOAD_STORAGE must be one of {', '.join(UPLOAD_STORAGES)},"
                f" got {settings.UPLOAD_STORAGE!r}.",
                id="kestra.E019",
            )
        )
    elif settings.UPLOAD_STORAGE == "s3" and not settings.STORAGES["uploads"]["OPTIONS"].get(
        "bucket_name"
    ):
        problems.append(Error("UPLOAD_STORAGE=s3 needs UPLOAD_S3_BUCKET.", id="kestra.E019"))
    for network in metrics.allowed_networks()[1]:
        problems.append(
            Error(
                f"METRICS_ALLOWED_NETWORKS holds {network!r}, which is not a network.",
                hint="Addresses or CIDR ranges separated by commas: 10.0.0.0/8,::1",
                id="kestra.E020",
            )
        )
    return problems


def _secret_key_problems() -> list[Error | Warning]:
    """Several nodes must sign with one key: the key generated in a node's data folder is
    that node's alone. A shared database or broker says there may be several."""
    generated = Path(settings.DATA_DIR) / "secret_key"
    if not generated.exists() or generated.read_text().strip() != settings.SECRET_KEY:
        return []
    shared = [
        name
        for name, is_shared in (
            ("the database", not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")),
            ("the broker", not settings.CELERY_BROKER_URL.startswith("filesystem://")),
        )
        if is_shared
    ]
    if not shared:
        return []
    return [
        Warning(
            f"SECRET_KEY is the key generated for this node, but {' and '.join(shared)}"
            " can be shared by several nodes: each would sign sessions, CSRF tokens and"
            " links, and seal form values, with its own key, and refuse the others'.",
            hint="Set SECRET_KEY (or SECRET_KEY_FILE) to one value on every node"
            " (docs/deployment.md).",
            id="kestra.W019",
        )
    ]
