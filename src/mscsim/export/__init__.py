"""Exchange formats: the full model of one virtual patient as SBML (DESIGN.md interfaces)."""
