"""The error a what-if change raises when it cannot apply."""


class WhatIfError(ValueError):
    """A change that cannot apply to this Service (the API answers 400 naming `field`)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message
