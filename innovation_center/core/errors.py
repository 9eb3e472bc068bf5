"""The one error type that services raise and both pages and the API turn into a message."""

from collections.abc import Mapping


class ApplicationError(Exception):
    """A rule of the domain refused the operation; `message` is shown to the user as is.

    `field_errors` maps a form/serializer field to its messages when the error belongs to
    particular inputs, so the message can be shown next to the field.
    """

    def __init__(
        self, message: str, *, code: str = "invalid", field_errors: Mapping | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field_errors = dict(field_errors or {})
