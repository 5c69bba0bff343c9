"""Sending what the outbox (Notification) holds: adapters behind one interface, and the delivery loop."""
