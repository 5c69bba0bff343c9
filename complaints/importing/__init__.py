"""Importing platform exports (12345, the 信访 system, message boards): CSV or XLSX, taken whole or not at all."""
