"""The notification gateway (``python -m console gateway``): notification requests from the bus
to SMS and voice providers, their receipts and the field's replies back to the bus."""
