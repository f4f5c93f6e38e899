"""Fixtures: a real emulator over loopback HTTP, per dialect, with the test flows.

The example flows are copied to a temporary folder with their sleeps shortened, so the
suite stays fast while still running every example.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from kestra_emulator.server import Emulator, create_app, start_in_thread

ROOT = Path(__file__).resolve().parents[2]

FLOWS = Path(__file__).parent / "flows"
TERMINAL = {"SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED"}


@dataclass
class Kestra:
    """A client of one running emulator, with the helpers tests need."""

    base_url: str
    emulator: Emulator
    dialect: str
    session: requests.Session = field(default_factory=requests.Session)

    @property
    def api(self) -> str:
        return f"{self.base_url}/api/v1/main"

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.get(self.api + path, timeout=10, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.post(self.api + path, timeout=10, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.delete(self.api + path, timeout=10, **kwargs)

    def create(
        self,
        flow: str,
        inputs: dict[str, str] | None = None,
        *,
        files: dict[str, tuple[str, bytes]] | None = None,
        labels: list[str] | None = None,
        namespace: str | None = None,
    ) -> dict[str, Any]:
        namespace = namespace or ("demo" if flow in DEMO_FLOWS else "test")
        parts: dict[str, Any] = {k: (None, v) for k, v in (inputs or {}).items()}
        parts.update(files or {})
        response = self.post(
            f"/executions/{namespace}/{flow}", files=parts or None, params={"labels": labels or []}
        )
        assert response.status_code == 200, response.text
        return response.json()

    def execution(self, execution_id: str) -> dict[str, Any]:
        response = self.get(f"/executions/{execution_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def wait_for(
        self, execution_id: str, states: set[str] | None = None, timeout: float = 8.0
    ) -> dict[str, Any]:
        """Poll until the execution is in one of ``states`` (default: any terminal state)."""
        wanted = states or TERMINAL
        deadline = time.monotonic() + timeout
        while True:
            execution = self.execution(execution_id)
            if execution["state"]["current"] in wanted:
                return execution
            if time.monotonic() > deadline:
                raise AssertionError(f"still {execution['state']['current']}, wanted {wanted}")
            time.sleep(0.03)

    def faults(self, **settings: Any) -> dict[str, Any]:
        response = requests.post(f"{self.base_url}/_emulator/faults", json=settings, timeout=5)
        assert response.status_code == 200, response.text
        return response.json()


DEMO_FLOWS = {"data_request", "feedback", "it_ticket", "nightly_job", "vacation_request"}


@pytest.fixture(scope="session")
def flows_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("flows")
    for source in FLOWS.glob("*.yml"):
        text = source.read_text()
        if source.name.startswith("demo."):
            text = re.sub(r"duration: PT\d+S", "duration: PT0.2S", text)
        (target / source.name).write_text(text)
    return target


KestraFactory = Callable[..., Kestra]


@pytest.fixture
def make_kestra(flows_dir: Path, tmp_path: Path) -> Iterator[KestraFactory]:
    started: list[tuple[Any, Emulator]] = []

    def factory(dialect: str = "2.0", basic_auth: tuple[str, str] | None = None) -> Kestra:
        emulator = create_app(
            flows_dir=flows_dir,
            dialect=dialect,
            basic_auth=basic_auth,
            storage_dir=tmp_path / f"storage-{len(started)}",
        )
        server, base_url = start_in_thread(emulator)
        started.append((server, emulator))
        return Kestra(base_url=base_url, emulator=emulator, dialect=dialect)

    yield factory
    for server, emulator in started:
        emulator.shutdown()
        server.shutdown()


@pytest.fixture
def kestra(make_kestra: KestraFactory) -> Kestra:
    """A 2.0 emulator."""
    return make_kestra("2.0")


@pytest.fixture
def kestra13(make_kestra: KestraFactory) -> Kestra:
    """A 1.3 emulator."""
    return make_kestra("1.3")


@pytest.fixture(params=["1.3", "2.0"])
def any_kestra(request: pytest.FixtureRequest, make_kestra: KestraFactory) -> Kestra:
    """The same test against both dialects."""
    return make_kestra(request.param)
