"""Errors of the map data package."""


class MapImportError(Exception):
    """An extract cannot be imported; the message says why (file, reason). Nothing was written."""


class MapDataError(Exception):
    """An imported city directory is missing, incomplete or of an unknown format."""
