# Vendored from the FountainAI deploy project (generator/runtime/__init__.py), runtime fddc59ac4394.
# Do not edit it here: `fountain generate` overwrites it. Change it in the project and regenerate.
"""Runtime support shared by every generated service; copied verbatim into each service tree."""
