"""Use cases: what eventface does, independent of whether a CLI, a web request or a job asks."""
