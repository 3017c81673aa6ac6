"""accord.cases."""
