"""The machine a run measured on: the fingerprint, host facts, and redaction of what is published."""
