"""The one base of every error a user can act on.

Services raise a subclass of `RegistryError` whose `message` says, in the user's language, what
went wrong and what to do; views turn it into a message beside the form. One type per thing
that can go wrong, so callers test the type, never the wording. Plain Python on purpose: the
byte-level engines (`documents.engine`, `signing.pdf`) raise these too without importing Django.
"""


class RegistryError(Exception):
    """Something the user asked for cannot be done; `message` says why.

    Most errors are raised with their message. Some keep codes and put them into words only
    when shown, in the reader's language (`PlacementError`, `ImportRefused`): they override
    the `message` property and pass a short code to `__init__` instead.
    """

    def __init__(self, message=""):
        super().__init__(str(message))
        self._message = message

    @property
    def message(self):
        return self._message
