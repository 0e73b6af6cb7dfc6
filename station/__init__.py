"""station: scanning-station digitization pipeline (scanner images in, searchable PDF/A out)."""

__version__ = "0.1.0"
