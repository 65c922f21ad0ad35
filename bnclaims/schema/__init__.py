"""The JSON contract: what ``verify``/``check``/``list --json`` write, its JSON Schema, and the ledger reader
(:mod:`bnclaims.schema.contract`; the schema is ``ledger.schema.json`` in this package); the names of the
kinds of evidence a record carries are in :mod:`bnclaims.schema.evidence_keys`."""
from bnclaims.schema.contract import (SCHEMA_FILE, SCHEMA_VERSION, claims_document, envelope, git_commit,
                                      ledger_document, read_ledger, record_dict, schema)

__all__ = ["SCHEMA_FILE", "SCHEMA_VERSION", "claims_document", "envelope", "git_commit", "ledger_document", "read_ledger",
           "record_dict", "schema"]
