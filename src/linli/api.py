"""The Ninja root at /api/v1/: routers from each app, auth, and one error shape for all."""

from typing import Any

from csp.decorators import csp_exempt
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, SessionAuth

from linli.errors import DomainError, error_payload, translated


class BearerTokenAuth(HttpBearer):
    """`Authorization: Bearer <token>` for POS, mini-program and script clients."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from linli.members.selectors import api_token_find

        found = api_token_find(token=token)
        if found is None:
            return None
        request.user = found.user
        request.api_token_id = found.pk  # type: ignore[attr-defined]
        return found.user


class OptionalSession(SessionAuth):
    """Session auth that lets anonymous callers through to public endpoints."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return super().authenticate(request, key) or True


api = NinjaAPI(
    title="Linli API",
    version="1",
    urls_namespace="api",
    docs_decorator=csp_exempt(),
    auth=[BearerTokenAuth(), SessionAuth()],
)
PUBLIC = [BearerTokenAuth(), OptionalSession()]


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_payload(), status=exc.status)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    detail = [
        {"loc": [str(p) for p in err.get("loc", ())], "msg": str(err.get("msg", ""))}
        for err in exc.errors
    ]
    body = error_payload(
        "invalid_input", translated(_("Some fields are missing or invalid.")), detail
    )
    return api.create_response(request, body, status=422)


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    body = error_payload("unauthenticated", translated(_("Please log in first.")))
    return api.create_response(request, body, status=401)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    body = error_payload(f"http_{exc.status_code}", translated(str(exc)))
    return api.create_response(request, body, status=exc.status_code)


def _register_routers() -> None:
    from linli.commerce.api import router as commerce_router
    from linli.commerce.confirm_api import router as commerce_confirm_router
    from linli.commerce.reports_api import router as commerce_reports_router
    from linli.communities.api import router as communities_router
    from linli.ledger.api import router as ledger_router
    from linli.members.api import router as members_router
    from linli.merchants.api import router as merchants_router
    from linli.merchants.exit_api import router as merchants_exit_router

    api.add_router("/commerce/", commerce_router)
    api.add_router("/commerce/", commerce_reports_router)
    api.add_router("/commerce/", commerce_confirm_router)
    api.add_router("/communities/", communities_router)
    api.add_router("/ledger/", ledger_router)
    api.add_router("/merchants/", merchants_router)
    api.add_router("/merchants/", merchants_exit_router)
    api.add_router("/members/", members_router)


_register_routers()
__all__ = ["PUBLIC", "api"]
