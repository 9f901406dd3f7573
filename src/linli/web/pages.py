"""Small helpers every app's page views share (one home instead of a copy per app)."""

from django.http import Http404
from django.utils.translation import get_language

from linli.communities.models import Community
from linli.communities.selectors import community_get
from linli.errors import DomainError


def community_or_404(slug: str) -> Community:
    """The community of a page URL; an unknown or malformed slug is a plain 404."""
    try:
        return community_get(slug=slug)
    except DomainError:
        raise Http404 from None


def error_message(error: DomainError) -> str:
    """A refusal's message in the reader's language, for a page (zh-hans by default)."""
    return error.render(get_language() or "zh-hans")
