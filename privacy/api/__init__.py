"""The privacy API: DELETE /me (the account's erasure) and GET /me/export."""
