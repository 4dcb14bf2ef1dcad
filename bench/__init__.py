"""Manual benchmarks (not part of `make test`); see bench/README.md."""
