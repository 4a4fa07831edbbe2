"""Keys, certificates and trust: the development PKI and its services,
credentials held by the hub, and the trust anchors of validation."""
