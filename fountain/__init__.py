"""The `fountain` command: one sub-command a module, above the generator and the provisioning step it drives."""
