"""Edges to the outside world: bank file and feed formats (``sources``), aggregator providers,
Plaid, the sandbox bank and inbound webhook signatures."""
