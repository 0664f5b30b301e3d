"""Prompt templates, shipped inside the installed package as coder.prompts."""
