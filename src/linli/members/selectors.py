import hashlib
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from linli.members.models import ApiToken, Member


def user_for_api_token(*, token: str) -> AbstractBaseUser | None:
    digest = hashlib.sha256(token.encode()).hexdigest()
    found = ApiToken.objects.select_related("user").filter(key_sha256=digest).first()
    if found is None or not found.user.is_active:
        return None
    return found.user


def member_for_user(*, user: Any) -> Member | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Member.objects.select_related("community").filter(user=user).first()
