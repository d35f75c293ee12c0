"""Handlers of v1."""
