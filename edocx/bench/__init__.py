"""Benchmarks: edocx against the bare libraries, measured in the same run."""
