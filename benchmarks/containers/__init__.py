"""Docker: command lines, the environment passed in, the lock, engine I/O, base images."""
