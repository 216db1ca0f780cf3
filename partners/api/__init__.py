"""The partners HTTP API: planting partners' orders (API key) and consumers' claim codes (JWT)."""
