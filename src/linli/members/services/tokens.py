import secrets
from typing import Any

from linli.members.models import ApiToken


def api_token_create(*, user: Any, name: str) -> str:
    """Issue a bearer token; the clear text is returned once and never stored."""
    import hashlib

    token = secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=user, name=name, key_sha256=hashlib.sha256(token.encode()).hexdigest()
    )
    return token
