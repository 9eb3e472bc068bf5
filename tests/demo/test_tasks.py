"""The demo's background demand is scheduled by beat only when DEMO_DEMAND is on."""

from types import SimpleNamespace

from innovation_center.celery import app, beat_schedule, demo_demand_schedule


def test_it_is_not_scheduled_by_default():
    # The tests run with DEMO_DEMAND unset, as production does.
    assert "demo-demand" not in app.conf.beat_schedule
    assert set(app.conf.beat_schedule) == set(beat_schedule())


def test_it_is_scheduled_every_twenty_seconds_when_the_setting_is_on(settings):
    settings.DEMO_DEMAND = True
    sender = SimpleNamespace(conf=SimpleNamespace())
    demo_demand_schedule(sender=sender)  # what Celery runs once it has read the settings
    entry = sender.conf.beat_schedule["demo-demand"]
    assert entry["task"] == "innovation_center.demo.tasks.demand_submit"
    assert entry["schedule"] == 20.0
    assert 0 < entry["options"]["expires"] < 20
    assert set(sender.conf.beat_schedule) == set(beat_schedule()) | {"demo-demand"}
