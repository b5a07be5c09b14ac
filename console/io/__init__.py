"""Adapters to the outside world: bus, broker, store, notifications, register import."""
