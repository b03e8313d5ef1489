"""Matching a guest's selfie embeddings against an event's faces."""
