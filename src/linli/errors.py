"""Typed domain errors: a stable machine code, an HTTP status, a message in zh-hans and en.

Services raise these; the API and the pages turn them into a 4xx with both messages. A
message is a lazy translation with `%(name)s` placeholders filled from `params`, so no
user-facing text is ever built by concatenation.
"""

from typing import Any, ClassVar

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

MESSAGE_LANGUAGES = ("zh-hans", "en")


class DomainError(Exception):
    code: ClassVar[str] = "invalid_request"
    status: ClassVar[int] = 400
    message: ClassVar[Promise | str] = _("The request cannot be carried out.")

    def __init__(self, message: Promise | str | None = None, **params: Any) -> None:
        self.params = params
        self.text = message if message is not None else self.message
        super().__init__(self.render("en"))

    def render(self, language: str) -> str:
        with translation.override(language):
            text = str(self.text)
        try:
            return text % self.params if self.params else text
        except (KeyError, TypeError, ValueError):
            return text

    def as_payload(self) -> dict[str, Any]:
        return error_payload(
            self.code, {lang: self.render(lang) for lang in MESSAGE_LANGUAGES}, self.params
        )


def error_payload(code: str, messages: dict[str, str], detail: Any = None) -> dict[str, Any]:
    payload: dict[str, Any] = {"code": code, "message": messages}
    if detail:
        payload["detail"] = detail
    return payload


def translated(text: Promise | str) -> dict[str, str]:
    """A lazy message rendered in every language we answer in."""
    result = {}
    for lang in MESSAGE_LANGUAGES:
        with translation.override(lang):
            result[lang] = str(text)
    return result


class NotFound(DomainError):
    code = "not_found"
    status = 404
    message = _("Not found, or not yours to see.")


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
    message = _("You are not allowed to do this.")


class Conflict(DomainError):
    code = "conflict"
    status = 409
    message = _("This conflicts with an earlier request.")
