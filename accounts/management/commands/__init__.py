"""``import_transactions``: a bank file into a feed, from the command line."""
