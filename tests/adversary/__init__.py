"""Attacks through the public HTTP API or through crafted records (docs/threat-model.md)."""
