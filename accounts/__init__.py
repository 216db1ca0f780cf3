"""Identity, linked bank feeds, consent, transactions, friends and the inbox: the bottom domain
layer (above core only)."""
