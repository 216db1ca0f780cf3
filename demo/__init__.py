"""The demo: seeding a believable platform for `make run` and for sales, from every app."""
