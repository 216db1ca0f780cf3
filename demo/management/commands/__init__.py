"""``seed_demo``: the demo platform for `make run`."""
