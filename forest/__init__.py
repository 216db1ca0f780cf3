"""The game, above the catalogue and accounts: green-action rules and scoring, energy drops and
the ledger, trees and co-planting teams, friends' stealing and watering, badges and challenges,
fraud review and planting certificates.

``partners`` (planting orders, budgets, claims, the portal) builds on it.
"""
