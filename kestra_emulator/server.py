"""The WSGI application, its routing per dialect, auth, fault injection and servers."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from . import api_executions as ex
from . import api_resources as res
from .engine import DEFAULT_PORTAL_URL, Engine
from .errors import ApiError, error_response
from .faults import Faults
from .flows import FlowRepository
from .storage import NAMESPACE_FILES_FOLDER, NamespaceFiles, Storage

logger = logging.getLogger("kestra_emulator")

DIALECTS = ("1.3", "2.0")
TENANT = "/api/v1/<tenant>"
# Requests stuck on an unreachable emulator without a socket to drop are released after this.
UNREACHABLE_HANG_S = 30.0

Handler = Callable[..., Response]


def _rules(dialect: str) -> list[tuple[str, str, Handler]]:
    """(method, path, handler). 1.3 and 2.0 differ in the action paths and outputs endpoints."""
    common: list[tuple[str, str, Handler]] = [
        ("GET", "/api/v1/configs", res.configs),
        ("GET", f"{TENANT}/flows/<namespace>/<flow_id>", res.get_flow),
        ("POST", f"{TENANT}/executions/<namespace>/<flow_id>", ex.create_execution),
        ("POST", f"{TENANT}/executions/<namespace>/<flow_id>/validate", ex.validate_new),
        ("GET", f"{TENANT}/executions/search", ex.search_executions),
        ("GET", f"{TENANT}/executions/<execution_id>", ex.get_execution),
        ("GET", f"{TENANT}/executions/<execution_id>/follow", ex.follow),
        ("GET", f"{TENANT}/executions/<execution_id>/file", res.download_file),
        ("GET", f"{TENANT}/executions/<execution_id>/file/metas", res.file_metas),
        ("GET", f"{TENANT}/executions/<execution_id>/file/preview", res.preview_file),
        ("GET", f"{TENANT}/namespaces/<namespace>/files", res.namespace_file),
        ("GET", f"{TENANT}/logs/<execution_id>", res.list_logs),
        ("GET", f"{TENANT}/logs/<execution_id>/download", res.download_logs),
        ("GET", f"{TENANT}/logs/<execution_id>/follow", res.follow_logs),
    ]
    if dialect == "2.0":
        return common + [
            ("POST", f"{TENANT}/executions/<execution_id>/actions/resume", ex.resume),
            (
                "POST",
                f"{TENANT}/executions/<execution_id>/actions/resume/validate",
                ex.validate_resume,
            ),
            ("DELETE", f"{TENANT}/executions/<execution_id>/actions/kill", ex.kill),
            ("POST", f"{TENANT}/executions/<execution_id>/actions/labels", ex.set_labels),
            ("GET", f"{TENANT}/outputs/executions/<execution_id>", res.execution_outputs),
            ("GET", f"{TENANT}/outputs/tasks/<execution_id>", res.task_outputs_information),
            ("GET", f"{TENANT}/outputs/tasks/<execution_id>/<task_run_id>", res.task_run_outputs),
        ]
    return common + [
        ("POST", f"{TENANT}/executions/<execution_id>/resume", ex.resume),
        ("POST", f"{TENANT}/executions/<execution_id>/resume/validate", ex.validate_resume),
        ("DELETE", f"{TENANT}/executions/<execution_id>/kill", ex.kill),
        ("POST", f"{TENANT}/executions/<execution_id>/labels", ex.set_labels),
    ]


class Emulator:
    """A WSGI application emulating one Kestra OSS server of the given API dialect."""

    def __init__(
        self,
        *,
        flows_dir: Path,
        dialect: str,
        basic_auth: tuple[str, str] | None,
        storage_dir: Path | None,
        portal_url: str = DEFAULT_PORTAL_URL,
        namespace_files_dir: Path | None = None,
    ) -> None:
        if dialect not in DIALECTS:
            raise ValueError(f"dialect must be one of {DIALECTS}, not {dialect!r}")
        self.dialect = dialect
        self.basic_auth = basic_auth
        self.flows = FlowRepository(Path(flows_dir))
        # Namespace files: <folder>/<namespace>/<path>, by default the flows' `_files`.
        self.namespace_files = NamespaceFiles(
            Path(namespace_files_dir or Path(flows_dir) / NAMESPACE_FILES_FOLDER)
        )
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if storage_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="kestra-emulator-")
            storage_dir = Path(self._tmp.name)
        root = Path(storage_dir)
        root.mkdir(parents=True, exist_ok=True)
        self.storage = Storage(root)
        self.engine = Engine(self.storage, portal_url)
        self.faults = Faults()
        self.stopping = False
        rules = _rules(dialect)
        self._handlers = {f"r{i}": handler for i, (_m, _p, handler) in enumerate(rules)}
        self._url_map = Map(
            [Rule(path, endpoint=f"r{i}", methods=[m]) for i, (m, path, _h) in enumerate(rules)],
            strict_slashes=False,
        )

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = Request(environ)
        if request.path.startswith("/_emulator/"):
            response = self._control(request)
        elif request.path.startswith("/api/v1"):
            if not self._delay_or_drop(environ):
                return []
            if self.faults.roll_fail():
                error = ApiError("service-unavailable", "Injected failure")
                response = error_response(error, dialect=self.dialect, path=request.path)
            else:
                response = self._api(request)
        else:
            response = Response(
                "Kestra emulator: the API is under /api/v1/main/\n",
                status=404,
                content_type="text/plain",
            )
        return response(environ, start_response)

    def shutdown(self) -> None:
        """Stop following streams and engine threads; remove the temporary storage."""
        self.stopping = True
        self.engine.shutdown()
        self.engine.notify()
        if self._tmp is not None:
            self._tmp.cleanup()

    # --- the Kestra API ---------------------------------------------------------------------

    def _api(self, request: Request) -> Response:
        try:
            if not self._authorized(request):
                return self._unauthorized(request)
            adapter = self._url_map.bind_to_environ(request.environ)
            endpoint, matched = adapter.match()
            values = dict(matched)
            tenant = values.pop("tenant", "main")
            if tenant != "main":
                raise ApiError("bad-request", "Tenant must be 'main' for OSS version")
            return self._handlers[str(endpoint)](self, request, **values)
        except ApiError as error:
            return error_response(error, dialect=self.dialect, path=request.path)
        except MethodNotAllowed:
            return error_response(
                ApiError("method-not-allowed"), dialect=self.dialect, path=request.path
            )
        except NotFound:
            return error_response(
                ApiError("not-found", "Page Not Found"), dialect=self.dialect, path=request.path
            )
        except HTTPException as exc:
            return exc.get_response(request.environ)
        except Exception:
            logger.exception("Unhandled error on %s %s", request.method, request.path)
            return error_response(
                ApiError("internal-error"), dialect=self.dialect, path=request.path
            )

    def _authorized(self, request: Request) -> bool:
        if self.basic_auth is None or request.path == "/api/v1/configs/login":
            return True
        auth = request.authorization
        return (
            auth is not None
            and auth.type == "basic"
            and (auth.username, auth.password) == self.basic_auth
        )

    def _unauthorized(self, request: Request) -> Response:
        if self.dialect == "2.0":
            response = error_response(
                ApiError("unauthenticated", "Unauthorized"), dialect="2.0", path=request.path
            )
        else:
            response = Response(b"", status=401)  # 1.x: empty body
        response.headers["WWW-Authenticate"] = 'Basic realm="Kestra"'
        return response

    def _delay_or_drop(self, environ: dict[str, Any]) -> bool:
        """Apply latency; False when the request must get no response at all (unreachable)."""
        if self.faults.latency_ms:
            time.sleep(self.faults.latency_ms / 1000)
        if self.faults.unreachable:
            _drop_connection(environ)
            return False
        return True

    # --- the control endpoint ----------------------------------------------------------------

    def _control(self, request: Request) -> Response:
        if request.path == "/_emulator/faults" and request.method == "GET":
            return _json(self.faults.to_json())
        if request.path == "/_emulator/faults" and request.method == "POST":
            try:
                data = json.loads(request.get_data(as_text=True) or "{}")
                if not isinstance(data, dict):
                    raise ValueError("the body must be a JSON object")
                self.faults.update(data)
                if data.get("cut_streams"):
                    self.engine.notify()  # the streams waiting for a change see the cut now
            except ValueError as exc:
                return _json({"error": str(exc)}, status=400)
            return _json(self.faults.to_json())
        if request.path == "/_emulator/reset" and request.method == "POST":
            self.engine.reset()
            return _json({"reset": True})
        if request.path == "/_emulator/health":
            return _json({"status": "UP", "dialect": self.dialect})
        return _json({"error": "unknown control endpoint"}, status=404)


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, content_type="application/json")


def _drop_connection(environ: dict[str, Any]) -> None:
    """Close the TCP connection without an answer, as an unreachable server would.

    The Werkzeug server exposes its socket; without one (another WSGI server), hang a while
    and then fail, which a client with a timeout sees the same way.
    """
    sock = environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        return
    time.sleep(UNREACHABLE_HANG_S)
    raise ConnectionAbortedError("emulator unreachable")


def create_app(
    *,
    flows_dir: Path,
    dialect: str = "2.0",
    basic_auth: tuple[str, str] | None = None,
    storage_dir: Path | None = None,
    portal_url: str = DEFAULT_PORTAL_URL,
    namespace_files_dir: Path | None = None,
) -> Emulator:
    return Emulator(
        flows_dir=flows_dir,
        dialect=dialect,
        basic_auth=basic_auth,
        storage_dir=storage_dir,
        portal_url=portal_url,
        namespace_files_dir=namespace_files_dir,
    )


class _QuietHandler(WSGIRequestHandler):
    """Test servers stay silent; the CLI keeps Werkzeug's one-line request log. Each open
    connection is known to the server (`stop_in_thread` closes them as a stopped process)."""

    def setup(self) -> None:
        super().setup()
        _connections(self.server).add(self.connection)

    def finish(self) -> None:
        _connections(self.server).discard(self.connection)
        super().finish()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None

    def log(self, type: str, message: str, *args: Any) -> None:  # noqa: A002 - base signature
        return None


def serve(emulator: Emulator, host: str, port: int) -> None:
    """Serve until interrupted (threaded, so SSE followers do not block other requests)."""
    server = make_server(host, port, emulator, threaded=True)
    print(
        f"Kestra emulator (dialect {emulator.dialect}) listening on "
        f"http://{host}:{server.server_port}",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        emulator.shutdown()


def _connections(server: Any) -> set[socket.socket]:
    if not hasattr(server, "open_connections"):
        server.open_connections = set()
    found: set[socket.socket] = server.open_connections
    return found


def stop_in_thread(server: BaseWSGIServer) -> None:
    """Stop a server `start_in_thread` started as its process would stop: no more listening,
    and every open connection (kept-alive ones, event streams) closed. The emulator, its
    executions and its logs stay: `start_in_thread(emulator, port=…)` starts it again, as a
    restarted Kestra finds its executions in its database."""
    server.shutdown()
    server.server_close()
    for sock in list(_connections(server)):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def start_in_thread(
    emulator: Emulator, host: str = "127.0.0.1", port: int = 0
) -> tuple[BaseWSGIServer, str]:
    """Start a server in a daemon thread; stop it with ``server.shutdown()``."""
    server = make_server(host, port, emulator, threaded=True, request_handler=_QuietHandler)
    # A short poll interval makes shutdown() quick, which keeps test suites fast.
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="kestra-emulator",
        daemon=True,
    )
    thread.start()
    return server, f"http://{host}:{server.server_port}"
