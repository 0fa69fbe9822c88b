class DocumentError(Exception):
    """A document step that failed; `message` says why, in words the user can act on."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message
