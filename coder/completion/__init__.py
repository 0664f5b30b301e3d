"""Completions: the engine, suggestion cache and post-processing."""
