"""What a provider call can fail with. `http.py` raises them for transport faults, provider modules for
answers they refuse, and `provider_errors.py` turns each into the API error people see."""


class ProviderError(Exception):
    """A provider call failed; `provider` is its display name ("Linear"), `message` says what happened
    without any secret in it."""

    def __init__(self, provider: str, message: str) -> None:
        super().__init__(message)
        self.provider = provider
        self.message = message


class ProviderUnavailable(ProviderError):
    """Unreachable, too slow, a 5xx, an answer too large or not understood: trying again later may help.
    `message` completes a sentence that starts with the provider's name ("could not be reached")."""


class ProviderUnauthorized(ProviderError):
    """The provider no longer accepts the stored credentials (401): the integration needs reconnecting."""


class ProviderForbidden(ProviderError):
    """The credentials work but lack a permission for this resource (403)."""


class ProviderRejected(ProviderError):
    """The provider refused what was asked (a spent OAuth code, a refresh token it no longer honours, bad
    credentials at connect time); `message` is a whole sentence, shown to the user as is."""
