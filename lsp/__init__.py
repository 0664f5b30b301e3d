"""Language server front (pygls): a thin adapter over coder. Not yet implemented."""
