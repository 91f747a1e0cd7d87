"""Incidents, interruption records, restoration steps, ETRs and the audit trail."""
