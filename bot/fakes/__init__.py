"""Stand-ins for the connectors' targets (a CRM, a webhook receiver, an SMTP server): the sandbox and the tests."""
