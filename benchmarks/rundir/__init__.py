"""The run directory: its file names, how its files are written and read, and their schemas."""
