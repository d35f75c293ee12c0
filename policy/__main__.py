"""CrossGuard pack: `pulumi preview --policy-pack policy [--policy-pack-config policy/config.json]`."""

import sys
from pathlib import Path

from pulumi_policy import EnforcementLevel, PolicyConfigSchema, PolicyPack, ResourceValidationPolicy

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


POLICIES = [
    ResourceValidationPolicy(
        name="lightsail-ports",
        description="Only 80 and 443 are public; 22 only from the admin CIDRs; never Kong's admin port.",
        validate=_validator("aws:lightsail/instancePublicPorts:InstancePublicPorts"),
        config_schema=PolicyConfigSchema(properties={"adminCidrs": {"type": "array", "items": {"type": "string"}}}),
    ),
    ResourceValidationPolicy(
        name="private-repositories",
        description="Service repositories are private.",
        validate=_validator("github:index/repository:Repository"),
    ),
    ResourceValidationPolicy(
        name="protected-default-branch",
        description="The default branch requires pull requests and the service's CI check.",
        validate=_validator("github:index/repositoryRuleset:RepositoryRuleset"),
    ),
    ResourceValidationPolicy(
        name="no-secret-in-published-files",
        description="Files published to repositories hold no key or password.",
        validate=_validator("github:index/repositoryFile:RepositoryFile"),
    ),
    ResourceValidationPolicy(
        name="no-secret-on-command-lines",
        description="The deploy command line holds no key or password; secrets go on stdin.",
        validate=_validator("command:local:Command"),
    ),
]

if __name__ == "__main__":  # the CLI runs the pack as a program; PolicyPack serves until it is stopped
    PolicyPack(name="fountainai-security", enforcement_level=EnforcementLevel.MANDATORY, policies=POLICIES)
