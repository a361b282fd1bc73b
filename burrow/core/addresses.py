"""One spelling per e-mail address and per domain, the same on every database.

An address is compared by its key: the local part in Unicode NFKC, case-folded; the domain through IDNA
(UTS #46 mapping) in its lower-case ASCII form. So `Bob@TSINC.example`, `bob@tſinc.example` (long s),
`bob@ｔｓｉｎｃ.example` (fullwidth) and `boB@tsinc.example` are one address, and the Kelvin sign (U+212A) is `k`.
A dotless `ı` stays what IDNA says it is: `tsınc.example` is another domain (`xn--tsnc-mza.example`), so
it is another address, never the account at `tsinc.example`. The key is stored (`User.email_key`, unique)
and every look-up uses it, never the database's own case-insensitive compare, which differs between SQLite
and PostgreSQL (PostgreSQL folds `ſ` to `S` and `ı` to `I`)."""

import unicodedata

import idna

# Longer than any key of an address of at most 254 characters: case folding and NFKC may lengthen text.
MAX_KEY_LENGTH = 1024
INVALID_ADDRESS = "Enter a valid email address."


class InvalidAddress(ValueError):
    """Not an address a key can be made of: no `@`, an empty local part, or a domain IDNA refuses."""

    def __init__(self, address: str) -> None:
        super().__init__(f"{INVALID_ADDRESS} ({address!r})")
        self.address = address


def domain_key(domain: str) -> str:
    """The domain in its IDNA (punycode) form, lower-case, without a trailing dot: `Bücher.DE` →
    `xn--bcher-kva.de`, `tſinc.example` → `tsinc.example`. InvalidAddress for what IDNA refuses."""
    text = unicodedata.normalize("NFKC", (domain or "").strip())
    try:
        # UTS #46 maps full stops such as `。` to `.`, so the trailing dot of a rooted name is removed after.
        ascii_form = idna.encode(text, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError):
        raise InvalidAddress(domain) from None
    ascii_form = ascii_form.removesuffix(".")
    if not ascii_form or ascii_form.endswith("."):
        raise InvalidAddress(domain)
    return ascii_form


def address_domain(email: str) -> str:
    """The address's domain in its IDNA form (see `domain_key`); InvalidAddress when it has none."""
    return _split(email)[1]


def address_key(email: str) -> str:
    """The one spelling the address is stored and compared in: NFKC + case-folded local part, IDNA domain."""
    local, domain = _split(email)
    key = f"{unicodedata.normalize('NFKC', local).casefold()}@{domain}"
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidAddress(email)
    return key


def _split(email: str) -> tuple[str, str]:
    # NFKC first so that a fullwidth `＠` separates as `@` does.
    text = unicodedata.normalize("NFKC", (email or "").strip())
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain:
        raise InvalidAddress(email)
    try:
        return local, domain_key(domain)
    except InvalidAddress:
        raise InvalidAddress(email) from None
