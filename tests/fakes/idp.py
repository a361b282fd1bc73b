"""A SAML identity provider for tests, as Okta or Entra ID behave towards Burrow: it reads the AuthnRequest
Burrow redirects to it and answers with a SAML response signed by its own throwaway RSA key (through
python3-saml's signing helper, i.e. xmlsec), whose certificate a test stores as the domain's
`saml_x509_cert`.

Every part of the answer a test may need to get wrong on purpose is a parameter: audience, Destination,
Recipient, time window, InResponseTo, what is signed and with which key, the assertion's ID."""

import base64
import datetime as dt
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree
from onelogin.saml2.constants import OneLogin_Saml2_Constants as Constants
from onelogin.saml2.utils import OneLogin_Saml2_Utils

from tests.fakes.tls import certificate_pem, self_signed

SAMLP = Constants.NS_SAMLP
SAML = Constants.NS_SAML
BEARER = Constants.CM_BEARER
EMAIL_CLAIM = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"


@dataclass(frozen=True)
class AuthnRequest:
    """What Burrow asked for, decoded from the HTTP-Redirect binding."""

    id: str
    issuer: str
    acs_url: str
    destination: str
    relay_state: str
    xml: etree._Element


def _time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _element(parent, namespace: str, tag: str, text: str | None = None, **attributes: str):
    element = etree.SubElement(parent, f"{{{namespace}}}{tag}", {k: v for k, v in attributes.items() if v})
    if text is not None:
        element.text = text
    return element


class FakeIdP:
    def __init__(
        self,
        entity_id: str = "https://idp.example.test/app/burrow",
        sso_url: str = "https://idp.example.test/sso/saml",
    ) -> None:
        self.entity_id = entity_id
        self.sso_url = sso_url
        certificate, key = self_signed("idp.example.test", key=rsa.generate_private_key(65537, 2048))
        self.cert_pem = certificate_pem(certificate)
        self.key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()

    def read_request(self, location: str) -> AuthnRequest:
        """The AuthnRequest in a redirect to this IdP's SSO URL (`Location` of Burrow's answer)."""
        parts = urlsplit(location)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == self.sso_url, location
        query = parse_qs(parts.query)
        xml = etree.fromstring(OneLogin_Saml2_Utils.decode_base64_and_inflate(query["SAMLRequest"][0]))
        assert xml.tag == f"{{{SAMLP}}}AuthnRequest", etree.tostring(xml)
        return AuthnRequest(
            id=xml.get("ID"),
            issuer=xml.findtext(f"{{{SAML}}}Issuer"),
            acs_url=xml.get("AssertionConsumerServiceURL"),
            destination=xml.get("Destination"),
            relay_state=query.get("RelayState", [""])[0],
            xml=xml,
        )

    def response(
        self,
        *,
        audience: str | None,
        acs_url: str,
        email: str | None = None,
        name_id: str | None = None,
        attributes: dict[str, str] | None = None,
        in_response_to: str | None = None,
        destination: str | None = "",
        recipient: str | None = "",
        issuer: str | None = None,
        assertion_id: str | None = None,
        now: dt.datetime | None = None,
        lifetime: dt.timedelta = dt.timedelta(minutes=5),
        sign_assertion: bool = True,
        sign_response: bool = False,
        signer: "FakeIdP | None" = None,
        tamper: tuple[str, str] | None = None,
        sha1: bool = False,
        confirmation_expiry: bool = True,
    ) -> str:
        """A base64 SAML response, as the IdP's page posts it to the ACS. `destination`/`recipient` default to
        `acs_url` ("" = default, None = left out); `email` goes into the `emailaddress` claim and, unless
        `name_id` is given, the NameID; `signer` signs instead of this IdP; `tamper` = (old, new) replaces
        text in the XML after signing; `sha1` signs with RSA-SHA1 and SHA-1 digests, as old set-ups do; `confirmation_expiry=False` leaves out the
        subject confirmation's NotOnOrAfter."""
        now = now or dt.datetime.now(dt.UTC)
        signer = signer or self
        destination = acs_url if destination == "" else destination
        recipient = acs_url if recipient == "" else recipient
        issuer = issuer or self.entity_id
        attributes = dict(attributes or {})
        if email is not None:
            attributes.setdefault(EMAIL_CLAIM, email)

        assertion = etree.Element(
            f"{{{SAML}}}Assertion",
            {"ID": assertion_id or f"_a{uuid.uuid4().hex}", "Version": "2.0", "IssueInstant": _time(now)},
            nsmap={"saml": SAML},
        )
        _element(assertion, SAML, "Issuer", issuer)
        subject = _element(assertion, SAML, "Subject")
        _element(subject, SAML, "NameID", name_id or email or "", Format=Constants.NAMEID_EMAIL_ADDRESS)
        confirmation = _element(subject, SAML, "SubjectConfirmation", Method=BEARER)
        _element(
            confirmation,
            SAML,
            "SubjectConfirmationData",
            InResponseTo=in_response_to,
            NotOnOrAfter=_time(now + lifetime) if confirmation_expiry else None,
            Recipient=recipient,
        )
        conditions = _element(
            assertion,
            SAML,
            "Conditions",
            NotBefore=_time(now - dt.timedelta(seconds=30)),
            NotOnOrAfter=_time(now + lifetime),
        )
        if audience is not None:
            _element(_element(conditions, SAML, "AudienceRestriction"), SAML, "Audience", audience)
        statement = _element(
            assertion, SAML, "AuthnStatement", AuthnInstant=_time(now), SessionIndex=f"_s{uuid.uuid4().hex}"
        )
        _element(
            _element(statement, SAML, "AuthnContext"),
            SAML,
            "AuthnContextClassRef",
            Constants.AC_PASSWORD_PROTECTED,
        )
        if attributes:
            attribute_statement = _element(assertion, SAML, "AttributeStatement")
            for name, value in attributes.items():
                _element(
                    _element(attribute_statement, SAML, "Attribute", Name=name), SAML, "AttributeValue", value
                )
        if sign_assertion:
            assertion = etree.fromstring(signer._sign(assertion, sha1))

        response = etree.Element(
            f"{{{SAMLP}}}Response",
            {
                "ID": f"_r{uuid.uuid4().hex}",
                "Version": "2.0",
                "IssueInstant": _time(now),
                **({"Destination": destination} if destination else {}),
                **({"InResponseTo": in_response_to} if in_response_to else {}),
            },
            nsmap={"samlp": SAMLP, "saml": SAML},
        )
        _element(response, SAML, "Issuer", issuer)
        _element(_element(response, SAMLP, "Status"), SAMLP, "StatusCode", Value=Constants.STATUS_SUCCESS)
        response.append(assertion)
        xml = signer._sign(response, sha1) if sign_response else etree.tostring(response)
        if tamper:
            assert tamper[0].encode() in xml, tamper
            xml = xml.replace(tamper[0].encode(), tamper[1].encode())
        return base64.b64encode(xml).decode()

    def _sign(self, element, sha1: bool = False) -> bytes:
        """The element with an enveloped RSA signature after its Issuer, as IdPs place it."""
        algorithms = (
            (Constants.RSA_SHA1, Constants.SHA1) if sha1 else (Constants.RSA_SHA256, Constants.SHA256)
        )
        signed = OneLogin_Saml2_Utils.add_sign(element, self.key_pem, self.cert_pem, *(False, *algorithms))
        return signed if isinstance(signed, bytes) else signed.encode()
