"""Training: courses, records per member and the yearly hours thresholds."""
