"""The TensorFlow side: the worker process, its timing loop, the modes and the workloads."""
