"""One adapter per IoT platform: its documented push shapes and its verification."""
