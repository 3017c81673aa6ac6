"""Accord: a node for cross-border cooperation against cybercrime."""

__version__ = "0.1.0"
