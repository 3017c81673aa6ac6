"""Imports every module that defines tables, so the metadata is complete wherever it is used."""

from accord.audit import tables as audit_tables  # noqa: F401
from accord.private_sweep import tables as private_sweep_tables  # noqa: F401
from accord.store import schema, values  # noqa: F401
