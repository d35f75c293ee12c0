"""Pulumi entry point: wires the ComponentResources in stacks/ (filled by the Pulumi program issue)."""
