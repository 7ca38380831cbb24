"""The TensorFlow side: the worker process, its timing loop, the execution modes and the workloads."""
