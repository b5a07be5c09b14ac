"""The ingest bridge: IoT platforms' pushes (CTWing, OneNET, IoTDA, a vendor's MQTT) -> bus v1."""
