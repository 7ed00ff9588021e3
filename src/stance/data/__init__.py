"""Labelled data: read, validate (file:line errors) and split."""

from stance.data.load import load_file, load_splits, read_records

__all__ = ["load_file", "load_splits", "read_records"]
