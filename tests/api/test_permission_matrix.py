"""Every API endpoint × every role × read/write, generated from the URL conf.

The routes come from walking `get_resolver()` under /api/v1/, so a new endpoint without a row
in EXPECTED fails `test_it_covers_every_endpoint`. Each row names, per role, what the role
gets on company A's (or university U's) object: "ok" (passed authorization: 2xx, or 400 for
the empty body we send), 401, 403, 404 (outside the caller's scope) or 405. A write that uses
up its row (removing a member, revoking an invitation) is made by each role that may make it
on the world as it was, and must then succeed.
"""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.api.conftest import ROLES, client_for

API_PREFIX = "api/v1/"
METHODS = ("get", "post", "put", "patch", "delete")
PUBLIC = {"api:schema", "api:docs", "api:redoc"}
STAFF = ("admin", "reviewer", "operator")


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, route, ns)
        elif isinstance(entry, URLPattern) and route.startswith(API_PREFIX) and entry.name:
            yield f"{namespace}{entry.name}", entry


def api_routes() -> dict[str, dict]:
    """{url name: {"methods": {method: action}, "kwarg": lookup kwarg or None}}."""
    routes: dict[str, dict] = {}
    for name, entry in _walk(get_resolver().url_patterns):
        callback = entry.callback
        if hasattr(callback, "actions"):
            methods = dict(callback.actions)
        else:
            view_class = callback.view_class
            methods = {m: m for m in METHODS if hasattr(view_class, m)}
        kwargs = [k for k in entry.pattern.regex.groupindex if k != "format"]
        routes.setdefault(name, {"methods": methods, "kwarg": kwargs[0] if kwargs else None})
    return routes


ROUTES = api_routes()


def roles(default, **overrides) -> dict:
    """Expected result per role: `default` for every signed-in role, anonymous 401."""
    table = dict.fromkeys(ROLES, default)
    table["anon"] = 401
    for role, value in overrides.items():
        table[role] = value
    return table


def only(allowed, otherwise, **overrides) -> dict:
    table = roles(otherwise, **overrides)
    for role in allowed:
        table[role] = "ok"
    return table


# Reads
EVERYONE = roles("ok")
COMPANY_ROW = roles("ok", other=404, coordinator=404)
UNIVERSITY_ROW = roles("ok", owner=404, member=404, other=404)
OWN_TOKEN = roles(404, owner="ok")
STAFF_ONLY = only(STAFF, 403)
PUBLIC_DOCS = dict.fromkeys(ROLES, "ok")
# Writes
STAFF_CREATE = only(STAFF, 403)
STAFF_ON_COMPANY_ROW = only(STAFF, 403, other=404, coordinator=404)
COORDINATOR_CREATE = only(["coordinator"], 403)
COORDINATOR_ON_ROW = only(["coordinator"], 403, owner=404, member=404, other=404)
MEMBERS_CREATE = only(["owner", "member", "other"], 403)
MEMBERS_ON_ROW = only(["owner", "member"], 403, other=404, coordinator=404)
OWNER_CREATE = only(["owner"], 403)
OWNER_ON_ROW = only(["owner"], 403, other=404, coordinator=404)
REVIEWER_ON_ROW = only(["admin", "reviewer"], 403, other=404, coordinator=404)
OPERATOR_ON_CATALOGUE = only(["admin", "operator"], 403)
ANYONE = dict.fromkeys(ROLES, "ok")
# People: who manages company A's people (staff, its owner); a member may also leave.
MANAGERS_ON_COMPANY_ROW = only([*STAFF, "owner"], 403, other=404, coordinator=404)
MANAGERS_OR_THE_MEMBER = only([*STAFF, "owner", "member"], 403, other=404, coordinator=404)
MANAGERS_CREATE = only([*STAFF, "owner", "coordinator"], 403)
# Invitations are outside the scope of everyone who does not manage the company's people.
MANAGERS_ONLY_ROW = roles(404, **dict.fromkeys([*STAFF, "owner"], "ok"))
OWN_NOTIFICATION = roles(404, owner="ok")
# Programs: reviews and conflicts are their reviewer's and the center's, never the company's.
STAFF_ON_CATALOGUE = only(STAFF, 403)
STAFF_SEE_PERSONAL_ROW = roles(404, **dict.fromkeys(STAFF, "ok"))
THE_REVIEWER_ON_ROW = roles(404, reviewer="ok", admin=403, operator=403)
STAFF_OR_MEMBERS_CREATE = only([*STAFF, "owner", "member", "other"], 403)


def crud(list_read, detail_read, create=None, change=None) -> dict:
    return {"list": list_read, "detail": detail_read, "create": create, "change": change}


EXPECTED: dict[tuple[str, str], dict] = {
    ("api:token-issue", "post"): ANYONE,
    ("api:token-list", "get"): EVERYONE,
    ("api:token-detail", "get"): OWN_TOKEN,
    ("api:token-detail", "delete"): OWN_TOKEN,
    ("api:utilization", "get"): STAFF_ONLY,
    ("api:capacity", "get"): EVERYONE,
    # People
    ("api:member-list", "get"): EVERYONE,
    ("api:member-detail", "get"): COMPANY_ROW,
    ("api:member-detail", "patch"): MANAGERS_ON_COMPANY_ROW,
    ("api:member-detail", "delete"): MANAGERS_OR_THE_MEMBER,
    ("api:invitation-list", "get"): EVERYONE,
    ("api:invitation-list", "post"): MANAGERS_CREATE,
    ("api:invitation-detail", "get"): MANAGERS_ONLY_ROW,
    ("api:invitation-detail", "delete"): MANAGERS_ONLY_ROW,
    ("api:invitation-resend", "post"): MANAGERS_ONLY_ROW,
    ("api:notification-list", "get"): EVERYONE,
    ("api:notification-detail", "get"): OWN_NOTIFICATION,
    ("api:notification-read", "post"): OWN_NOTIFICATION,
    ("api:notification-read-all", "post"): EVERYONE,
    ("api:schema", "get"): PUBLIC_DOCS,
    ("api:docs", "get"): PUBLIC_DOCS,
    ("api:redoc", "get"): PUBLIC_DOCS,
    # Ecosystem
    ("api:company-list", "get"): EVERYONE,
    ("api:company-list", "post"): STAFF_CREATE,
    ("api:company-detail", "get"): COMPANY_ROW,
    ("api:company-detail", "put"): STAFF_ON_COMPANY_ROW,
    ("api:company-detail", "patch"): STAFF_ON_COMPANY_ROW,
    ("api:company-admit", "post"): STAFF_ON_COMPANY_ROW,
    ("api:company-incubate", "post"): STAFF_ON_COMPANY_ROW,
    ("api:company-graduate", "post"): STAFF_ON_COMPANY_ROW,
    ("api:company-exit", "post"): STAFF_ON_COMPANY_ROW,
    ("api:engagement-list", "get"): EVERYONE,
    ("api:engagement-list", "post"): STAFF_CREATE,
    ("api:engagement-detail", "get"): COMPANY_ROW,
    ("api:engagement-detail", "put"): STAFF_ON_COMPANY_ROW,
    ("api:engagement-detail", "patch"): STAFF_ON_COMPANY_ROW,
    ("api:engagement-advance", "post"): STAFF_ON_COMPANY_ROW,
    ("api:solution-list", "get"): EVERYONE,
    ("api:solution-list", "post"): STAFF_CREATE,
    ("api:solution-detail", "get"): COMPANY_ROW,
    ("api:solution-detail", "put"): STAFF_ON_COMPANY_ROW,
    ("api:solution-detail", "patch"): STAFF_ON_COMPANY_ROW,
    ("api:solution-publish", "post"): STAFF_ON_COMPANY_ROW,
    # Talent
    ("api:university-list", "get"): EVERYONE,
    ("api:university-detail", "get"): UNIVERSITY_ROW,
    ("api:program-list", "get"): EVERYONE,
    ("api:program-detail", "get"): EVERYONE,
    ("api:course-list", "get"): EVERYONE,
    ("api:course-list", "post"): COORDINATOR_CREATE,
    ("api:course-detail", "get"): UNIVERSITY_ROW,
    ("api:course-detail", "put"): COORDINATOR_ON_ROW,
    ("api:course-detail", "patch"): COORDINATOR_ON_ROW,
    ("api:crowdtask-list", "get"): EVERYONE,
    ("api:crowdtask-list", "post"): COORDINATOR_CREATE,
    ("api:crowdtask-detail", "get"): UNIVERSITY_ROW,
    ("api:crowdtask-detail", "put"): COORDINATOR_ON_ROW,
    ("api:crowdtask-detail", "patch"): COORDINATOR_ON_ROW,
    ("api:internship-list", "get"): EVERYONE,
    ("api:internship-list", "post"): COORDINATOR_CREATE,
    ("api:internship-detail", "get"): UNIVERSITY_ROW,
    ("api:internship-detail", "put"): COORDINATOR_ON_ROW,
    ("api:internship-detail", "patch"): COORDINATOR_ON_ROW,
    # Compute
    ("api:site-list", "get"): EVERYONE,
    ("api:site-detail", "get"): EVERYONE,
    ("api:acceleratortype-list", "get"): EVERYONE,
    ("api:acceleratortype-detail", "get"): EVERYONE,
    ("api:accelerator-list", "get"): EVERYONE,
    ("api:accelerator-detail", "get"): EVERYONE,
    ("api:accelerator-health", "post"): OPERATOR_ON_CATALOGUE,
    ("api:allocationrequest-list", "get"): EVERYONE,
    ("api:allocationrequest-list", "post"): OWNER_CREATE,
    ("api:allocationrequest-detail", "get"): COMPANY_ROW,
    ("api:allocationrequest-withdraw", "post"): OWNER_ON_ROW,
    ("api:allocationrequest-approve", "post"): REVIEWER_ON_ROW,
    ("api:allocationrequest-reject", "post"): REVIEWER_ON_ROW,
    ("api:allocation-list", "get"): EVERYONE,
    ("api:allocation-detail", "get"): COMPANY_ROW,
    ("api:allocation-adjust", "post"): REVIEWER_ON_ROW,
    ("api:allocation-suspend", "post"): REVIEWER_ON_ROW,
    ("api:allocation-resume", "post"): REVIEWER_ON_ROW,
    ("api:allocation-revoke", "post"): REVIEWER_ON_ROW,
    ("api:allocation-lend", "post"): REVIEWER_ON_ROW,
    ("api:ledgerentry-list", "get"): EVERYONE,
    ("api:ledgerentry-detail", "get"): COMPANY_ROW,
    # Evaluation
    ("api:model-list", "get"): EVERYONE,
    ("api:model-list", "post"): MEMBERS_CREATE,
    ("api:model-detail", "get"): COMPANY_ROW,
    ("api:dataset-list", "get"): EVERYONE,
    ("api:dataset-list", "post"): MEMBERS_CREATE,
    ("api:dataset-detail", "get"): COMPANY_ROW,
    ("api:job-list", "get"): EVERYONE,
    ("api:job-list", "post"): MEMBERS_CREATE,
    ("api:job-estimate", "post"): MEMBERS_CREATE,
    ("api:job-detail", "get"): COMPANY_ROW,
    ("api:job-cancel", "post"): MEMBERS_ON_ROW,
    ("api:job-progress", "get"): COMPANY_ROW,
    ("api:result-list", "get"): EVERYONE,
    ("api:result-detail", "get"): COMPANY_ROW,
    ("api:job-rerun", "post"): MEMBERS_ON_ROW,
    # Benchmarks: suites are a catalogue; the leaderboard without ?suite= is a 400 ("ok").
    ("api:suite-list", "get"): EVERYONE,
    ("api:suite-detail", "get"): EVERYONE,
    ("api:leaderboard", "get"): EVERYONE,
    ("api:suitesubmission-list", "get"): EVERYONE,
    ("api:suitesubmission-list", "post"): MEMBERS_CREATE,
    ("api:suitesubmission-detail", "get"): COMPANY_ROW,
    ("api:verification-list", "get"): EVERYONE,
    ("api:verification-list", "post"): STAFF_CREATE,
    ("api:verification-detail", "get"): COMPANY_ROW,
    # Programs: published calls are everyone's; the ranking is the center's.
    ("api:call-list", "get"): EVERYONE,
    ("api:call-list", "post"): STAFF_CREATE,
    ("api:call-detail", "get"): EVERYONE,
    ("api:call-detail", "put"): STAFF_ON_CATALOGUE,
    ("api:call-detail", "patch"): STAFF_ON_CATALOGUE,
    ("api:call-publish", "post"): STAFF_ON_CATALOGUE,
    ("api:call-assign", "post"): STAFF_ON_CATALOGUE,
    ("api:call-ranking", "get"): STAFF_ON_CATALOGUE,
    ("api:application-list", "get"): EVERYONE,
    ("api:application-list", "post"): MEMBERS_CREATE,
    ("api:application-detail", "get"): COMPANY_ROW,
    ("api:application-detail", "patch"): MEMBERS_ON_ROW,
    ("api:application-submit", "post"): MEMBERS_ON_ROW,
    ("api:application-withdraw", "post"): MEMBERS_ON_ROW,
    ("api:application-attachments", "post"): MEMBERS_ON_ROW,
    ("api:application-decide", "post"): STAFF_ON_COMPANY_ROW,
    ("api:review-list", "get"): EVERYONE,
    ("api:review-detail", "get"): STAFF_SEE_PERSONAL_ROW,
    ("api:review-submit", "post"): THE_REVIEWER_ON_ROW,
    ("api:conflict-list", "get"): EVERYONE,
    ("api:conflict-list", "post"): STAFF_CREATE,
    ("api:conflict-detail", "get"): STAFF_SEE_PERSONAL_ROW,
    ("api:kpireport-list", "get"): EVERYONE,
    ("api:kpireport-list", "post"): STAFF_OR_MEMBERS_CREATE,
    ("api:kpireport-detail", "get"): COMPANY_ROW,
    ("api:incubator-criteria-list", "get"): STAFF_ONLY,
}

# Company A's rows (or the university's, or the catalogue's) that detail URLs point at.
OBJECTS = {
    "token": lambda w: w.rows["token"].pk,
    "member": lambda w: w.a.membership.pk,
    "invitation": lambda w: w.a.invitation.pk,
    "notification": lambda w: w.rows["notification"].pk,
    "company": lambda w: w.a.company.pk,
    "engagement": lambda w: w.a.engagement.pk,
    "solution": lambda w: w.a.solution.pk,
    "university": lambda w: w.rows["university"].pk,
    "program": lambda w: w.rows["program"].pk,
    "course": lambda w: w.rows["course"].pk,
    "crowdtask": lambda w: w.rows["crowdtask"].pk,
    "internship": lambda w: w.rows["internship"].pk,
    "site": lambda w: w.rows["site"].pk,
    "acceleratortype": lambda w: w.rows["acceleratortype"].pk,
    "accelerator": lambda w: w.rows["accelerator"].pk,
    "allocationrequest": lambda w: w.a.allocation_request.pk,
    "allocation": lambda w: w.a.allocation.pk,
    "ledgerentry": lambda w: w.a.ledger_entry.pk,
    "model": lambda w: w.a.model.pk,
    "dataset": lambda w: w.a.dataset.pk,
    "job": lambda w: w.a.job.pk,
    "result": lambda w: w.a.finished_job.pk,
    "suite": lambda w: w.rows["suite"].slug,
    "suitesubmission": lambda w: w.a.submission.pk,
    "verification": lambda w: w.a.verification.pk,
    "call": lambda w: w.rows["call"].slug,
    "application": lambda w: w.a.application.pk,
    "review": lambda w: w.a.review.pk,
    "conflict": lambda w: w.rows["conflict"].pk,
    "kpireport": lambda w: w.a.kpi_report.pk,
}


def url_of(name: str, world) -> str:
    kwarg = ROUTES[name]["kwarg"]
    if kwarg is None:
        return reverse(name)
    basename = name.split(":")[1].rsplit("-", 1)[0]
    return reverse(name, kwargs={kwarg: OBJECTS[basename](world)})


def outcome(status_code: int):
    if status_code in (401, 403, 404, 405):
        return status_code
    if 200 <= status_code < 300 or status_code == 400:
        return "ok"
    return status_code


MULTIPART = {"api:model-list", "api:dataset-list", "api:application-attachments"}
# Writes that use up their row: after one role removed the member, the next would find no row.
FRESH_ROW_WRITES = {("api:member-detail", "delete"), ("api:invitation-detail", "delete")}


def call(client, method: str, url: str, name: str = ""):
    if method in ("get", "delete"):
        return getattr(client, method)(url)
    body_format = "multipart" if name in MULTIPART and method == "post" else "json"
    return getattr(client, method)(url, {}, format=body_format)


def call_on_the_world_as_it_was(client, method: str, url: str, name: str):
    """The call in a savepoint that is rolled back: the next role finds the row again."""
    with transaction.atomic():
        response = call(client, method, url, name)
        transaction.set_rollback(True)
    return response


def test_it_covers_every_endpoint():
    declared = {(name, method) for name, route in ROUTES.items() for method in route["methods"]}
    missing = sorted(declared - EXPECTED.keys())
    stale = sorted(EXPECTED.keys() - declared)
    assert not missing, f"API endpoints without expectations: {missing}"
    assert not stale, f"Expectations for endpoints that do not exist: {stale}"


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_it_gives_each_role_what_the_matrix_says(world, name):
    route = ROUTES[name]
    url = url_of(name, world)
    failures = []
    # Writes by roles that may not write first: a refused write must change nothing.
    for method in route["methods"]:
        expected = EXPECTED.get((name, method))
        if expected is None:
            pytest.fail(f"{name} {method.upper()} has no expectations")
        order = sorted(ROLES, key=lambda role: expected[role] == "ok")
        fresh_row = (name, method) in FRESH_ROW_WRITES
        for role in order:
            client = client_for(world.users.get(role))
            if fresh_row and expected[role] == "ok":
                status_code = call_on_the_world_as_it_was(client, method, url, name).status_code
                # On its own row the write must be made, not merely authorized.
                got = "ok" if 200 <= status_code < 300 else status_code
            else:
                got = outcome(call(client, method, url, name).status_code)
            if got != expected[role]:
                failures.append(
                    f"{method.upper()} {url} as {role}: {got}, expected {expected[role]}"
                )
    # A method the endpoint does not have is a 405 for every signed-in role (401 anonymous).
    if name not in PUBLIC and hasattr(world, "users"):
        for method in (m for m in METHODS if m not in route["methods"]):
            if name in ("api:utilization", "api:capacity", "api:token-issue"):
                continue  # plain views: permission first, then the method
            for role in ROLES:
                expected = 401 if role == "anon" else 405
                got = outcome(call(client_for(world.users.get(role)), method, url).status_code)
                if got != expected:
                    failures.append(f"{method.upper()} {url} as {role}: {got}, expected {expected}")
    assert not failures, "\n".join(failures)
