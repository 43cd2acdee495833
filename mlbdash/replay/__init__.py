"""The recorded-MLB server: game timelines in virtual time, HTTP endpoints, fault injection."""
