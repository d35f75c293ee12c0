"""Runtime support shared by every generated service; copied verbatim into each service tree."""
