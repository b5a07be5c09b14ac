"""Benchmarks. Each module has ``run(argv: list[str]) -> dict`` returning one JSON-able dict."""
