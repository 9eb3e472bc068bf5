"""Calls: create, edit, publish, with their questions and rubric."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from innovation_center.accounts.services import audit_record, model_snapshot
from innovation_center.core import clock
from innovation_center.core.errors import ApplicationError
from innovation_center.core.services import validated
from innovation_center.programs.models import (
    Call,
    Criterion,
    Question,
)
from innovation_center.programs.services.base import (
    CALL_FIELDS,
    CRITERION_FIELDS,
    QUESTION_FIELDS,
)

# Calls -------------------------------------------------------------------------------------


def _clean_rows(rows: Iterable[Mapping], fields: tuple[str, ...], defaults: Mapping) -> list:
    cleaned = []
    for row in rows:
        values = {name: row.get(name, defaults.get(name)) for name in fields}
        for name, value in values.items():
            if isinstance(value, str):
                values[name] = value.strip()
        values["id"] = row.get("id") or None
        cleaned.append(values)
    return cleaned


def _check_call(call: Call, questions: list | None, criteria: list | None) -> None:
    errors: dict[str, list[str]] = {}
    if call.closes_at and call.opens_on and clock.local(call.closes_at).date() < call.opens_on:
        errors["closes_at"] = [_("The deadline must be on or after the day the call opens.")]
    if call.kind == Call.Kind.COMPUTE_GRANT:
        if not call.hours_pool or call.hours_pool <= 0:
            errors["hours_pool"] = [_("A compute-grant call needs a pool of hours.")]
        if call.accelerator_type_id is None and call.site_id is None:
            errors["accelerator_type"] = [_("Choose the accelerator type, the site, or both.")]
        if not call.grant_starts_on or not call.grant_ends_on:
            errors["grant_starts_on"] = [_("Give the period the grants run in.")]
    for row in questions or []:
        if not row["text"]:
            errors.setdefault("questions", []).append(_("Every question needs its text."))
        if not row["max_length"] or int(row["max_length"]) < 1:
            errors.setdefault("questions", []).append(
                _("A question's longest answer is at least one character.")
            )
    for row in criteria or []:
        if not row["name"]:
            errors.setdefault("criteria", []).append(_("Every criterion needs its name."))
        try:
            weight = Decimal(str(row["weight"]))
        except (InvalidOperation, TypeError):
            weight = Decimal(0)
        if weight <= 0:
            errors.setdefault("criteria", []).append(_("A criterion's weight is above zero."))
        row["weight"] = weight
    if errors:
        raise ApplicationError(
            " ".join(dict.fromkeys(m for messages in errors.values() for m in messages)),
            field_errors=errors,
        )
    validated(call)


def _sync_rows(call: Call, model, rows: list, fields: tuple[str, ...], used_by: str) -> None:
    """Make the call's questions or criteria these rows, in this order: rows with an id are
    changed in place, the others added; a row no longer listed is removed unless answers or
    scores refer to it."""
    existing = {row.pk: row for row in model.objects.filter(call=call)}
    kept = {int(row["id"]) for row in rows if row["id"] and int(row["id"]) in existing}
    dropped = [row for pk, row in existing.items() if pk not in kept]
    in_use = [row for row in dropped if getattr(row, used_by).exists()]
    if in_use:
        raise ApplicationError(
            _("“%(name)s” cannot be removed: applications already answer or score it.")
            % {"name": in_use[0]},
            code="in_use",
        )
    model.objects.filter(pk__in=[row.pk for row in dropped]).delete()
    for order, row in enumerate(rows):
        values = {name: row[name] for name in fields}
        pk = int(row["id"]) if row["id"] else None
        if pk in existing:
            instance = existing[pk]
            for name, value in values.items():
                setattr(instance, name, value)
            instance.order = order
        else:
            instance = model(call=call, order=order, **values)
        validated(instance)
        instance.save()


def _call_snapshot(call: Call) -> dict:
    snapshot = model_snapshot(call, _call_attnames())
    snapshot["questions"] = [q.text for q in call.questions.all()]
    snapshot["criteria"] = [f"{c.name} ×{c.weight}" for c in call.criteria.all()]
    snapshot["panel"] = sorted(call.panel.values_list("username", flat=True))
    return snapshot


def _call_attnames() -> list[str]:
    return [Call._meta.get_field(name).attname for name in (*CALL_FIELDS, "is_published")]


QUESTION_DEFAULTS = {"text_zh": "", "required": True, "max_length": 4000}
CRITERION_DEFAULTS = {"name_zh": "", "description": "", "description_zh": "", "weight": 1}


@transaction.atomic
def call_create(
    *,
    actor,
    kind: str,
    slug: str,
    title: str,
    text: str,
    opens_on: dt.date,
    closes_at: dt.datetime,
    title_zh: str = "",
    text_zh: str = "",
    eligibility: str = "",
    eligibility_zh: str = "",
    hours_pool: Decimal | None = None,
    accelerator_type=None,
    site=None,
    grant_starts_on: dt.date | None = None,
    grant_ends_on: dt.date | None = None,
    reviews_per_application: int = 2,
    questions: Iterable[Mapping] = (),
    criteria: Iterable[Mapping] = (),
    panel: Iterable = (),
) -> Call:
    """A new call (unpublished) with its questions, rubric and panel, in the order given."""
    call = Call(
        kind=kind,
        slug=slug,
        title=(title or "").strip(),
        title_zh=(title_zh or "").strip(),
        text=text or "",
        text_zh=text_zh or "",
        eligibility=eligibility or "",
        eligibility_zh=eligibility_zh or "",
        opens_on=opens_on,
        closes_at=closes_at,
        hours_pool=hours_pool,
        accelerator_type=accelerator_type,
        site=site,
        grant_starts_on=grant_starts_on,
        grant_ends_on=grant_ends_on,
        reviews_per_application=reviews_per_application,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    question_rows = _clean_rows(questions, QUESTION_FIELDS, QUESTION_DEFAULTS)
    criterion_rows = _clean_rows(criteria, CRITERION_FIELDS, CRITERION_DEFAULTS)
    _check_call(call, question_rows, criterion_rows)
    call.save()
    _sync_rows(call, Question, question_rows, QUESTION_FIELDS, "answers")
    _sync_rows(call, Criterion, criterion_rows, CRITERION_FIELDS, "scores")
    call.panel.set(list(panel))
    audit_record(actor=actor, instance=call, action="create", after=_call_snapshot(call))
    return call


@transaction.atomic
def call_update(*, actor, call: Call, **changes) -> Call:
    """Change a call's fields and, when given, its questions, rubric and panel.

    Questions and criteria are lists of dicts as for `call_create`; a dict with an "id" of
    the call's changes that row. A call with applications keeps its kind.
    """
    call = Call.objects.select_for_update().get(pk=call.pk)
    before = _call_snapshot(call)
    unknown = set(changes) - {*CALL_FIELDS, "questions", "criteria", "panel"}
    if unknown:
        raise ApplicationError(
            _("A call has no field %(names)s.") % {"names": ", ".join(sorted(unknown))}
        )
    if "kind" in changes and changes["kind"] != call.kind and call.applications.exists():
        message = _("This call has applications: its kind can no longer change.")
        raise ApplicationError(message, field_errors={"kind": [message]})
    for name in CALL_FIELDS:
        if name in changes:
            value = changes[name]
            setattr(call, name, value.strip() if name in ("title", "title_zh") else value)
    question_rows = (
        _clean_rows(changes["questions"], QUESTION_FIELDS, QUESTION_DEFAULTS)
        if "questions" in changes
        else None
    )
    criterion_rows = (
        _clean_rows(changes["criteria"], CRITERION_FIELDS, CRITERION_DEFAULTS)
        if "criteria" in changes
        else None
    )
    _check_call(call, question_rows, criterion_rows)
    if call.is_published and criterion_rows is not None and not criterion_rows:
        message = _("A published call needs at least one criterion in its rubric.")
        raise ApplicationError(message, field_errors={"criteria": [message]})
    call.save()
    if question_rows is not None:
        _sync_rows(call, Question, question_rows, QUESTION_FIELDS, "answers")
    if criterion_rows is not None:
        _sync_rows(call, Criterion, criterion_rows, CRITERION_FIELDS, "scores")
    if "panel" in changes:
        call.panel.set(list(changes["panel"]))
    audit_record(
        actor=actor, instance=call, action="update", before=before, after=_call_snapshot(call)
    )
    return call


@transaction.atomic
def call_publish(*, actor, call: Call, published: bool = True) -> Call:
    """Publish (the call page becomes public) or withdraw the call; a second click is a no-op."""
    if published and not call.criteria.exists():
        raise ApplicationError(
            _("Give the call a rubric (at least one criterion) before publishing it."),
            code="no_rubric",
        )
    changed = Call.objects.filter(pk=call.pk, is_published=not published).update(
        is_published=published
    )
    call.refresh_from_db()
    if changed:
        audit_record(
            actor=actor,
            instance=call,
            action="publish" if published else "unpublish",
            before={"is_published": not published},
            after={"is_published": published},
        )
    return call
