from partnerships.authorities.permissions import roles_of
from partnerships.models import Role


def roles(request):
    """The current user's roles, for showing the right menu entries."""
    user_roles = roles_of(getattr(request, "user", None))
    return {
        "user_roles": user_roles,
        "is_staff_role": Role.AUTHORITY_STAFF in user_roles or Role.ADMINISTRATOR in user_roles,
        "is_administrator_role": Role.ADMINISTRATOR in user_roles,
    }
