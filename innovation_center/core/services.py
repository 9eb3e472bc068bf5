"""Write helpers every app's services share: model validation and the edit of listed fields."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeVar

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models

from innovation_center.core.errors import ApplicationError

M = TypeVar("M", bound=models.Model)


def validated(instance: models.Model) -> None:
    """The model's full_clean; its errors become one ApplicationError keyed by field."""
    try:
        instance.full_clean()
    except ValidationError as error:
        field_errors = {
            (None if field == NON_FIELD_ERRORS else field): messages
            for field, messages in error.message_dict.items()
        }
        raise ApplicationError(" ".join(error.messages), field_errors=field_errors) from None


def model_update(*, instance: M, fields: Sequence[str], data: Mapping) -> tuple[M, bool]:
    """Set the listed fields that `data` holds and that differ, validate, save only those.

    Keys of `data` outside `fields` are ignored; a many-to-many field is `set()` after the
    save. Nothing is validated or saved when no field changed. Returns (instance, changed).
    """
    model_fields = {field.name: field for field in instance._meta.get_fields()}
    changed_fields: list[str] = []
    many_to_many: dict = {}
    for name in fields:
        if name not in data:
            continue
        field = model_fields[name]
        if field.many_to_many:
            many_to_many[name] = data[name]
        elif _stored(instance, field) != _as_stored(data[name]):
            setattr(instance, name, data[name])
            changed_fields.append(name)
    if changed_fields:
        validated(instance)
        if "updated_at" in model_fields:
            # auto_now only writes updated_at when the save names it.
            changed_fields.append("updated_at")
        instance.save(update_fields=changed_fields)
    for name, values in many_to_many.items():
        getattr(instance, name).set(values)
    return instance, bool(changed_fields or many_to_many)


def _stored(instance: models.Model, field) -> object:
    # A foreign key compares by its id column: no query for the related row.
    return getattr(instance, field.attname)


def _as_stored(value) -> object:
    return value.pk if isinstance(value, models.Model) else value
