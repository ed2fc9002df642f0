"""Engines run one batch of generation: transformers (the reference, and 4-bit) and CTranslate2 (the fast one)."""
