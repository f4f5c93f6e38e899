"""The API's catalog filtered by namespace, with the web catalog's rule: the namespace and
those below it (`namespace=`, `filters[namespace][PREFIX]`), or exactly it
(`filters[namespace][EQUALS]`); only among the apps the person may use."""

from __future__ import annotations

import pytest

from apps_catalog.services import app_save_source
from tests.apps_catalog.conftest import app_yaml

from .conftest import listed, names

pytestmark = pytest.mark.django_db


@pytest.fixture
def namespaced(personas) -> None:
    for namespace in ("company", "company.team", "company2"):
        app_id = f"{namespace.replace('.', '_')}_app"
        app_save_source(source=app_yaml(app_id, namespace=namespace, access="PUBLIC"))
    app_save_source(source=app_yaml("locked", namespace="company.team", access="PRIVATE"))


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"namespace": "company"}, ["Company App", "Company Team App"]),
        ({"filters[namespace][PREFIX]": "company"}, ["Company App", "Company Team App"]),
        ({"filters[namespace][STARTS_WITH]": "company.team"}, ["Company Team App"]),
        ({"filters[namespace][EQUALS]": "company"}, ["Company App"]),
        ({"namespace": "company", "q": "team"}, ["Company Team App"]),
        ({"namespace": "demo"}, ["Request a dataset"]),
        ({"namespace": "nowhere"}, []),
    ],
)
def test_the_catalog_keeps_the_apps_of_the_namespace_asked_for(
    personas, namespaced, params, expected
):
    assert names(listed(personas["outsider"], "catalog", params)) == expected


def test_a_private_app_stays_out_of_a_namespace_s_catalog_for_those_not_granted(
    personas, namespaced
):
    found = names(listed(personas["superuser"], "catalog", {"namespace": "company.team"}))
    outsider = names(listed(personas["outsider"], "catalog", {"namespace": "company.team"}))

    assert found == ["Company Team App", "Locked"]
    assert outsider == ["Company Team App"]


def test_an_unknown_namespace_operation_is_a_clear_400(client, personas):
    response = client.get(
        "/api/v1/main/apps/catalog",
        {"filters[namespace][CONTAINS]": "company"},
        headers=personas["outsider"].headers,
    )

    assert response.status_code == 400
    assert "unsupported operation" in response.json()["detail"]
