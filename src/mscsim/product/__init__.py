"""Cell products: identity (ISCT criteria) and, later, manufacturing attributes."""
