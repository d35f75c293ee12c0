"""Fixtures of the generated tests: one app per session on TEST_DATABASE_URL (default: a temp SQLite file)."""

import os
import secrets
import tempfile

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from logging_service.config import Settings
from logging_service.main import create_app

API_KEY = secrets.token_urlsafe(24)
DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp(prefix='logging-')}/test.db"
APP = create_app(Settings(database_url=DATABASE_URL, api_keys=SecretStr(API_KEY)))


@pytest.fixture(scope="session")
def api_key() -> str:
    return API_KEY


@pytest.fixture(scope="session")
def app():
    return APP


@pytest.fixture(scope="session")
def client(app):
    # Entering the client runs the app's lifespan, which applies the migrations.
    with TestClient(app) as client:
        yield client
