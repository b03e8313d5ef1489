"""Photo sources: where an event's photos come from (a local folder; Google Drive later)."""
