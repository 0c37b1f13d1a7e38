class BusinessError(Exception):
    """A rule of the business refused the action; the message is for the user."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message

    def __str__(self):
        return str(self.message)
