"""Small helpers every view uses to authorise a request."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from partnerships.authorities.permissions import roles_of


def role_required(view):
    """Logged in and holding at least one registry role; anyone else gets 403."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not roles_of(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
