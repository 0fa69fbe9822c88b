from partnerships.documents.engine.errors import DocumentError


class SigningError(DocumentError):
    """A signature could not be made or a signer could not be loaded; the message says why."""
