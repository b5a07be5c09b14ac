"""Provider adapters: one module a provider (console/gateway/provider.py)."""
