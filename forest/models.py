"""Green actions, the energy ledger, trees."""
