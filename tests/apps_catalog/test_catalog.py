"""The catalog page (/apps/): who sees which apps, tag and text filters, pages, queries."""

from __future__ import annotations

import re
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from guardian.shortcuts import remove_perm

from apps_catalog.models import App
from apps_catalog.services import app_save_source
from tests.apps_catalog.conftest import app_yaml
from tests.personas import MEMBERS, grant_use

pytestmark = pytest.mark.django_db

CATALOG = "/apps/"
FOR_MEMBERS = f"{{type: PRIVATE, groups: [{MEMBERS}]}}"  # private to the members


def save(source: str) -> App:
    return app_save_source(source=source)[0]


@pytest.fixture
def apps(grantee) -> dict[str, App]:
    """One app for each rule of the catalog."""
    found = {
        "public": save(app_yaml("public_app", access="PUBLIC", tags="[Reporting, Finance]")),
        "group": save(app_yaml("group_app", access=FOR_MEMBERS, tags="[Reporting]")),
        "direct": save(app_yaml("direct_app", access="PRIVATE")),
        "secret": save(app_yaml("secret_app")),
        "disabled": save(app_yaml("disabled_app", access="PUBLIC", disabled="true")),
        "expired": save(
            app_yaml("expired_app", access="PUBLIC", expiration="{endDate: 2020-01-01T00:00:00Z}")
        ),
        "not_yet": save(
            app_yaml("future_app", access="PUBLIC", expiration="{startDate: 2999-01-01T00:00:00Z}")
        ),
        "unlisted": save(app_yaml("unlisted_app", access="{type: PUBLIC, catalog: false}")),
    }
    grant_use(grantee, found["direct"])
    return found


def listed(response) -> set[str]:
    """The ids of the apps on the page, read from their links."""
    uids = set(re.findall(r'href="/apps/([A-Za-z0-9]{22})/"', response.content.decode()))
    return set(App.objects.filter(uid__in=uids).values_list("app_id", flat=True))


def test_it_sends_an_anonymous_visitor_to_the_login_page(client, apps):
    response = client.get(CATALOG)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/apps/"


def test_it_rejects_post(client, outsider):
    client.force_login(outsider)

    assert client.post(CATALOG).status_code == 405


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("outsider", {"public_app"}),
        ("member", {"public_app", "group_app"}),
        ("grantee", {"public_app", "direct_app"}),
        ("admin", {"public_app", "group_app", "direct_app", "secret_app"}),
    ],
)
def test_each_person_sees_exactly_the_available_apps_they_may_use(
    client, apps, persona, expected, request
):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(CATALOG)

    assert response.status_code == 200
    assert listed(response) == expected


def test_people_in_turn_each_see_their_own_apps_from_the_query_compiled_once(
    client, apps, member, grantee, outsider
):
    """The unsearched catalog's query is compiled once per kind of person, then given each
    person and the time: the next person never sees the last one's apps, an expired app
    stays out."""
    for person, expected in [
        (member, {"public_app", "group_app"}),
        (grantee, {"public_app", "direct_app"}),
        (outsider, {"public_app"}),
        (member, {"public_app", "group_app"}),
    ]:
        client.force_login(person)
        assert listed(client.get(CATALOG)) == expected


def test_a_card_shows_name_markdown_description_tags_and_thumbnail(client, outsider):
    save(
        app_yaml(
            "card_app",
            displayName="Monthly <report>",
            access="PUBLIC",
            description='"Pick a **month**. <script>alert(1)</script>"',
            tags="[Finance]",
            thumbnail="https://example.com/card.png",
        )
    )
    client.force_login(outsider)

    html = client.get(CATALOG).content.decode()

    assert "Monthly &lt;report&gt;" in html
    assert "<strong>month</strong>" in html and "<script>alert" not in html
    assert '<a href="?tags=Finance">Finance</a>' in html
    assert '<img class="card-thumbnail" src="https://example.com/card.png"' in html


def test_tags_changed_in_the_yaml_change_the_card_and_the_choices(client, outsider):
    app = save(app_yaml("card_app", access="PUBLIC", tags="[Zeta, Alpha]"))
    client.force_login(outsider)
    before = client.get(CATALOG).content.decode()

    app_save_source(source=app_yaml("card_app", access="PUBLIC", tags="[Beta]"), app=app)
    after = client.get(CATALOG).content.decode()

    assert before.index('href="?tags=Alpha"') < before.index('href="?tags=Zeta"')
    assert 'href="?tags=Beta"' in after and 'value="Beta"' in after
    assert "Alpha" not in after and "Zeta" not in after


def test_a_grant_taken_back_takes_the_app_off_the_catalog(client, apps, grantee):
    client.force_login(grantee)
    assert "direct_app" in listed(client.get(CATALOG))

    remove_perm("apps_catalog.use_app", grantee, apps["direct"])

    assert listed(client.get(CATALOG)) == {"public_app"}


@pytest.mark.parametrize("thumbnail", ["javascript:alert(1)", "/local.png", "data:image/png,x"])
def test_a_thumbnail_that_is_not_an_http_url_is_not_shown(client, outsider, thumbnail):
    save(app_yaml("card_app", access="PUBLIC", thumbnail=f'"{thumbnail}"'))
    client.force_login(outsider)

    html = client.get(CATALOG).content.decode()

    assert "card-thumbnail" not in html and thumbnail not in html


def test_tags_filter_keeps_apps_having_all_the_chosen_tags(client, apps, admin):
    client.force_login(admin)

    one = client.get(CATALOG, {"tags": "Reporting"})
    both = client.get(CATALOG, {"tags": ["Reporting", "Finance"]})
    unknown = client.get(CATALOG, {"tags": ["Reporting", "Nope"]})

    assert listed(one) == {"public_app", "group_app"}
    assert listed(both) == {"public_app"}
    assert listed(unknown) == set()
    assert "No app matches your search." in unknown.content.decode()


def test_the_tag_choices_are_those_of_the_apps_the_person_may_use(client, outsider, apps):
    save(app_yaml("hidden_tagged", tags="[Secret]"))
    client.force_login(outsider)

    html = client.get(CATALOG, {"tags": "Finance"}).content.decode()

    assert 'name="tags" value="Finance" checked' in html
    assert 'value="Reporting"' in html
    assert "Secret" not in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("group", {"group_app"}),  # display name "Group App"
        ("DIRECT_app", {"direct_app"}),  # id, case-insensitive
        ("finance", {"public_app"}),  # tag
        ("demo", {"public_app", "group_app", "direct_app", "secret_app"}),  # namespace
        ("reporting public", {"public_app"}),  # every word must match
        ("quarterly", {"described_app"}),  # description
        ("nothing-like-it", set()),
    ],
)
def test_text_search_looks_at_name_description_id_namespace_and_tags(
    client, apps, admin, query, expected
):
    if "described_app" in expected:
        save(app_yaml("described_app", description="The quarterly numbers"))
    client.force_login(admin)

    assert listed(client.get(CATALOG, {"q": query})) == expected


def test_text_search_ignores_case_and_accents_case_alike_in_every_alphabet(client, admin):
    save(app_yaml("power", displayName="Électricité Überblick", tags="[Ärger]"))
    save(app_yaml("plain", displayName="Electricite"))
    client.force_login(admin)

    assert listed(client.get(CATALOG, {"q": "électricité"})) == {"power"}
    assert listed(client.get(CATALOG, {"q": "ÉLECTRICITÉ überBLICK"})) == {"power"}
    assert listed(client.get(CATALOG, {"q": "ärger"})) == {"power"}  # a tag
    assert listed(client.get(CATALOG, {"q": "electricite"})) == {"plain"}


def test_a_saved_change_is_what_a_search_finds(client, admin):
    app = save(app_yaml("report", displayName="Quarterly report", tags="[Finance]"))
    client.force_login(admin)
    assert listed(client.get(CATALOG, {"q": "quarterly finance"})) == {"report"}

    app_save_source(source=app_yaml("report", displayName="Monthly report"), app=app)

    assert listed(client.get(CATALOG, {"q": "quarterly"})) == set()
    assert listed(client.get(CATALOG, {"q": "finance"})) == set()
    assert listed(client.get(CATALOG, {"q": "monthly"})) == {"report"}


def test_apps_saved_before_the_search_column_existed_are_found_after_the_migration(client, admin):
    save(app_yaml("older", displayName="Older one", tags="[Legacy]"))
    App.objects.update(search_text="")  # as the column's addition left existing rows
    client.force_login(admin)
    assert listed(client.get(CATALOG, {"q": "legacy"})) == set()

    migration = import_module("apps_catalog.migrations.0007_search_text")
    migration.fill_search_text(django_apps, None)

    assert listed(client.get(CATALOG, {"q": "older legacy"})) == {"older"}


def test_search_and_tags_combine_and_survive_paging(client, admin, monkeypatch):
    monkeypatch.setattr("apps_catalog.views.PAGE_SIZE", 2)
    for index in range(5):
        save(app_yaml(f"report_{index}", tags="[Reporting]"))
    save(app_yaml("report_untagged"))
    client.force_login(admin)

    first = client.get(CATALOG, {"q": "report", "tags": "Reporting"})
    last = client.get(CATALOG, {"q": "report", "tags": "Reporting", "page": 3})

    html = first.content.decode()
    assert "Page 1 of 3" in html
    assert 'href="?q=report&amp;tags=Reporting&amp;page=2"' in html
    assert listed(last) == {"report_4"}


@pytest.mark.parametrize("page", ["0", "999", "abc", "-1"])
def test_a_page_out_of_range_shows_a_valid_page(client, admin, apps, page):
    client.force_login(admin)

    response = client.get(CATALOG, {"page": page})

    assert response.status_code == 200
    assert listed(response)


def _add_apps(start: int, stop: int, grantee) -> None:
    """Apps that are, in turn, public, for the members' group, and granted to `grantee`."""
    for index in range(start, stop):
        access = ["PUBLIC", FOR_MEMBERS, "PRIVATE"][index % 3]
        app = save(app_yaml(f"bulk_{index}", access=access, tags=f"[t{index % 7}, common]"))
        if index % 3 == 2:
            grant_use(grantee, app)


@pytest.mark.parametrize("persona", ["member", "grantee", "admin"])
def test_the_number_of_queries_does_not_grow_with_the_number_of_apps(
    client, member, grantee, admin, persona, django_assert_max_num_queries
):
    client.force_login({"member": member, "grantee": grantee, "admin": admin}[persona])
    params = {"q": "bulk", "tags": "common"}
    _add_apps(0, 12, grantee)
    with CaptureQueriesContext(connection) as few:
        assert client.get(CATALOG, params).status_code == 200
    _add_apps(12, 90, grantee)

    assert len(few) <= 8  # session, user, content type, count, tags, apps, their tags
    with django_assert_max_num_queries(len(few)):
        response = client.get(CATALOG, params)

    assert response.context["page"].paginator.count >= 30
    assert len(response.context["page"]) == 24  # a full page of cards, tags and all


@pytest.fixture
def namespaced(outsider) -> dict[str, App]:
    """Public apps in a namespace, one below it, one whose name merely starts the same."""
    return {
        name: save(app_yaml(f"{name.replace('.', '_')}_app", namespace=name, access="PUBLIC"))
        for name in ("company", "company.team", "company2", "other")
    }


def test_the_namespace_filter_keeps_that_namespace_and_those_below_it(client, outsider, namespaced):
    client.force_login(outsider)

    assert listed(client.get(CATALOG, {"namespace": "company"})) == {
        "company_app",
        "company_team_app",
    }
    assert listed(client.get(CATALOG, {"namespace": "company.team"})) == {"company_team_app"}
    assert listed(client.get(CATALOG, {"namespace": " other "})) == {"other_app"}
    assert listed(client.get(CATALOG, {"namespace": "nowhere"})) == set()


def test_the_namespace_choices_narrow_the_list_and_keep_the_chosen_one(
    client, outsider, namespaced
):
    client.force_login(outsider)

    everything = client.get(CATALOG).content.decode()
    chosen = client.get(CATALOG, {"namespace": "company"}).content.decode()

    options = re.compile(r'<option value="([^"]*)"( selected)?>')
    assert options.findall(everything) == [
        ("", ""),
        ("company", ""),
        ("company.team", ""),
        ("company2", ""),
        ("other", ""),
    ]
    assert options.findall(chosen) == [("", ""), ("company", " selected"), ("company.team", "")]
    assert '<label for="catalog-namespace"' in chosen
    assert 'href="/apps/">Clear</a>' in chosen


def test_the_namespace_filter_goes_with_text_and_tags_and_through_the_pages(client, outsider):
    for n in range(26):
        save(app_yaml(f"team_{n:02}", namespace="company.team", access="PUBLIC", tags="[Ops]"))
    save(app_yaml("elsewhere", namespace="other", access="PUBLIC", tags="[Ops]"))
    client.force_login(outsider)

    first = client.get(CATALOG, {"namespace": "company", "tags": "Ops", "q": "team"})
    second = client.get(CATALOG, {"namespace": "company", "tags": "Ops", "q": "team", "page": 2})

    assert len(listed(first)) == 24 and len(listed(second)) == 2
    assert 'href="?namespace=company&amp;q=team&amp;tags=Ops&amp;page=2"' in first.content.decode()
    assert "elsewhere" not in listed(first) | listed(second)
