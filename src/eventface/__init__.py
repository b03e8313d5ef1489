"""eventface: find a guest's photos in an event's photo collection by face."""

__version__ = "0.1.0"
