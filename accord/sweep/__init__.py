"""accord.sweep."""
