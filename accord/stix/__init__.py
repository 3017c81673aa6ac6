"""accord.stix."""
