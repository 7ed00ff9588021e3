"""stance: label news sentences with the diplomatic signal they carry."""

__version__ = "0.1.0"
