"""Why something is not right, as every check of the signing engine says it."""

from dataclasses import dataclass

from django.utils.functional import lazy


@dataclass(frozen=True)
class Problem:
    """Why something is not right: a stable `code` and a translatable `message`."""

    code: str
    message: object  # a lazy translation; str() gives it in the active language

    def as_dict(self) -> dict:
        return {"code": self.code, "message": str(self.message)}


# A message with its values filled in when it is shown, in the language active then.
interpolate = lazy(lambda message, values: str(message) % values, str)
