"""Pulumi ComponentResources, one concern a module (filled by the Pulumi program issue)."""
