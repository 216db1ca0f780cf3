"""OpenAPI decorations of the accounts API, one module per view module (``@schema.<NAME>``)."""
