"""The JSON contract: what ``verify``/``check``/``list --json`` write, its JSON Schema, and the ledger reader
(:mod:`bnclaims.schema.contract`; the schema is ``ledger.schema.json`` in this package)."""
from bnclaims.schema.contract import (SCHEMA_FILE, SCHEMA_VERSION, claims_document, envelope, git_commit,
                                      ledger_document, read_ledger, record_dict, schema)

__all__ = ["SCHEMA_FILE", "SCHEMA_VERSION", "claims_document", "envelope", "git_commit", "ledger_document", "read_ledger",
           "record_dict", "schema"]
