"""The disease-specific parts of the aging-disease SBML export, one small module per disease.

Each module holds an `EXPORT` record (`export._sbml_aging.DiseaseExport`): where each parameter
comes from, the function that writes the disease's equations, and the product's delivery.
"""
