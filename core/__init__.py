"""The floor every app stands on: abstract models and infrastructure with no domain in it.

Nothing here imports an app; every app may import from here.
"""
