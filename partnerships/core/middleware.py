"""Request checks that apply to every page."""

from django.conf import settings
from django.core.exceptions import BadRequest
from django.shortcuts import render


class RefuseNulCharacters:
    """Answer 400 to a query string or form field holding a NUL character.

    No person types one, PostgreSQL refuses to store or compare it (a server error wherever a
    value reaches a query), and Django's form fields refuse it, but not the values views read
    directly. Placed after the CSRF middleware, which has already parsed any form body, so
    this reads nothing more; uploaded files themselves are not looked at.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        values = list(request.GET.lists())
        if request.method == "POST":
            values += list(request.POST.lists())
        for key, items in values:
            if "\x00" in key or any("\x00" in item for item in items):
                raise BadRequest("A NUL character in the request.")
        return self.get_response(request)


class RefuseOversizedBodies:
    """Answer 413, unread, to a body announced larger than MAX_REQUEST_BODY_MB.

    Django stores an uploaded file (in memory, then in a temporary file) as soon as anything
    reads the form, and the CSRF check reads it before any view can look at the file's size:
    without this, anyone could fill the server's disk through a public upload form. The
    limit is above every form's own (a file a little too large still gets that form's
    message beside it). Placed before every middleware that reads the body.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit_mb = settings.MAX_REQUEST_BODY_MB
        try:
            announced = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            announced = 0
        if announced > limit_mb * 1024 * 1024:
            return render(request, "413.html", {"size": limit_mb}, status=413)
        return self.get_response(request)
