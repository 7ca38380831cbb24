"""The machine a run measured on: the fingerprint, host facts, redaction of what is published."""
