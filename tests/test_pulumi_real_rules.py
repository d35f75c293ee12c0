"""What the real providers would do with the program's resources: owners, replacements, names, boot script, sizes."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from stacks.config import ConfigError
from stacks.host import user_data

from .pulumi_harness import Run, run_program


@pytest.fixture(scope="module")
def dev() -> Run:
    return run_program("dev")


@pytest.fixture(scope="module")
def prod() -> Run:
    return run_program("prod")


def _one(run: Run, typ: str):
    (found,) = run.recorder.of_type(typ)
    return found


def test_github_resources_go_through_a_provider_with_the_owner(dev: Run):
    # GitHub provider docs (registry "github" provider, Argument Reference: owner): without `owner` the
    # provider works on the token owner's personal account, so the repositories would not land in the org.
    providers = {r.name: r for r in dev.recorder.of_type("pulumi:providers:github")}
    assert providers and {p.inputs.get("owner") for p in providers.values()} == {"fountainai"}
    github = [r for r in dev.recorder.resources if r.type.startswith("github:")]
    assert github
    for r in github:
        reference = r.options["provider"]
        assert any(reference.endswith(f"::{name}-id") for name in providers), (r.type, r.name, reference)


def test_public_ports_are_deleted_before_they_are_replaced(dev: Run):
    # terraform-provider-aws internal/service/lightsail/instance_public_ports.go: Delete closes every port
    # the resource lists (CloseInstancePublicPorts). Pulumi creates the replacement first by default, so the
    # old one's delete would close 22, 80 and 443 right after the new one opened them.
    ports = _one(dev, "aws:lightsail/instancePublicPorts:InstancePublicPorts")
    assert ports.options["deleteBeforeReplace"] is True


def test_physical_names_carry_project_and_stack_and_fixed_names_are_freed_first(dev: Run):
    for typ in ("aws:lightsail/instance:Instance", "aws:lightsail/keyPair:KeyPair", "aws:lightsail/staticIp:StaticIp"):
        found = _one(dev, typ)
        assert found.inputs["name"].startswith("fountainai-dev-"), found.inputs["name"]
        # Lightsail names are unique per account and region: a create-before-delete replacement (a new
        # bundle, blueprint, zone or key) would ask for a name the old resource still holds.
        assert found.options["deleteBeforeReplace"] is True, typ


def test_only_the_prod_instance_is_protected(dev: Run, prod: Run):
    assert _one(prod, "aws:lightsail/instance:Instance").options["protect"] is True
    assert _one(dev, "aws:lightsail/instance:Instance").options["protect"] is False


@pytest.mark.parametrize("stack", ["PR_42", "pr.42", "Pr-42", "pr-42-"])
def test_stack_names_that_would_share_physical_names_are_refused(stack: str):
    with pytest.raises(ConfigError, match=f"stack name '{stack}' would share physical names with 'pr-42'"):
        run_program(stack)


def test_key_pair_is_rsa(dev: Run):
    # Lightsail API reference, ImportKeyPair: publicKeyBase64 is "a base64-encoded public key of the ssh-rsa type".
    key = _one(dev, "tls:index/privateKey:PrivateKey")
    assert (key.inputs["algorithm"], key.inputs["rsaBits"]) == ("RSA", 4096)


STUBBED = ("apt-get", "systemctl", "id", "useradd", "install", "tee", "chown", "chmod", "sleep", "cat")


def _stub_bin(folder: Path, log: Path, apt_busy: int) -> None:
    """Commands the boot script calls, each logging its argv; apt-get update fails `apt_busy` times (lock held)."""
    folder.mkdir()
    for name in STUBBED:
        body = f'#!/bin/sh\nprintf "%s\\n" "{name} $*" >> {log}\n'
        if name == "apt-get":
            body += (
                f'case "$*" in *update*) n=$(cat {log}.busy 2>/dev/null || echo 0); '
                f'if [ "$n" -lt {apt_busy} ]; then echo $((n + 1)) > {log}.busy; exit 100; fi;; esac\n'
            )
        if name == "id":
            body += "exit 1\n"
        if name == "cat":
            body = f'#!/bin/sh\nexec {shutil.which("cat")} "$@"\n'
        path = folder / name
        path.write_text(body)
        path.chmod(path.stat().st_mode | stat.S_IEXEC)


@pytest.mark.skipif(not shutil.which("dash"), reason="dash is Debian's /bin/sh")
def test_boot_script_runs_to_the_end_under_dash_and_waits_for_apt(tmp_path: Path):
    # Ubuntu's /bin/sh is dash, which has no `pipefail`; a launch script run by sh must be POSIX sh.
    script = tmp_path / "user-data"
    script.write_text(user_data("deploy", "ssh-rsa AAAAB3NzaC1yc2E generated"))
    log = tmp_path / "calls"
    _stub_bin(tmp_path / "bin", log, apt_busy=2)
    env = {"PATH": str(tmp_path / "bin"), "HOME": str(tmp_path)}
    done = subprocess.run([shutil.which("dash"), str(script)], env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    calls = log.read_text().splitlines()
    updates = [c for c in calls if c.startswith("apt-get") and "update" in c]
    assert len(updates) == 3  # two refusals while the lock is held, then success
    # apt.conf(5): DPkg::Lock::Timeout makes apt wait for the dpkg lock instead of failing at once.
    assert all("DPkg::Lock::Timeout=600" in c for c in calls if c.startswith("apt-get"))
    assert any(c.startswith("apt-get") and "install docker.io docker-compose-v2" in c for c in calls)
    assert calls[-1].startswith("install -d -m 750 -o deploy -g deploy /srv/fountainai")
    assert "tee /home/deploy/.ssh/authorized_keys" in calls
    os.remove(log)


def test_ephemeral_bundle_must_hold_the_containers_memory_limits():
    # Lightsail GetBundles: nano_3_0 has ramSizeInGb 0.5; the committed Compose limits plus the OS reserve
    # need 1,984 MB, so the stack is refused naming the setting instead of swapping on a 512 MB host.
    with pytest.raises(ConfigError) as error:
        run_program("pr-42", {"ephemeralBundle": "nano_3_0"})
    assert str(error.value).startswith(
        "fountainai:ephemeralBundle: nano_3_0 has 512 MB, the bundle needs 1984 MB (9 containers 1472 MB + 512 MB"
    )
    with pytest.raises(ConfigError, match=r"^fountainai:bundle: micro_3_0 has 1024 MB"):
        run_program("dev", {"bundle": "micro_3_0"})
