"""Worker processes for CPU-bound work: signing, validation, diff analysis."""
