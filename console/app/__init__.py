"""The engine and its ports. No Qt, no SQLAlchemy, no MQTT client here."""
