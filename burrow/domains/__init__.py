"""Organization domains: proving an organization owns an e-mail domain (DNS TXT challenge), and the
identity settings that hang off a verified domain (just-in-time provisioning, SSO enforcement, SAML, SCIM)."""
