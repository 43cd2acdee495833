"""mlbdash: a complete, correct, live archive of MLB games, and a dashboard showing it is healthy."""

__version__ = "0.1.0"
