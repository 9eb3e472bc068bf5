"""Calls: created with their questions, rubric and panel; published; open by the center's clock."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from innovation_center.accounts.models import AuditEvent
from innovation_center.core.errors import ApplicationError
from innovation_center.programs import selectors, services
from innovation_center.programs.models import Answer, Call, Criterion, Question
from tests.programs.call_factories import DEADLINE, FROZEN, judge, make_call, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(FROZEN, tick=False):
        yield


def test_it_creates_a_call_with_its_questions_rubric_and_panel(staff):
    panel = [judge("judge1"), judge("judge2")]
    call = make_call(staff=staff, panel=panel, published=False)
    assert not call.is_published
    assert [q.text for q in call.questions.all()] == ["What do you build?", "Anything else?"]
    assert [(c.name, c.weight, c.order) for c in call.criteria.all()] == [
        ("Team", Decimal("1.00"), 0),
        ("Market", Decimal("3.00"), 1),
    ]
    assert set(call.panel.all()) == set(panel)
    assert AuditEvent.objects.filter(action="create", object_id=str(call.pk)).exists()


def test_it_refuses_a_grant_call_without_pool_or_period_and_stores_nothing(staff):
    with pytest.raises(ApplicationError) as refused:
        services.call_create(
            actor=staff,
            kind=Call.Kind.COMPUTE_GRANT,
            slug="grants",
            title="Grants",
            text="Hours.",
            opens_on=FROZEN.date(),
            closes_at=DEADLINE,
            criteria=[{"name": "Need"}],
        )
    assert {"hours_pool", "accelerator_type", "grant_starts_on"} <= set(refused.value.field_errors)
    assert not Call.objects.exists() and not Criterion.objects.exists()


def test_it_refuses_a_deadline_before_the_opening_day(staff):
    with pytest.raises(ApplicationError) as refused:
        make_call(staff=staff, opens_on=dt.date(2026, 4, 1))
    assert "closes_at" in refused.value.field_errors


def test_it_changes_questions_in_place_and_keeps_answered_ones(staff, company, owner):
    call = make_call(staff=staff)
    first, second = call.questions.all()
    services.call_update(
        actor=staff,
        call=call,
        questions=[
            {"id": first.pk, "text": "What do you build, exactly?", "required": True},
            {"text": "Who are your customers?", "required": False},
        ],
    )
    assert [(q.pk == first.pk, q.text) for q in call.questions.all()] == [
        (True, "What do you build, exactly?"),
        (False, "Who are your customers?"),
    ]
    assert not Question.objects.filter(pk=second.pk).exists()
    submitted(call, company, owner)
    assert Answer.objects.filter(question=first).exists()
    with pytest.raises(ApplicationError, match="cannot be removed"):
        services.call_update(actor=staff, call=call, questions=[{"text": "Only this"}])
    assert Question.objects.filter(pk=first.pk).exists()


def test_it_publishes_only_a_call_with_a_rubric_and_twice_is_once(staff):
    bare = make_call(staff=staff, slug="bare", criteria=[], published=False)
    with pytest.raises(ApplicationError, match="rubric"):
        services.call_publish(actor=staff, call=bare)
    call = make_call(staff=staff, published=False)
    services.call_publish(actor=staff, call=call)
    services.call_publish(actor=staff, call=call)
    assert Call.objects.get(pk=call.pk).is_published
    assert AuditEvent.objects.filter(action="publish", object_id=str(call.pk)).count() == 1
    services.call_publish(actor=staff, call=call, published=False)
    assert not Call.objects.get(pk=call.pk).is_published


def test_open_calls_are_published_opened_and_before_their_deadline(staff):
    open_call = make_call(staff=staff, slug="open")
    make_call(staff=staff, slug="draft", published=False)
    make_call(staff=staff, slug="later", opens_on=dt.date(2026, 3, 3))
    make_call(
        staff=staff,
        slug="closing",
        closes_at=FROZEN + dt.timedelta(seconds=1),
        opens_on=FROZEN.date(),
    )
    assert [c.slug for c in selectors.open_calls()] == ["closing", "open"]
    with time_machine.travel(FROZEN + dt.timedelta(seconds=1), tick=False):
        assert [c.slug for c in selectors.open_calls()] == ["open"]
    with time_machine.travel(FROZEN + dt.timedelta(days=1), tick=False):
        assert [c.slug for c in selectors.open_calls()] == ["open", "later"]
    assert open_call in selectors.open_calls()
