"""Errors a user can fix. Their message is one plain sentence, safe to show as text."""

from __future__ import annotations


class TranslatorError(Exception):
    """Base of the errors whose message is meant for the person using the tool."""


class InputError(TranslatorError, ValueError):
    """The text or a setting the caller gave can't be used as it is."""


class ModelUnavailableError(TranslatorError):
    """A model can't be resolved, fetched or loaded safely."""
