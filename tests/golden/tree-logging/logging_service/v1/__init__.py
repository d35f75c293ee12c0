"""Logging Service v1."""
