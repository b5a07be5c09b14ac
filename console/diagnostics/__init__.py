"""Checks a build runs on itself (``python -m console selftest``)."""
