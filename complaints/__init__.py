"""阳光招生接诉即办: complaint and petition handling for education bureaus."""

__version__ = "0.1.0"
