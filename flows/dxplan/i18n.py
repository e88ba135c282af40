"""Messages in English (default) or Japanese, from one data file: ``locale/messages.yaml``.

The language is ``--lang`` when given, else ``DXPLAN_LANG``, else the locale
(``LC_ALL``, ``LC_MESSAGES``, ``LANG``: ``ja_JP.UTF-8`` -> Japanese), else English.
Each message is a ``str.format`` template with named fields; a key missing in one
language falls back to English, and a missing key to the key itself, so a message is
never lost to a translation gap.
"""

from __future__ import annotations

import os
from functools import cache
from importlib import resources

import yaml

LANGUAGES = ("en", "ja")
_state = {"lang": None}


def detect_lang(environ: dict | os._Environ = os.environ) -> str:
    """The language the environment asks for: ``ja`` or ``en``."""
    explicit = (environ.get("DXPLAN_LANG") or "").strip().lower()
    if explicit in LANGUAGES:
        return explicit
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = (environ.get(name) or "").strip()
        # the first one set decides, as in POSIX; but C / POSIX (as in LC_ALL=C.UTF-8,
        # common in containers) name no language, so the next variable may
        if value and value.split(".")[0].upper() not in ("C", "POSIX"):
            return "ja" if value.lower().startswith("ja") else "en"
    return "en"


def set_lang(lang: str | None) -> str:
    """Fix the language for this process (``None``: from the environment)."""
    _state["lang"] = lang if lang in LANGUAGES else detect_lang()
    return _state["lang"]


def lang() -> str:
    return _state["lang"] or detect_lang()


@cache
def catalog() -> dict[str, dict[str, str]]:
    text = resources.files("dxplan").joinpath("locale/messages.yaml").read_text(encoding="utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's, when built with it
    return yaml.load(text, Loader=loader)  # a safe loader either way


def t(key: str, /, **fields) -> str:
    """The message ``key`` in the current language, with ``fields`` filled in."""
    return t_in(lang(), key, **fields)


def t_in(language: str, key: str, /, **fields) -> str:
    """The message ``key`` in ``language`` (the audit keeps English: ``t_in("en", ...)``)."""
    entry = catalog().get(key) or {}
    template = entry.get(language) or entry.get("en") or key
    try:
        return template.format(**fields)
    except (KeyError, IndexError, ValueError):
        return template
