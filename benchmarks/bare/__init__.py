"""The ceiling for the load benchmark: the autosave's database write behind a bare Django
(no middleware, no session, no auth, no CSRF), served by the same gunicorn, on the same
database, to the same client as the real endpoint (benchmarks/load_bench.py)."""
