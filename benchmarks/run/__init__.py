"""Running a plan: the session a `run` command drives, the runner, its side of each worker, outcomes."""
