"""Process runtime: configuration, logging, components, health, embedded Redis."""
