"""CrossGuard pack: `pulumi preview --policy-pack policy [--policy-pack-config policy/config.json]`."""

import sys
from pathlib import Path

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyPack,
    ResourceValidationPolicy,
    StackValidationPolicy,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stacks import policies  # noqa: E402


def _validator(resource_type: str):
    def check(args, report_violation):
        if args.resource_type != resource_type:
            return
        admin = (args.get_config() or {}).get("adminCidrs")
        for problem in policies.validate(args.resource_type, args.props, admin):
            report_violation(problem)

    return check


ADMIN_CIDRS = PolicyConfigSchema(properties={"adminCidrs": {"type": "array", "items": {"type": "string"}}})
RULES = [
    ("lightsail-ports", "aws:lightsail/instancePublicPorts:InstancePublicPorts",
     "Only 80 and 443 are public; 22 only from the admin CIDRs; never Kong's admin port.", ADMIN_CIDRS),
    ("private-repositories", "github:index/repository:Repository", "Service repositories are private.", None),
    ("protected-default-branch", "github:index/repositoryRuleset:RepositoryRuleset",
     "The default branch requires pull requests and the service's CI check.", None),
    ("no-secret-in-published-files", "github:index/repositoryFile:RepositoryFile",
     "Files published to repositories hold no key or password.", None),
    ("no-secret-on-command-lines", "command:local:Command",
     "The deploy command line holds no key or password; secrets go on stdin.", None),
]  # fmt: skip


def _stack_check(args, report_violation):
    for problem in policies.stack_problems((r.resource_type, r.props) for r in args.resources):
        report_violation(problem)


POLICIES = [
    ResourceValidationPolicy(name=name, description=text, validate=_validator(kind), config_schema=schema)
    for name, kind, text, schema in RULES
] + [
    StackValidationPolicy(
        name="host-has-firewall",
        description="Every Lightsail instance has its InstancePublicPorts (else Lightsail's defaults apply).",
        validate=_stack_check,
    )
]

if __name__ == "__main__":  # the CLI runs the pack as a program; PolicyPack serves until it is stopped
    PolicyPack(name="fountainai-security", enforcement_level=EnforcementLevel.MANDATORY, policies=POLICIES)
