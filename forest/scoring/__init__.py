"""Nightly scoring: transactions -> green actions -> drops -> ledger, set-based per chunk."""
