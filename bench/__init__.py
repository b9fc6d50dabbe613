"""Benchmarks: figures to read, never assertions (see bench/README.md)."""
