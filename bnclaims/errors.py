"""The one exception type that means "the user asked for something invalid" (CLI exit code 2)."""


class BadInput(ValueError):
    """Invalid input from a user: unknown id or level, batch size 1, eps < 0, a NaN in a batch.

    The CLI turns it into a one-line message and exit code 2; library callers get a
    ``ValueError`` subclass they can catch.
    """
