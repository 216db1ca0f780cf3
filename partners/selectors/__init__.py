"""Reads of the partners app: querysets and figures for the portal, the admin and the API."""
