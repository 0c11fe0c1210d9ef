"""Tasks: the model, shared validation and the atomic Redis store."""
