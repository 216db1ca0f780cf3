"""Bank file and feed formats, each parsed into ``NormalisedTransaction`` items (``base``)."""
