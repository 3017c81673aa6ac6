"""Shipped data files (gazetteer); a package so setuptools includes them as package data."""
