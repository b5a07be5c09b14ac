"""Guardian Console (守护台): the duty officer's seat in the elderly-safety alarm system."""

__version__ = "0.1.0"
