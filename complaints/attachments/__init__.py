"""Attachments: files kept outside the database (storage), read from a request as it streams (receiving)."""
