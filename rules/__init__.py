"""mfalint's built-in rules, registered through the ``mfalint.rules`` entry point.

Installed as the ``mfalint_rules`` package. Each rule lives in its own module
named after its code.
"""

from __future__ import annotations

from mfalint.hookspecs import hookimpl

from .iam001_parse_error import ParseError
from .iam002_not_a_policy import NotAPolicy
from .iam003_invalid_element import InvalidElement
from .iam009_variable_needs_version import VariableNeedsVersion
from .iam014_unquoted_version import UnquotedVersion
from .iam015_duplicate_key import DuplicateKey
from .mfa001_password_reset_blocked import PasswordResetBlocked
from .mfa002_device_name_pinned import DeviceNamePinned
from .mfa003_deny_skips_access_keys import DenySkipsAccessKeys
from .mfa004_allow_accepts_no_mfa import AllowAcceptsNoMfa
from .mfa005_deny_inverted import DenyInverted
from .mfa009_enrolment_blocked import EnrolmentBlocked

RULE_CLASSES = (
    ParseError,
    NotAPolicy,
    InvalidElement,
    VariableNeedsVersion,
    UnquotedVersion,
    DuplicateKey,
    PasswordResetBlocked,
    DeviceNamePinned,
    DenySkipsAccessKeys,
    AllowAcceptsNoMfa,
    DenyInverted,
    EnrolmentBlocked,
)


@hookimpl
def mfalint_rules():
    return [rule_class() for rule_class in RULE_CLASSES]
