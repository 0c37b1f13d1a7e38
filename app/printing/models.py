"""Placeholder; filled by its module."""
