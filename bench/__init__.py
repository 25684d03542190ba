"""Benchmarks at the scale of a county-level city; ``make bench`` runs ``bench/run.py``."""
