"""Errors the command line answers with one clear line and exit code 2 (bad usage or settings)."""

from __future__ import annotations


class UsageError(ValueError):
    """A setting, option or path is wrong: the message says which and what to do."""
