"""The rule admin: matchers as fields, "Test this draft" without saving, version diffs."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django import forms
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.utils import timezone

from forest.admin.rule_diffs import snapshot_diff
from forest.models import GreenAction, GreenActionRule, GreenActionRuleVersion
from forest.selectors.rule_drafts import rule_draft_test
from forest.services.rules import rule_save
from tests.accounts.factories import LinkedFeedFactory, TransactionFactory, UserFactory
from tests.partners.factories import CampaignFactory

pytestmark = pytest.mark.django_db

MATCHERS = [
    "match_mccs", "match_merchants", "match_aliases", "exclude_names", "match_merchant_ids",
    "match_categories", "match_description_regex",
]  # fmt: skip


@pytest.fixture
def operator_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def draft_rule(**fields) -> GreenActionRule:
    fields = {
        "code": "ferry", "name_en": "Ferry", "name_nl": "Veerpont", "priority": 400,
        "action_type": "public_transport", "estimate_kind": "fixed", "fixed_grams": 40,
        "method": "m", "source": "s", "daily_cap_grams": 1000, **fields,
    }  # fmt: skip
    return GreenActionRule(**fields)


def recent(days_ago: int = 1, **fields):
    fields.setdefault("feed", LinkedFeedFactory())
    return TransactionFactory(
        booking_date=timezone.localdate() - timedelta(days=days_ago), queued=False, **fields
    )


def post_data(page) -> dict:
    """The change form's POST as a browser would send it back unedited."""
    data: dict = {}
    form = page.context["adminform"].form
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field, forms.BooleanField):
            if value:
                data[name] = "on"
            continue
        data[name] = "" if value is None else str(value)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        for key, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{key}"] = str(value)
        for subform in formset.forms:
            for name in subform.fields:
                value = subform[name].value()
                data[subform.add_prefix(name)] = "" if value is None else str(value)
    return data


def change_url(rule: GreenActionRule) -> str:
    return f"/admin/forest/greenactionrule/{rule.id}/change/"


def stored(rule: GreenActionRule) -> dict:
    return GreenActionRule.objects.filter(pk=rule.pk).values(*MATCHERS, "version").get()


# --- matchers as fields ---------------------------------------------------------------------


def test_the_matchers_are_one_value_per_line_fields(operator_client):
    rule = GreenActionRule.objects.get(code="rail")
    page = operator_client.get(change_url(rule))
    form = page.context["adminform"].form
    assert form["match_mccs"].value() == "\n".join(rule.match_mccs)
    assert form["exclude_names"].value() == "\n".join(rule.exclude_names)
    html = page.content.decode()
    assert 'name="match_merchants"' in html and "<textarea" in html
    assert 'name="_test_draft"' in html


@pytest.mark.parametrize("code", ["rail", "paperless", "metro-tram"])
def test_saving_an_unedited_form_writes_back_the_same_json(operator_client, code):
    rule = GreenActionRule.objects.get(code=code)
    before, versions = stored(rule), rule.versions.count()
    page = operator_client.get(change_url(rule))
    response = operator_client.post(change_url(rule), {**post_data(page), "_save": "Save"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert stored(rule) == before  # the same lists in the same order, and no new version
    assert rule.versions.count() == versions


def test_edited_lines_become_the_stored_list_and_a_new_version(operator_client):
    rule = rule_save(rule=draft_rule(match_merchants=["gvb veer"]))
    page = operator_client.get(change_url(rule))
    data = post_data(page) | {
        "match_mccs": "4111\r\n\r\n 4789 ",
        "match_aliases": "Veerpont Texel",
        "match_categories": "Transport, ferries\nBoats",
        "_save": "Save",
    }
    response = operator_client.post(change_url(rule), data)
    assert response.status_code == 302
    assert stored(rule) | {"version": 0} == {
        "match_mccs": ["4111", "4789"],
        "match_merchants": ["gvb veer"],
        "match_aliases": ["veerpont texel"],  # normalised, as scoring compares them
        "exclude_names": [],
        "match_merchant_ids": [],
        "match_categories": ["Transport, ferries", "Boats"],
        "match_description_regex": "",
        "version": 0,
    }
    assert stored(rule)["version"] == 2


def test_an_invalid_mcc_is_refused_naming_the_line(operator_client):
    rule = GreenActionRule.objects.get(code="rail")
    before = stored(rule)
    page = operator_client.get(change_url(rule))
    data = post_data(page) | {"match_mccs": "4112\n41x2\n411", "_save": "Save"}
    response = operator_client.post(change_url(rule), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["match_mccs"]
    assert errors == [
        "“41x2” is not an MCC: an MCC has exactly four digits.",
        "“411” is not an MCC: an MCC has exactly four digits.",
    ]
    assert stored(rule) == before


def test_an_invalid_regex_is_refused_by_the_same_validator_as_the_model(operator_client):
    rule = GreenActionRule.objects.get(code="paperless")
    before = stored(rule)
    page = operator_client.get(change_url(rule))
    for pattern, message in [
        ("e-ticket(", "Invalid regular expression"),
        ("(a+)+", "Nested repetition"),
        ("refill{1,300}", "A repetition count may be at most 255."),
    ]:
        data = post_data(page) | {"match_description_regex": pattern, "_save": "Save"}
        response = operator_client.post(change_url(rule), data)
        assert response.status_code == 200
        errors = response.context["adminform"].form.errors["match_description_regex"]
        assert any(message in e for e in errors), (pattern, errors)
    assert stored(rule) == before


def test_an_alias_of_more_than_three_words_is_refused(operator_client):
    rule = GreenActionRule.objects.get(code="rail")
    page = operator_client.get(change_url(rule))
    data = post_data(page) | {"match_aliases": "NS groep\nNS groep iz ns reizigers"}
    response = operator_client.post(change_url(rule), data | {"_save": "Save"})
    assert response.status_code == 200
    assert "at most three words" in str(response.context["adminform"].form.errors)


# --- test this draft ------------------------------------------------------------------------


def test_the_draft_test_runs_the_unsaved_matchers_and_saves_nothing(operator_client):
    rule = rule_save(rule=draft_rule(match_merchants=["gvb veer"]))
    feed = LinkedFeedFactory()
    ferry = recent(feed=feed, merchant_name="GVB Veer", amount=Decimal("-4.00"))
    by_mcc = recent(feed=feed, merchant_name="Pont Zaandam", mcc="4789")
    recent(feed=feed, merchant_name="Albert Heijn", mcc="5411")
    recent(feed=feed, merchant_name="Pont Oud", mcc="4789", days_ago=45)  # outside the window
    page = operator_client.get(change_url(rule))
    before = stored(rule)
    counts = (LogEntry.objects.count(), GreenActionRuleVersion.objects.count())

    data = post_data(page) | {"match_mccs": "4789", "fixed_grams": "55", "_test_draft": "1"}
    response = operator_client.post(change_url(rule), data)

    assert response.status_code == 200
    result = response.context["draft_test"]
    assert (result.examined, result.matched) == (3, 2)
    assert result.by_kind == {
        "mcc": 1,
        "name": 1,
        "merchant_id": 0,
        "category": 0,
        "description": 0,
    }
    assert result.grams == 110  # the draft's 55 g, not the saved 40 g
    assert {s.transaction_id: s.matched_on for s in result.samples} == {
        ferry.id: ["name"],
        by_mcc.id: ["mcc"],
    }
    html = response.content.decode()
    assert "Matches 2 of 3 recent transactions." in html
    assert "Nothing was saved." in html
    assert "Pont Zaandam" in html
    # the form comes back with the draft as typed
    assert response.context["adminform"].form["match_mccs"].value() == "4789"
    assert stored(rule) == before
    assert GreenActionRule.objects.get(pk=rule.pk).fixed_grams == 40
    assert (LogEntry.objects.count(), GreenActionRuleVersion.objects.count()) == counts
    assert not GreenAction.objects.exists()


def test_the_draft_test_of_a_new_rule_saves_nothing(operator_client):
    recent(merchant_name="Veerpont Texel")
    page = operator_client.get("/admin/forest/greenactionrule/add/")
    data = post_data(page) | {
        "code": "texel", "name_en": "Texel ferry", "name_nl": "Texelse veerboot",
        "action_type": "public_transport", "estimate_kind": "fixed", "fixed_grams": "30",
        "method": "m", "source": "s", "match_merchants": "veerpont texel", "_test_draft": "1",
    }  # fmt: skip
    response = operator_client.post("/admin/forest/greenactionrule/add/", data)
    assert response.status_code == 200
    assert response.context["draft_test"].matched == 1
    assert not GreenActionRule.objects.filter(code="texel").exists()


def test_an_invalid_draft_shows_its_errors_and_is_not_run(operator_client):
    rule = GreenActionRule.objects.get(code="rail")
    page = operator_client.get(change_url(rule))
    data = post_data(page) | {"match_description_regex": "e-ticket(", "_test_draft": "1"}
    response = operator_client.post(change_url(rule), data)
    assert response.status_code == 200
    assert "draft_test" not in response.context
    assert response.context["draft_test_invalid"] is True
    assert "correct them to test it" in response.content.decode()


def test_names_match_whole_leading_words_and_the_longest_listed_or_excluded_name_decides():
    rule = draft_rule(match_merchants=["db"], exclude_names=["db schenker"])
    feed = LinkedFeedFactory()
    rail = recent(feed=feed, merchant_name="DB Fernverkehr")
    recent(feed=feed, merchant_name="DB Schenker Logistics")
    recent(feed=feed, merchant_name="DBX Holding")
    result = rule_draft_test(rule=rule)
    assert [s.transaction_id for s in result.samples] == [rail.id]
    rule.match_merchants = ["db", "db schenker logistics"]
    assert rule_draft_test(rule=rule).matched == 2


def test_the_description_regex_and_the_window_bound(operator_client):
    feed = LinkedFeedFactory()
    for i in range(4):
        recent(feed=feed, merchant_name="", description=f"E-TICKET {i} NS", days_ago=i + 1)
    rule = draft_rule(match_description_regex=r"e-ticket \d")
    assert rule_draft_test(rule=rule).matched == 4
    bounded = rule_draft_test(rule=rule, limit=2)
    assert (bounded.examined, bounded.matched, bounded.limit) == (2, 2, 2)


def test_a_staff_member_without_change_permission_may_not_run_the_draft_test(client):
    rule = GreenActionRule.objects.get(code="rail")
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_greenactionrule"))
    client.force_login(viewer)
    page = client.get(change_url(rule))
    assert page.status_code == 200
    response = client.post(change_url(rule), {"_test_draft": "1", "match_mccs": "4112"})
    assert response.status_code == 403


def test_a_staff_member_with_change_permission_may_run_it(client):
    rule = GreenActionRule.objects.get(code="rail")
    editor = UserFactory(is_staff=True)
    editor.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_greenactionrule", "change_greenactionrule"])
    )
    client.force_login(editor)
    recent(merchant_name="NS", amount=Decimal("-12.40"))
    page = client.get(change_url(rule))
    response = client.post(change_url(rule), post_data(page) | {"_test_draft": "1"})
    assert response.status_code == 200
    assert response.context["draft_test"].matched == 1


def test_someone_not_staff_is_sent_to_the_login(client):
    rule = GreenActionRule.objects.get(code="rail")
    client.force_login(UserFactory(is_staff=False))
    response = client.post(change_url(rule), {"_test_draft": "1"})
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert stored(rule)["version"] == rule.version


# --- version diffs --------------------------------------------------------------------------


def test_a_version_shows_what_changed_since_its_predecessor_as_a_table(operator_client):
    rule = rule_save(rule=draft_rule(match_merchants=["gvb veer"], match_mccs=["4111"]))
    rule.fixed_grams = 55
    rule.match_merchants = ["gvb veer", "pont"]
    rule_save(rule=rule)
    html = operator_client.get(change_url(rule)).content.decode()
    assert "Changes from version 1 to version 2" in html
    assert '<th scope="row">Fixed grams</th>' in html
    assert "<td>40</td>" in html and "<td>55</td>" in html
    assert "added: pont" in html
    assert '<th scope="row">Match mccs</th>' in html  # version 1 lists all its fields
    assert "Version 1: the first, no earlier version to compare</summary>" in html
    assert "<td>Fixed grams</td>" in html  # a choice by its label, not "fixed"
    assert '"match_mccs": [' not in html  # no raw JSON


def test_snapshot_diff_lists_changed_fields_only():
    before = {"fixed_grams": 40, "match_mccs": ["4111", "4112"], "priority": 1}
    after = {"fixed_grams": 55, "match_mccs": ["4112", "4789"], "priority": 1}
    rows = snapshot_diff(before, after)
    assert [(r.field, r.before, r.after, r.added, r.removed) for r in rows] == [
        ("fixed_grams", "40", "55", [], []),
        ("match_mccs", "4111, 4112", "4112, 4789", ["4789"], ["4111"]),
    ]


# --- campaigns ------------------------------------------------------------------------------


def test_campaign_matchers_are_lines_and_an_invalid_mcc_is_named(operator_client):
    campaign = CampaignFactory(match_merchants=["vinted", "marktplaats"], match_mccs=["5931"])
    url = f"/admin/catalogue/campaign/{campaign.id}/change/"
    page = operator_client.get(url)
    assert page.context["adminform"].form["match_merchants"].value() == "vinted\nmarktplaats"
    response = operator_client.post(url, post_data(page) | {"_save": "Save"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    campaign.refresh_from_db()
    assert (campaign.match_merchants, campaign.match_mccs) == (["vinted", "marktplaats"], ["5931"])
    response = operator_client.post(url, post_data(page) | {"match_mccs": "59x1"})
    assert "“59x1” is not an MCC" in response.content.decode()


def test_the_draft_test_is_a_fixed_number_of_queries(django_assert_max_num_queries):
    feed = LinkedFeedFactory()
    for i in range(12):
        recent(feed=feed, merchant_name="GVB Veer", mcc="4789", days_ago=i % 5 + 1)
    rule = draft_rule(
        match_merchants=["gvb veer"], match_mccs=["4789"], match_description_regex="veer"
    )
    with django_assert_max_num_queries(4):  # counts, exchange rates, currencies, samples
        result = rule_draft_test(rule=rule, samples=10)
    assert (result.matched, len(result.samples)) == (12, 10)
    assert result.by_kind["description"] == 12
