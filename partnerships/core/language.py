"""The language of each page: Vietnamese, unless the reader chose English.

Django's LocaleMiddleware falls back on the browser's Accept-Language header, so a browser set
to English got English on the first visit to a Vietnamese registry. Here only an explicit
choice counts: the language cookie set by the language buttons (Django's `set_language` view).
Without one, every page is in LANGUAGE_CODE.
"""

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers


def chosen_language(request) -> str:
    """The language the reader chose with the language buttons, else the registry's default."""
    choice = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    try:
        return translation.get_supported_language_variant(choice)
    except LookupError:
        return settings.LANGUAGE_CODE


class ChosenLanguage:
    """Activate the chosen language for the request (in place of LocaleMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = chosen_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        # The same address answers in either language, by cookie: caches must keep them apart.
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response
