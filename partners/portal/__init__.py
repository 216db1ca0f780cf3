"""The partner portal: server-rendered pages for sponsor brands (shared helpers in base.py)."""
