"""Fakes for hardware and engines this machine lacks, behind the real adapters' interfaces."""
