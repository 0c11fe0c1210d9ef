"""The task HTTP API (component ``api-server``): upstream-compatible routes, validation, auth, OpenAPI."""
