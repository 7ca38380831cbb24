"""Running a plan: the run session, the runner, its side of each worker, outcomes, progress."""
