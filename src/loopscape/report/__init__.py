"""What users see: plots (matplotlib) and the self-contained HTML report of a run."""
