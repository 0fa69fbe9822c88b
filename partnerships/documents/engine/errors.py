from partnerships.core.errors import RegistryError


class DocumentError(RegistryError):
    """A document step that failed; `message` says why, in words the user can act on."""
