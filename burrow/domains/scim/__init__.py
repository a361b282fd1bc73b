"""SCIM 2.0 server (RFC 7643/7644) at each domain's `scim_base_url`, authenticated by the domain's token."""
