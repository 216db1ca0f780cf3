"""Personal data across the apps: the export a user can download and the erasure of an account.

Top layer: it discovers each installed app's hook module ``<app>/privacy.py`` (see
``privacy.hooks`` for the protocol) and orchestrates them; the apps know nothing of it.
"""
