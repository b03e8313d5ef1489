"""Face engines: detect, align and embed faces in decoded photos."""
