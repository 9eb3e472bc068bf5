from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext as _

from innovation_center.accounts.models import ApiToken, AuditEvent, Organisation
from innovation_center.core import clock

# The shown prefix of a key, to tell tokens apart in a list (it reveals too little to guess).
TOKEN_PREFIX_LENGTH = 8


def _jsonable(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return str(value)
    return value


def model_snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict:
    """The concrete field values of `instance` as JSON-ready data, for before/after history."""
    names = fields or [
        f.attname for f in instance._meta.concrete_fields if f.name not in {"id", "updated_at"}
    ]
    return {name: _jsonable(getattr(instance, name)) for name in names}


def audit_record(
    *,
    actor,
    instance: models.Model,
    action: str,
    before: dict | None = None,
    after: dict | None = None,
    organisation: Organisation | None = None,
) -> AuditEvent:
    """Append one history row; only changed fields are kept when both sides are given."""
    before = dict(before or {})
    after = dict(after or {})
    if before and after:
        changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
        before = {k: v for k, v in before.items() if k in changed}
        after = {k: v for k, v in after.items() if k in changed}
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        content_type=ContentType.objects.get_for_model(instance),
        object_id=str(instance.pk),
        object_repr=str(instance)[:200],
        organisation=organisation,
        before=before,
        after=after,
    )


def api_token_issue(*, user, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`; returns the row and the key, which is never stored."""
    key = ApiToken.new_key()
    token = ApiToken.objects.create(
        user=user,
        name=(name or "").strip()[:100] or _("API token"),
        prefix=key[:TOKEN_PREFIX_LENGTH],
        key_hash=ApiToken.hash_key(key),
    )
    return token, key


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke once; revoking a revoked token keeps its first revocation time."""
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=clock.now())
    token.refresh_from_db()
    return token
