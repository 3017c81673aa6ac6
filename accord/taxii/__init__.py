"""accord.taxii."""
