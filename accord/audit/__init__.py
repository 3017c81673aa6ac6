"""accord.audit: the node's tamper-evident Merkle log (RFC 9162 hashing), signed heads and proofs.

The store calls :func:`append` inside the transaction of every accepted write.
"""

from accord.audit.export import export, verify_export
from accord.audit.heads import (
    Countersignature,
    SignedTreeHead,
    countersign,
    latest_head,
    record_countersignature,
    sign_tree_head,
    verify_countersignature,
    verify_head,
    verify_heads_consistent,
)
from accord.audit.keys import load_or_create_key
from accord.audit.log import append, append_many, consistency_proof, current_head, inclusion_proof
from accord.audit.merkle import verify_consistency, verify_inclusion
from accord.audit.tables import create_audit_tables
from accord.audit.verify import VerifyReport, verify_log

__all__ = [
    "Countersignature",
    "SignedTreeHead",
    "VerifyReport",
    "append",
    "append_many",
    "consistency_proof",
    "countersign",
    "create_audit_tables",
    "current_head",
    "export",
    "inclusion_proof",
    "latest_head",
    "load_or_create_key",
    "record_countersignature",
    "sign_tree_head",
    "verify_consistency",
    "verify_countersignature",
    "verify_export",
    "verify_head",
    "verify_heads_consistent",
    "verify_inclusion",
    "verify_log",
]
