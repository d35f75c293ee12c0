"""The one error type of the provisioning step: a single line a person can act on."""


class DeployError(Exception):
    """Something about the host, the bundle or the secrets stops the deploy; the message says what."""
