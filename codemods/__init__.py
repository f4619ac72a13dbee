"""LibCST codemods that migrate legacy fine-tuning code (one transform per module)."""
