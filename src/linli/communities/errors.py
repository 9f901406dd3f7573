"""Domain errors of the communities app: stable codes the API and pages show."""

from django.utils.translation import gettext_lazy as _

from linli.errors import Conflict, DomainError, NotFound


class CommunityInvalid(DomainError):
    code = "community_invalid"
    status = 400
    message = _("The community's details are not valid.")


class SlugTaken(Conflict):
    code = "slug_taken"
    message = _("Another community already uses the short name “%(slug)s”.")


class UnknownPreset(DomainError):
    code = "unknown_preset"
    status = 400
    message = _("There is no policy preset called “%(preset)s”.")


class PolicyInvalid(DomainError):
    code = "policy_invalid"
    status = 400
    message = _("The policy change is not valid; nothing was changed.")


class PolicyMissing(NotFound):
    code = "policy_missing"
    message = _("This community has no policy in force at that time.")


class PolicyConflict(Conflict):
    code = "policy_conflict"
    message = _("Another policy version was created at the same moment; please try again.")


class NameTaken(Conflict):
    code = "name_taken"
    message = _("The name “%(name)s” is already used here.")


class GeographyInvalid(DomainError):
    code = "geography_invalid"
    status = 400
    message = _("The name is missing, too long, or belongs to another community.")


class RoleInvalid(DomainError):
    code = "role_invalid"
    status = 400
    message = _("There is no role called “%(role)s”.")


class LastOperator(Conflict):
    code = "last_operator"
    message = _("A community needs at least one operator; grant another one first.")
