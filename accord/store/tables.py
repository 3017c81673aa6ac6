"""Imports every module that defines tables, so the metadata is complete wherever it is used."""

from accord.audit import tables as audit_tables  # noqa: F401
from accord.store import schema, values  # noqa: F401
