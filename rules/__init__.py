"""mfalint's built-in rules, registered through the ``mfalint.rules`` entry point.

Installed as the ``mfalint_rules`` package. Each rule lives in its own module
named after its code.
"""

from __future__ import annotations

from mfalint.hookspecs import hookimpl

from .iam001_parse_error import ParseError
from .iam002_not_a_policy import NotAPolicy
from .iam003_invalid_element import InvalidElement
from .iam004_unknown_action import UnknownAction
from .iam005_unknown_service import UnknownService
from .iam006_invalid_condition_operator import InvalidConditionOperator
from .iam007_unknown_condition_key import UnknownConditionKey
from .iam008_condition_value_type import ConditionValueType
from .iam009_variable_needs_version import VariableNeedsVersion
from .iam010_duplicate_sid import DuplicateSid
from .iam011_policy_too_large import PolicyTooLarge
from .iam012_invalid_arn import InvalidArn
from .iam013_resource_never_matches import ResourceNeverMatches
from .iam014_unquoted_version import UnquotedVersion
from .iam015_duplicate_key import DuplicateKey
from .mfa001_password_reset_blocked import PasswordResetBlocked
from .mfa002_device_name_pinned import DeviceNamePinned
from .mfa003_deny_skips_access_keys import DenySkipsAccessKeys
from .mfa004_allow_accepts_no_mfa import AllowAcceptsNoMfa
from .mfa005_deny_inverted import DenyInverted
from .mfa006_no_enforcing_deny import NoEnforcingDeny
from .mfa007_mfa_removable_without_mfa import MfaRemovableWithoutMfa
from .mfa008_deny_resource_narrowed import DenyResourceNarrowed
from .mfa009_enrolment_blocked import EnrolmentBlocked
from .mfa010_null_on_mfa_present import NullOnMfaPresent
from .mfa011_mfa_age_skips_access_keys import MfaAgeSkipsAccessKeys
from .mfa012_mfa_deny_in_guardrail import MfaDenyInGuardrail
from .mfa013_device_rotation_impossible import DeviceRotationImpossible
from .mfa014_broad_exemption import BroadExemption
from .mfa015_extra_device_with_one_factor import ExtraDeviceWithOneFactor
from .mfa016_enforcement_removable import EnforcementRemovable
from .mfa017_self_service_not_scoped import SelfServiceNotScoped
from .mfa018_mfa_condition_broken import MfaConditionBroken
from .mfa019_console_user_without_mfa import ConsoleUserWithoutMfa
from .mfa020_role_trust_without_mfa import RoleTrustWithoutMfa

RULE_CLASSES = (
    ParseError,
    NotAPolicy,
    InvalidElement,
    UnknownAction,
    UnknownService,
    InvalidConditionOperator,
    UnknownConditionKey,
    ConditionValueType,
    VariableNeedsVersion,
    DuplicateSid,
    PolicyTooLarge,
    InvalidArn,
    ResourceNeverMatches,
    UnquotedVersion,
    DuplicateKey,
    PasswordResetBlocked,
    DeviceNamePinned,
    DenySkipsAccessKeys,
    AllowAcceptsNoMfa,
    DenyInverted,
    NoEnforcingDeny,
    MfaRemovableWithoutMfa,
    DenyResourceNarrowed,
    EnrolmentBlocked,
    NullOnMfaPresent,
    MfaAgeSkipsAccessKeys,
    MfaDenyInGuardrail,
    DeviceRotationImpossible,
    BroadExemption,
    ExtraDeviceWithOneFactor,
    EnforcementRemovable,
    SelfServiceNotScoped,
    MfaConditionBroken,
    ConsoleUserWithoutMfa,
    RoleTrustWithoutMfa,
)


@hookimpl
def mfalint_rules():
    return [rule_class() for rule_class in RULE_CLASSES]
