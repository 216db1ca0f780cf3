"""Personal data across the apps: the export a user can download and the erasure of an account."""
