"""Images before deploy against a real Docker engine and a real registry: changed services pushed, unchanged not rebuilt."""

from __future__ import annotations

import io
import tarfile

import docker.errors
import httpx
import pytest
import yaml

from generator.bundle.hashing import content_hash
from generator.generate import build
from provision.errors import DeployError
from provision.images import plan, publish, registry_of

from . import dockerd
from .conftest import PROJECT_SPECS, ROOT


def _tree(text: str) -> dict[str, str]:
    return {"Dockerfile": f"FROM {dockerd.BASE_IMAGE}\nCOPY app.txt /app.txt\n", "app.txt": text}


@pytest.fixture(scope="module")
def engine():
    reason = dockerd.unavailable()
    if reason:
        pytest.skip(f"no real Docker engine here: {reason}")
    with dockerd.engine() as running:
        yield running


def _registry_tags(engine: dockerd.Engine, repository: str) -> list[str]:
    path = repository.split("/", 1)[1]
    answer = httpx.get(
        f"http://{engine.registry}/v2/{path}/tags/list", auth=(dockerd.REGISTRY_USER, dockerd.REGISTRY_PASSWORD)
    )
    return answer.json().get("tags") or [] if answer.status_code == 200 else []


def _file_in_image(engine: dockerd.Engine, ref: str, path: str) -> str:
    container = engine.client.containers.create(ref, command=["none"])
    try:
        chunks, _ = container.get_archive(path)
        with tarfile.open(fileobj=io.BytesIO(b"".join(chunks))) as tar:
            return tar.extractfile(tar.getmembers()[0]).read().decode()
    finally:
        container.remove()


def test_changed_services_are_pushed_and_unchanged_ones_are_not_rebuilt(engine: dockerd.Engine):
    prefix = f"{engine.registry}/fountainai"
    trees = {"alpha": _tree("alpha 1\n"), "beta": _tree("beta 1\n")}
    lines: list[str] = []

    assert publish(engine.client, trees, prefix, engine.auth, lines.append) == {"alpha": "pushed", "beta": "pushed"}
    for service, tree in trees.items():
        assert _registry_tags(engine, f"{prefix}/{service}") == [content_hash(tree)]

    # What a host pulls is what the tree holds: drop the local copies, pull from the registry, read the file back.
    for image in plan(trees, prefix):
        engine.client.images.remove(image.ref, force=True)
        engine.client.images.pull(image.repository, tag=image.tag, auth_config=engine.auth)
        assert _file_in_image(engine, image.ref, "/app.txt") == trees[image.service]["app.txt"]

    # Only alpha changes; beta's local image is gone, so a rebuild of beta would bring it back.
    beta = plan(trees, prefix)[1]
    engine.client.images.remove(beta.ref, force=True)
    changed = {**trees, "alpha": _tree("alpha 2\n")}
    lines.clear()
    assert publish(engine.client, changed, prefix, engine.auth, lines.append) == {
        "alpha": "pushed",
        "beta": "unchanged",
    }
    assert lines == [
        f"{prefix}/alpha:{content_hash(changed['alpha'])}: built and pushed",
        f"{beta.ref}: in the registry, not rebuilt",
    ]
    with pytest.raises(docker.errors.ImageNotFound):
        engine.client.images.get(beta.ref)
    assert sorted(_registry_tags(engine, f"{prefix}/alpha")) == sorted(
        [content_hash(trees["alpha"]), content_hash(changed["alpha"])]
    )


def test_a_wrong_registry_password_is_one_error_naming_the_image(engine: dockerd.Engine):
    prefix = f"{engine.registry}/wrongpass"
    tree = _tree("gamma\n")
    with pytest.raises(DeployError, match=rf"^{prefix}/gamma:{content_hash(tree)}: push failed: .*unauthorized"):
        publish(engine.client, {"gamma": tree}, prefix, {**engine.auth, "password": "wrong"}, lambda line: None)
    assert _registry_tags(engine, f"{prefix}/gamma") == []


def test_a_broken_dockerfile_names_the_service(engine: dockerd.Engine):
    tree = {"Dockerfile": f"FROM {dockerd.BASE_IMAGE}\nCOPY missing.txt /\n"}
    with pytest.raises(DeployError, match=r"^delta: image build failed: .*missing\.txt"):
        publish(engine.client, {"delta": tree}, f"{engine.registry}/fountainai", engine.auth, lambda line: None)


def test_the_pushed_tags_are_the_tags_the_compose_file_names():
    result = build(PROJECT_SPECS, ROOT)
    compose = yaml.safe_load(result.bundle["compose/docker-compose.yml"])
    images = plan(result.trees, "fountainai")
    assert images and all(compose["services"][i.service]["image"] == i.ref for i in images)


@pytest.mark.parametrize(
    ("repository", "registry"),
    [
        ("fountainai/character", None),
        ("docker.io/fountainai/character", "docker.io"),
        ("127.0.0.1:5000/fountainai/character", "127.0.0.1:5000"),
        ("localhost/fountainai/character", "localhost"),
        ("Registry/fountainai/character", "Registry"),
        ("character", None),
    ],
)
def test_registry_host_follows_dockers_reference_rule(repository: str, registry: str | None):
    assert registry_of(repository) == registry


def test_fountain_images_names_half_set_credentials_and_an_absent_engine(tmp_path, monkeypatch, capsys):
    from fountain.cli import main

    monkeypatch.setenv("DOCKER_USERNAME", "ci")
    monkeypatch.delenv("DOCKER_PASSWORD", raising=False)
    assert main(["images", str(PROJECT_SPECS)]) == 1
    assert "DOCKER_USERNAME and DOCKER_PASSWORD must be set together" in capsys.readouterr().err
    monkeypatch.delenv("DOCKER_USERNAME")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    assert main(["images", str(PROJECT_SPECS)]) == 1
    assert "error container engine:" in capsys.readouterr().err
