# Vendored from the FountainAI deploy project (generator/runtime/__init__.py), runtime 2f9f0324912b.
# Do not edit it here: `fountain generate` overwrites it. Change it in the project and regenerate.
"""Runtime support shared by every generated service; copied verbatim into each service tree."""
