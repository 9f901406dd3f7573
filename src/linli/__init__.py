"""Linli (邻里): neighbourhood alliances with a verifiable ledger.

This package must stay importable without Django settings: `python -m linli.ledger.verify`
checks an evidence bundle offline with nothing but the standard library and `cryptography`.
"""
