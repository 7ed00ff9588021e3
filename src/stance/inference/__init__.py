"""Batch inference pieces: readers (documents in), writers (rows out)."""
