"""The validator: rules, findings, corrections, review queue and CSV export."""
