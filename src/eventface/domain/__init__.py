"""The domain core: events, photos, faces, matches. Standard library and numpy only."""
