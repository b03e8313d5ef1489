"""The command line: each command parses, builds the runtime, calls one service and prints."""
