"""Lint findings (placeholder filled in below)."""

from __future__ import annotations


def run_lint(model, plan):
    return []
