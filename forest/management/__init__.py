"""Management commands of the game (scoring, badges, the fraud sweep)."""
