"""Benchmarks (not tests): each prints its figures and a ratio to a baseline measured in the same run."""
