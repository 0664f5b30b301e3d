"""Context windows: what goes into a completion prompt, in the model's own format."""
