"""What to measure: the matrix file, its expansion into cases, and the names cases are made of."""
