"""Benchmarks: each script prints figures and asserts nothing about speed (`make bench`)."""
