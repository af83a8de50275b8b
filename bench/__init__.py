"""The national-scale benchmark (docs/product.md §9, `make bench`).

`python -m bench` creates a dedicated PostgreSQL database, loads a realistic data set into it with
COPY (`bench.load`), then measures the pages under gunicorn with a bounded load tool, the SLA
sweep and the monthly TPP sanctions, and the query count of every page (`bench.measure`), and
writes `docs/benchmarks.md`. Nothing here is imported by the portal itself; `bench.settings` and
`bench.urls` only add a trivial view (the baseline) on top of the production settings.
"""
