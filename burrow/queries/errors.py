"""What goes wrong with a data source or a query, in words safe to show the tenant: the database's own
message, never a credential or another source's host."""


class QueryError(Exception):
    """A refused or failed query or connection; `code` is the error envelope's code."""

    code = "invalid_input"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class SourceRefused(QueryError):
    """The source's URL or host is not allowed (checked when saved and again when connecting)."""

    code = "data_source_refused"


class SourceUnavailable(QueryError):
    """Connecting failed: refused, authentication, timeout, TLS."""

    code = "data_source_unavailable"


class TooManyQueries(Exception):
    """The environment already runs its maximum of concurrent queries."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many queries are running for this project; try again shortly.")
        self.retry_after = retry_after
