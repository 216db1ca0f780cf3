"""The game's commands: thin wrappers over its services."""
