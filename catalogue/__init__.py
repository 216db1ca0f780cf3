"""The sponsors' catalogue, below the game: who sponsors, which brand forests they fund, the
species those forests plant, who plants them, and the campaigns that add energy.

The game (``forest``) reads this catalogue; the partner side (``partners``: planting orders,
budgets, claims, billing, the portal) builds on both.
"""
