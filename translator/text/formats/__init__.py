"""Every file format the translator reads and writes, behind one table (table.py)."""

from .table import FORMATS, Format, parse_document

__all__ = ["FORMATS", "Format", "parse_document"]
