"""An example third-party mfalint plugin with one rule, EXA001.

mfalint finds it through the entry point ``example`` in the ``mfalint.rules``
group, declared in this distribution's pyproject.toml.
"""

from __future__ import annotations

from mfalint import hookimpl

from .exa001_iam_wildcard_without_mfa import IamWildcardWithoutMfa

__all__ = ["IamWildcardWithoutMfa", "mfalint_rules"]


@hookimpl
def mfalint_rules():
    return [IamWildcardWithoutMfa()]
