"""The demo: seeding a believable platform for `make run` and for sales, from every app.

Top layer: ``seed_demo`` runs each installed app's hook module ``<app>/demo.py`` in order.
"""
