import secrets
from typing import Any

from django.contrib.sessions.models import Session
from django.utils import timezone

from linli.members.models import ApiToken


def api_token_create(*, user: Any, name: str) -> str:
    """Issue a bearer token; the clear text is returned once and never stored."""
    import hashlib

    token = secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=user, name=name, key_sha256=hashlib.sha256(token.encode()).hexdigest()
    )
    return token


def api_tokens_revoke(*, user: Any, keep_token_id: int | None = None) -> int:
    """Revoke the user's bearer tokens but the one asking (a lost phone: the mini-program
    token on it must stop working). Tokens carry no scope (member vs. merchant till), so
    all of the user's tokens go, a cashier's too; the caller is told how many."""
    tokens = ApiToken.objects.filter(user=user)
    if keep_token_id is not None:
        tokens = tokens.exclude(pk=keep_token_id)
    revoked, _ = tokens.delete()
    return revoked


def sessions_end(*, user: Any, keep_session_key: str | None = None) -> int:
    """Log the user out on every device but the one asking (a lost phone, a closed account):
    their other web sessions are deleted. Sessions do not index their user, so the live
    ones are read; this runs only on those rare requests."""
    ended = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.session_key == keep_session_key:
            continue
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            ended.append(session.session_key)
    Session.objects.filter(session_key__in=ended).delete()
    return len(ended)
