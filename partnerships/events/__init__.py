"""Dialogue and job-fair events: recorded by staff, counted by group and gender, reported."""
