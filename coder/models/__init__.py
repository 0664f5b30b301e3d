"""Model backends and model management."""
