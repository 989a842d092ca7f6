"""Revenue-assurance reconciliation: independent re-rating, matching, the seven controls, cases, KPIs."""
