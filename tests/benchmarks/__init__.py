"""Benchmarks: each prints the figure an issue names and its ratio against the comparison it names."""
