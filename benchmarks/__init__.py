"""Coldstart benchmarks: `make bench` (python -m benchmarks). See BENCHMARKS.md."""
