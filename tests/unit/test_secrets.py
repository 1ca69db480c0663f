"""The seat's token lives in the OS keyring, never in plain text; logs never show it."""

from __future__ import annotations

import io
import logging

import keyring
import pytest
from keyring.backends import fail

from app import logs, secrets


@pytest.fixture(autouse=True)
def _restore_keyring():
    before = keyring.get_keyring()
    yield
    secrets.configure(None)
    keyring.set_keyring(before)


def test_simulation_hands_the_seat_its_token_through_the_memory_keyring():
    secrets.use_memory_backend()
    assert secrets.get_token("seat-1") is None
    secrets.set_token("seat-1", "tok-Abc123-one")
    secrets.set_token("seat-2", "tok-Abc123-two")
    assert secrets.get_token("seat-1") == "tok-Abc123-one"
    assert secrets.backend_name() == "app.secrets.MemoryKeyring"

    secrets.set_token("seat-1", "tok-Abc123-new")  # credentials re-issued
    assert secrets.get_token("seat-1") == "tok-Abc123-new"
    assert secrets.delete_token("seat-1") is True
    assert secrets.delete_token("seat-1") is False
    assert secrets.get_token("seat-1") is None
    assert secrets.get_token("seat-2") == "tok-Abc123-two"


def test_without_a_keyring_the_error_says_so_and_how_to_fix_it():
    keyring.set_keyring(fail.Keyring())  # a server without a desktop session
    with pytest.raises(secrets.SecretsUnavailable) as no_backend:
        secrets.get_token("seat-1")
    message = str(no_backend.value)
    assert "no keyring backend is available" in message
    assert "dispatch120 credentials set" in message
    with pytest.raises(secrets.SecretsUnavailable):
        secrets.set_token("seat-1", "tok")


def test_a_plaintext_default_keyring_is_refused():
    class PlaintextKeyring(secrets.MemoryKeyring):  # looks like keyrings.alt's
        pass

    keyring.set_keyring(PlaintextKeyring())
    with pytest.raises(secrets.SecretsUnavailable) as refused:
        secrets.set_token("seat-1", "tok")
    assert "plain text" in str(refused.value)


def test_a_configured_backend_that_cannot_load_is_named_in_the_error():
    secrets.configure("keyring.backends.DoesNotExist.Keyring")
    with pytest.raises(secrets.SecretsUnavailable) as bad:
        secrets.get_token("seat-1")
    assert "keyring.backends.DoesNotExist.Keyring" in str(bad.value)


def test_the_memory_keyring_is_never_chosen_automatically():
    from keyring.backend import get_all_keyring

    assert not any(isinstance(kr, secrets.MemoryKeyring) for kr in get_all_keyring())
    secrets.configure("app.secrets.MemoryKeyring")  # nor by name in a settings file
    with pytest.raises(secrets.SecretsUnavailable):
        secrets.get_token("seat-1")


def test_a_token_read_from_the_keyring_never_reaches_the_log(tmp_path):
    secrets.use_memory_backend()
    token = "k9Zq-mkv_2Lp"  # short and plain: only its registration can catch it
    secrets.set_token("seat-1", token)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(logs.RedactingFilter())
    logger = logging.getLogger("test.secrets.leak")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("retrying with %s", secrets.get_token("seat-1"))
        try:
            raise ValueError(f"bad token {token}")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert token not in text
    assert text.count(logs.REDACTED) == 2  # the message and the exception's line


def test_hello_frames_and_token_shaped_strings_are_redacted_but_command_ids_stay(tmp_path):
    hello = '{"v":1,"type":"hello","token":"plain","client":"seat","last_seq":3}'
    assert '"token":"[REDACTED]"' in logs.redact(hello)
    assert "plain" not in logs.redact(hello)
    assert logs.redact("Authorization: Bearer abc.def") == "Authorization: Bearer [REDACTED]"
    issued = "Xf3kQ9vT2LmN8pR4sW7yZ1aB6cD0eG5hJ"  # shape of secrets.token_urlsafe()
    assert logs.redact(f"admin printed {issued}") == "admin printed [REDACTED]"
    command_id = "6f1c1d7e-3b7a-4c55-9a51-0a4e2b1f9c01"
    assert logs.redact(f"command {command_id} acked") == f"command {command_id} acked"
    assert logs.redact("journal-seat-1.sqlite at seq 42") == "journal-seat-1.sqlite at seq 42"


def test_setup_logging_writes_a_redacted_file_in_the_log_dir(tmp_path):
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        path = logs.setup_logging(tmp_path / "logs", "INFO", "seat-test", stderr=False)
        logging.getLogger("app.seat.sync").info('sent {"type":"hello","token":"tok-123"}')
        for handler in root.handlers:
            handler.flush()
        text = path.read_text(encoding="utf-8")
        assert path.parent == tmp_path / "logs"
        assert "tok-123" not in text and "[REDACTED]" in text
    finally:
        for handler in list(root.handlers):
            if handler not in saved[0]:
                root.removeHandler(handler)
                handler.close()
        root.setLevel(saved[1])
