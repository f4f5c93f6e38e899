"""A small client for Kestra's REST API that speaks the 1.3 and the 2.x dialects.

The dialect is read from `GET /api/v1/configs`, never guessed: a 2.x server answers many
1.x-style requests with a silent wrong result instead of an error.
"""

from __future__ import annotations

import base64
import functools
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import IO, Any, ParamSpec, TypeVar
from urllib.parse import quote

import requests
from django.conf import settings
from requests_toolbelt.multipart.encoder import MultipartEncoder

from executions.kestra.errors import (
    KestraNotFound,
    KestraRejected,
    KestraUnavailable,
    error_message,
)

VERSION_TTL_SECONDS = 300.0

FileField = tuple[str, IO[bytes], str]

# Who hears of each request: (endpoint, status, seconds). The endpoint is the client
# method's name (a few dozen at most, whatever the ids in the path); the status is the HTTP
# code, or "unreachable" when no answer came. `executions.apps` adds the metrics' recorder.
RequestObserver = Callable[[str, str, float], None]
_observers: list[RequestObserver] = []
_endpoint: ContextVar[str] = ContextVar("kestra_endpoint", default="other")

P = ParamSpec("P")
R = TypeVar("R")


def observe_requests(observer: RequestObserver) -> None:
    if observer not in _observers:
        _observers.append(observer)


def _endpoint_name(method: Callable[P, R]) -> Callable[P, R]:
    """Name the requests `method` makes after it, for the observers."""

    @functools.wraps(method)
    def named(*args: P.args, **kwargs: P.kwargs) -> R:
        token = _endpoint.set(method.__name__)
        try:
            return method(*args, **kwargs)
        finally:
            _endpoint.reset(token)

    return named


def _tell_observers(status: str, started: float) -> None:
    tell_observers(_endpoint.get(), status, time.monotonic() - started)


def tell_observers(endpoint: str, status: str, seconds: float) -> None:
    """A request to Kestra, answered (or not) after `seconds`."""
    for observer in _observers:
        observer(endpoint, status, seconds)


@dataclass(frozen=True)
class Dialect:
    version: str

    @property
    def v2(self) -> bool:
        major = self.version.split(".", 1)[0]
        return major.isdigit() and int(major) >= 2


_versions: dict[str, tuple[Dialect, float]] = {}
_versions_lock = threading.Lock()


def authorization(*, username: str, password: str, token: str) -> dict[str, str]:
    """How the portal signs in to Kestra, for its calls and its streams alike: Basic with a
    user name (its password as UTF-8, as Kestra reads it), else Bearer with a token, else
    nothing."""
    if username:
        pair = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        return {"Authorization": f"Basic {pair}"}
    if token:
        return {"Authorization": f"Bearer {token}"}
    return {}


class KestraClient:
    def __init__(
        self,
        *,
        base_url: str,
        tenant: str = "main",
        username: str = "",
        password: str = "",
        token: str = "",
        timeout: float = 10.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.tenant = tenant
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers.update(
            authorization(username=username, password=password, token=token)
        )

    # transport

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        started = time.monotonic()
        try:
            response = self.session.request(method, f"{self.base_url}{path}", **kwargs)
        except requests.RequestException as exc:
            _tell_observers("unreachable", started)
            raise KestraUnavailable(f"Kestra could not be reached: {type(exc).__name__}") from None
        _tell_observers(str(response.status_code), started)
        if response.status_code >= 500:
            response.close()
            raise KestraUnavailable(f"Kestra answered {response.status_code}")
        if response.status_code >= 400:
            self._raise_rejected(response)
        return response

    @staticmethod
    def _raise_rejected(response: requests.Response) -> None:
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text[:500]
        fallback = f"Kestra answered {response.status_code}"
        # A few 1.x routes refuse with a bare sentence ("The execution is not terminated").
        plain = response.headers.get("Content-Type", "").startswith("text/plain")
        if plain and isinstance(body, str) and body:
            fallback = body
        message = error_message(body, fallback)
        error = KestraNotFound if response.status_code == 404 else KestraRejected
        raise error(response.status_code, message, body)

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._request(method, path, **kwargs)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise KestraUnavailable("Kestra answered with a body that is not JSON") from None

    def _api(self, *segments: str) -> str:
        """The tenant's API path to these segments, each quoted: an id holding `/`, `?` or
        `..` stays one segment and cannot reach another endpoint."""
        return "/api/v1/" + "/".join(quote(str(s), safe="") for s in (self.tenant, *segments))

    @_endpoint_name
    def ping(self, timeout: float) -> str:
        """The version Kestra says it runs, asked now (not cached), within `timeout`
        seconds: whether it answers, for a readiness check."""
        body = self._json("GET", "/api/v1/configs", timeout=timeout) or {}
        return str(body.get("version") or "")

    # dialect

    @_endpoint_name
    def dialect(self) -> Dialect:
        with _versions_lock:
            cached = _versions.get(self.base_url)
        if cached and time.monotonic() - cached[1] < VERSION_TTL_SECONDS:
            return cached[0]
        body = self._json("GET", "/api/v1/configs") or {}
        version = str(body.get("version") or "")
        if not version:
            raise KestraUnavailable("Kestra did not say which version it runs")
        dialect = Dialect(version)
        with _versions_lock:
            _versions[self.base_url] = (dialect, time.monotonic())
        return dialect

    def _action(self, execution_id: str, action: str) -> str:
        if self.dialect().v2:
            return self._api("executions", execution_id, "actions", action)
        return self._api("executions", execution_id, action)

    # flows

    @_endpoint_name
    def flow(self, namespace: str, flow_id: str, revision: int | None = None) -> dict[str, Any]:
        params = {"revision": revision} if revision else None
        return self._json("GET", self._api("flows", namespace, flow_id), params=params)

    # executions

    @staticmethod
    def _multipart(
        values: Mapping[str, str], files: Mapping[str, FileField] | None
    ) -> dict[str, Any]:
        """Request arguments for a multipart body, one part per input; files are streamed
        from their handles rather than read into memory. No inputs → no body at all."""
        fields: list[tuple[str, Any]] = list(values.items())
        fields += [(name, spec) for name, spec in (files or {}).items()]
        if not fields:
            return {}
        encoder = MultipartEncoder(fields=fields)
        return {"data": encoder, "headers": {"Content-Type": encoder.content_type}}

    @staticmethod
    def _labels(labels: Mapping[str, str] | None) -> list[tuple[str, str]]:
        return [("labels", f"{key}:{value}") for key, value in (labels or {}).items()]

    @staticmethod
    def _revision(revision: int | None) -> list[tuple[str, str]]:
        return [("revision", str(revision))] if revision else []

    def _post_inputs(
        self,
        path: str,
        values: Mapping[str, str],
        files: Mapping[str, FileField] | None,
        params: list[tuple[str, str]],
    ) -> dict[str, Any]:
        """A flow's inputs, as Kestra's execution endpoints take them, to `path` (_api's)."""
        return self._json("POST", path, params=params, **self._multipart(values, files))

    @_endpoint_name
    def validate_inputs(
        self,
        namespace: str,
        flow_id: str,
        values: Mapping[str, str],
        files: Mapping[str, FileField] | None = None,
        revision: int | None = None,
    ) -> dict[str, Any]:
        path = self._api("executions", namespace, flow_id, "validate")
        return self._post_inputs(path, values, files, self._revision(revision))

    @_endpoint_name
    def create_execution(
        self,
        namespace: str,
        flow_id: str,
        values: Mapping[str, str],
        files: Mapping[str, FileField] | None = None,
        labels: Mapping[str, str] | None = None,
        revision: int | None = None,
    ) -> dict[str, Any]:
        params = self._labels(labels) + self._revision(revision)
        path = self._api("executions", namespace, flow_id)
        return self._post_inputs(path, values, files, params)

    @_endpoint_name
    def execution(self, execution_id: str) -> dict[str, Any]:
        return self._json("GET", self._api("executions", execution_id))

    @_endpoint_name
    def find_executions(
        self, namespace: str, flow_id: str, labels: Mapping[str, str]
    ) -> list[dict[str, Any]]:
        """Executions of a flow carrying all these labels (the newest first, one page)."""
        if self.dialect().v2:
            params: list[tuple[str, str]] = [
                ("filters[namespace][EQUALS]", namespace),
                ("filters[flowId][EQUALS]", flow_id),
            ]
            params += [(f"filters[labels][EQUALS][{k}]", v) for k, v in labels.items()]
        else:
            params = [("namespace", namespace), ("flowId", flow_id), *self._labels(labels)]
        params += [("page", "1"), ("size", "100")]
        body = self._json("GET", self._api("executions", "search"), params=params) or {}
        return list(body.get("results") or [])

    @_endpoint_name
    def search_executions(
        self,
        namespace: str,
        flow_id: str,
        states: Sequence[str],
        *,
        page: int = 1,
        size: int = 100,
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of a flow's executions in these states, the newest first, and how many
        there are in all: one request tells the states of many executions.

        2.x answers light executions (no task runs, no outputs): enough to see a change.
        """
        if self.dialect().v2:
            params: list[tuple[str, str]] = [
                ("filters[namespace][EQUALS]", namespace),
                ("filters[flowId][EQUALS]", flow_id),
                ("filters[state][IN]", ",".join(states)),
            ]
        else:
            params = [("namespace", namespace), ("flowId", flow_id)]
            params += [("state", state) for state in states]
        params += [("page", str(page)), ("size", str(size))]
        body = self._json("GET", self._api("executions", "search"), params=params) or {}
        results = list(body.get("results") or [])
        return results, int(body.get("total") or len(results))

    @_endpoint_name
    def execution_outputs(self, execution: Mapping[str, Any]) -> dict[str, Any]:
        """The flow-level outputs: in the execution up to 1.3, at their own endpoint in 2.x."""
        if not self.dialect().v2:
            return dict(execution.get("outputs") or {})
        body = self._json("GET", self._api("outputs", "executions", execution["id"]))
        return dict(body or {})

    @_endpoint_name
    def task_outputs(
        self, execution: Mapping[str, Any], known: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Outputs of the execution's task runs by task id (the last run of a task wins).
        `known`: outputs read before, by task run id, that 2.x does not ask for again (one
        request per task run otherwise)."""
        if not self.dialect().v2:
            return {
                run["taskId"]: run["outputs"]
                for run in execution.get("taskRunList") or []
                if run.get("outputs")
            }
        execution_id = execution["id"]
        runs = self._json("GET", self._api("outputs", "tasks", execution_id)) or []
        outputs: dict[str, Any] = {}
        for run in runs:
            values = (known or {}).get(run["taskRunId"])
            if values is None:
                path = self._api("outputs", "tasks", execution_id, run["taskRunId"])
                values = self._json("GET", path)
            if values:
                outputs[run["taskId"]] = values
        return outputs

    @_endpoint_name
    def validate_resume(
        self,
        execution_id: str,
        values: Mapping[str, str],
        files: Mapping[str, FileField] | None = None,
    ) -> dict[str, Any]:
        """The paused task's onResume inputs checked against these values; nothing resumes."""
        body = self._json(
            "POST",
            self._action(execution_id, "resume") + "/validate",
            **self._multipart(values, files),
        )
        # The 2.0 spec shows a list where the server sends one object.
        return body[0] if isinstance(body, list) and body else dict(body or {})

    @_endpoint_name
    def resume(
        self,
        execution_id: str,
        values: Mapping[str, str],
        files: Mapping[str, FileField] | None = None,
    ) -> None:
        self._request(
            "POST",
            self._action(execution_id, "resume"),
            **self._multipart(values, files),
        ).close()

    @_endpoint_name
    def preview(self, execution_id: str, path: str, max_rows: int = 100) -> dict[str, Any]:
        params = {"path": path, "maxRows": str(max_rows), "encoding": "UTF-8"}
        return self._json(
            "GET", self._api("executions", execution_id, "file", "preview"), params=params
        )

    @_endpoint_name
    def file_size(self, execution_id: str, path: str) -> int | None:
        """The size in bytes of an execution's kestra:// file (`file/metas`, the same in
        both dialects); None when Kestra's answer holds no size."""
        body = self._json(
            "GET", self._api("executions", execution_id, "file", "metas"), params={"path": path}
        )
        size = body.get("size") if isinstance(body, dict) else None
        return size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None

    @_endpoint_name
    def namespace_file(
        self, namespace: str, path: str, *, max_bytes: int, timeout: float | None = None
    ) -> bytes:
        """A namespace file's content (`GET namespaces/{namespace}/files?path=/x.svg`, the
        same in both dialects), read up to max_bytes + 1 bytes: a longer answer is cut
        there, so the caller sees it is too big without holding all of it."""
        response = self._request(
            "GET",
            self._api("namespaces", namespace, "files"),
            params={"path": path},
            stream=True,
            timeout=timeout or self.timeout,
        )
        content = bytearray()
        try:
            for chunk in response.iter_content(chunk_size=64 * 1024):
                content += chunk
                if len(content) > max_bytes:
                    break
        except requests.RequestException as exc:
            raise KestraUnavailable(f"Kestra broke off: {type(exc).__name__}") from None
        finally:
            response.close()
        return bytes(content[: max_bytes + 1])

    @_endpoint_name
    def kill(self, execution_id: str) -> None:
        self._request("DELETE", self._action(execution_id, "kill")).close()

    @_endpoint_name
    def set_labels(self, execution_id: str, labels: Mapping[str, str]) -> None:
        """Add or change these labels on an ended execution, keeping its others.

        Kestra replaces every label but its own `system.*` ones with the list it is sent, so
        the execution's current labels go with these. It refuses an execution that has not
        ended (400) and a `system.*` label it did not set (422).
        """
        current = self.execution(execution_id).get("labels") or []
        merged = {
            label["key"]: label["value"]
            for label in current
            if not label["key"].startswith("system.")
        }
        merged.update(labels)
        body = [{"key": key, "value": value} for key, value in merged.items()]
        self._request("POST", self._action(execution_id, "labels"), json=body).close()

    @_endpoint_name
    def logs(self, execution_id: str, min_level: str | None = None) -> list[dict[str, Any]]:
        params: dict[str, str] = {}
        if min_level:
            key = "filters[level][GREATER_THAN_OR_EQUAL_TO]" if self.dialect().v2 else "minLevel"
            params[key] = min_level
        return list(self._json("GET", self._api("logs", execution_id), params=params) or [])

    @_endpoint_name
    def download(self, execution_id: str, path: str) -> tuple[Iterator[bytes], dict[str, str]]:
        """Stream a kestra:// file of an execution: (chunks, response headers)."""
        response = self._request(
            "GET",
            self._api("executions", execution_id, "file"),
            params={"path": path},
            stream=True,
        )
        return response.iter_content(chunk_size=64 * 1024), dict(response.headers)


_kept = threading.local()


def get_client() -> KestraClient:
    """The client for the configured Kestra, kept per thread: its calls reuse their
    connections (and, over HTTPS, their TLS sessions) instead of opening one per call. A
    process forked from this one (a Celery worker) or changed settings get a new one."""
    config: dict[str, Any] = {
        "base_url": settings.KESTRA_URL,
        "tenant": settings.KESTRA_TENANT,
        "username": settings.KESTRA_USERNAME,
        "password": settings.KESTRA_PASSWORD,
        "token": settings.KESTRA_API_TOKEN,
        "timeout": settings.KESTRA_TIMEOUT,
    }
    pid, kept_pid = os.getpid(), getattr(_kept, "pid", None)
    if kept_pid != pid or _kept.config != config:
        if kept_pid == pid:  # changed settings; a forked child leaves the parent's alone
            _kept.client.session.close()
        _kept.client, _kept.pid, _kept.config = KestraClient(**config), pid, config
    client: KestraClient = _kept.client
    return client
