"""Sending from a verified sender domain (`providers/email.py` makes its key and records and checks them):
report mails of subscriptions that chose the domain leave from it, DKIM-signed (`sender_for`, `sign`)."""

from dataclasses import dataclass
from email.utils import formataddr

import dkim

from burrow.integrations.models import Integration

BOUNCE_LOCAL_PART = "bounces"


# Sending


@dataclass(frozen=True)
class Sender:
    """How a mail leaves from a verified sender domain: the From header, the SMTP envelope sender (on the
    SPF-published bounce subdomain) and the DKIM key that signs it."""

    from_header: str
    envelope_from: str
    domain: str
    selector: str
    private_key: bytes


def sender_for(integration: Integration | None) -> Sender | None:
    """The sender of a verified `email` integration; None (send from BURROW_EMAIL_FROM) otherwise."""
    if integration is None or integration.kind != Integration.Kind.EMAIL:
        return None
    config = integration.config or {}
    pem = (integration.sensitive_config or {}).get("dkim_private_key")
    if not config.get("verified") or not pem:
        return None
    return Sender(
        from_header=formataddr((config.get("from_name") or "", config["email"])),
        envelope_from=f"{BOUNCE_LOCAL_PART}@{config['mail_from_subdomain']}.{config['domain']}",
        domain=config["domain"],
        selector=config["dkim_selector"],
        private_key=pem.encode(),
    )


# RFC 8058 §4: a one-click unsubscribe header must be covered by the signature; dkimpy's defaults omit it.
EXTRA_SIGNED_HEADERS = (b"list-unsubscribe-post",)


def sign(message: bytes, sender: Sender) -> bytes:
    """`message` (CRLF line ends) with a DKIM-Signature header (rsa-sha256, relaxed/relaxed) in front."""
    signer = dkim.DKIM(message, linesep=b"\r\n")
    headers = signer.default_sign_headers()
    present = {name.lower() for name, _ in signer.headers}
    headers += [h for h in EXTRA_SIGNED_HEADERS if h in present and h not in headers]
    try:
        signature = signer.sign(
            sender.selector.encode(),
            sender.domain.encode(),
            sender.private_key,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=headers,
        )
    except dkim.DKIMException as exc:
        raise ValueError(f"DKIM signing for {sender.domain} failed: {exc}") from None
    return signature + message
