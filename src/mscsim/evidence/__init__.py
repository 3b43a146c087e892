"""Clinical evidence: curated trial records, the ClinicalTrials.gov client, meta-analysis."""
