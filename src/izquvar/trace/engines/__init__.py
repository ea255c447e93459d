"""Co-location engines other than the embedded grid (``trace.engine`` defines the interface they answer)."""
