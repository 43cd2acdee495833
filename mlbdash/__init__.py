"""mlbdash: a complete, correct, live archive of MLB games, and a dashboard of its health."""

__version__ = "0.1.0"
