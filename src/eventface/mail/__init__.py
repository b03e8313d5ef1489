"""Outgoing mail: one message, sent through the SMTP server of SMTP_URL."""
