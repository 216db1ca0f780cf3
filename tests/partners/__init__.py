"""Tests of the partners app: planting, evidence, budgets, claims, billing, API, portal."""
