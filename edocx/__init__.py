"""edocx: signing desk and exchange hub for official e-documents."""

__version__ = "0.1.0"
