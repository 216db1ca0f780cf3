"""Tests of the floor: the SQL layer."""
