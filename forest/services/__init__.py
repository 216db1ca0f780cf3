"""Writes in the forest: rules, energy (collect, expire, audit), scoring jobs."""
