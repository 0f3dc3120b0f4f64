"""Optional integrations with agent frameworks; each imports its framework only when used."""
