"""SAML sign-in with the identity provider configured on a verified domain, with just-in-time provisioning."""
