"""Imports every module that defines tables, so the metadata is complete wherever it is used."""

from accord.store import schema  # noqa: F401
