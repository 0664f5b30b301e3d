"""Terminal UI front (Textual): a thin adapter over coder. Not yet implemented."""
