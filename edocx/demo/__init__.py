"""Demo mode: three agencies, their keys and tokens, and the demo run."""
