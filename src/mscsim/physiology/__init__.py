"""physiology."""
