"""MFA002 device-name-pinned."""

from __future__ import annotations

from typing import Iterable

from mfalint.findings import Finding, Fix, Severity
from mfalint.fix_edits import editor_for
from mfalint.iam import Outcome
from mfalint.model import Statement
from mfalint.rule import CheckContext, Rule, RuleDocs

from ._common import OWN_DEVICE_ARN, USER_NAMED_DEVICE_ARN, decide_in, user_policies, expand_actions

CREATE_DEVICE = "iam:CreateVirtualMFADevice"
DEVICE_PATH = ":mfa/"


class DeviceNamePinned(Rule):
    code = "MFA002"
    name = "device-name-pinned"
    severity = Severity.WARNING
    fixable = True
    summary = "iam:CreateVirtualMFADevice is allowed only for a device named after the user."
    docs = RuleDocs(
        what=(
            "Evaluates `iam:CreateVirtualMFADevice` for a device named after the user "
            "(`mfa/alice`) and for a device with another name (`mfa/my-phone`). Reports the "
            "Allow statements when only the first is allowed, as with "
            "`arn:aws:iam::*:mfa/${aws:username}`."
        ),
        why=(
            "Since November 2022 the IAM console asks users to name their virtual MFA "
            "device, and a user may register up to eight devices. A policy written for the "
            "old behaviour refuses every device not named exactly like the user, so users "
            "get AccessDenied when they enrol, add a second device or retry a half-finished "
            "set-up."
        ),
        example='{\n  "Version": "2012-10-17",\n  "Statement": [\n    {\n      "Effect": "Allow",\n      "Action": "iam:CreateVirtualMFADevice",\n      "Resource": "arn:aws:iam::*:mfa/${aws:username}"\n    }\n  ]\n}\n',
        use_instead='{\n  "Version": "2012-10-17",\n  "Statement": [\n    {\n      "Effect": "Allow",\n      "Action": "iam:CreateVirtualMFADevice",\n      "Resource": "arn:aws:iam::*:mfa/*"\n    }\n  ]\n}\n',
        fix=(
            "Allow `iam:CreateVirtualMFADevice` on `arn:aws:iam::*:mfa/*`. The device is tied "
            "to the user by `iam:EnableMFADevice`, which stays scoped to the user's own ARN.\n\n"
            "`mfalint --fix` replaces each pinned device ARN with the same ARN ending in "
            "`mfa/*` when the statement allows nothing but `iam:CreateVirtualMFADevice`. When it "
            "allows other actions too, such as `iam:DeleteVirtualMFADevice`, the same change "
            "would let users delete any unassigned device, so the fix is marked unsafe and not "
            "applied: move `iam:CreateVirtualMFADevice` into a statement of its own on `mfa/*`."
        ),
        references=(
            "AWS Security Blog, November 2022: You can now assign multiple MFA devices in IAM",
            "AWS IAM User Guide: example policy \"Allows MFA-authenticated IAM users to manage their own MFA device\"",
        ),
    )

    def check(self, context: CheckContext) -> Iterable[Finding]:
        policies = user_policies(context)
        if not policies:
            return
        for scenario_name in ("console-no-mfa", "console-mfa"):
            user_named = decide_in(policies, CREATE_DEVICE, USER_NAMED_DEVICE_ARN, scenario_name)
            if user_named.outcome is not Outcome.ALLOW:
                continue
            other_name = decide_in(policies, CREATE_DEVICE, OWN_DEVICE_ARN, scenario_name)
            if other_name.allowed is not False:
                return
            for ref in user_named.statements:
                resources = [value.text for value in ref.statement.resources or [] if ":mfa/" in value.text]
                shown = ", ".join(f"'{text}'" for text in resources) or "the user's own name"
                yield context.finding(
                    self,
                    ref.statement.resource_node,
                    f"'{CREATE_DEVICE}' is allowed only on {shown}, so a device the user names any other way, "
                    "or a second device, is refused; users name their own devices since November 2022, "
                    "so end the device ARN in 'mfa/*' to allow any name",
                    fix=self._fix(context, ref.statement),
                )
            return

    @staticmethod
    def _fix(context: CheckContext, statement: Statement) -> Fix | None:
        """Return a fix that ends each pinned device ARN of the statement in ``mfa/*``.

        It is safe only when the statement allows nothing but creating a
        device, because the wider resource applies to every action it lists.
        """
        editor = editor_for(context.document)
        edits = []
        changes: dict[str, str] = {}  # widened ARN -> the pinned ARN it replaces
        for value in statement.resources or []:
            marker = value.text.find(DEVICE_PATH)
            if marker == -1:
                continue
            widened = value.text[: marker + len(DEVICE_PATH)] + "*"
            # A second pinned ARN that widens to the same one stays: it is then redundant, not wrong.
            if widened == value.text or widened in changes:
                continue
            # A Terraform string with an interpolation before "mfa/" keeps it.
            edit = editor.replace_scalar(value.node, widened) or editor.replace_string_tail(value.node, DEVICE_PATH, "*")
            if edit is None:
                return None
            edits.append(edit)
            changes[widened] = value.text
        if not edits:
            return None
        actions = statement.actions or []
        safe = bool(actions) and all(expand_actions(value.text) <= {CREATE_DEVICE.lower()} for value in actions)
        title = "Allow every device name: " + ", ".join(f"'{old}' becomes '{new}'" for new, old in changes.items())
        if not safe:
            title += " (this also widens the statement's other actions to every MFA device)"
        return Fix(title, tuple(edits), safe=safe)
