"""accord.audit."""
