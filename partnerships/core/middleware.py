"""Request checks that apply to every page."""

from django.core.exceptions import BadRequest


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
