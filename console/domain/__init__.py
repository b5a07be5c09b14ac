"""Pure domain: standard library and msgspec only. No Qt, no IO, no clock reads."""
