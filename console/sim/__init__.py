"""Simulators that stand for the outside world: district register, devices, SMS gateway."""
