"""The seat's TLS settings: the centre's CA is the only one trusted, and failures say what to check."""

from __future__ import annotations

import ssl

import pytest

from app.tls import TlsConfigError, client_context, describe_connect_error
from tests.tlsfiles import make_authority


def test_the_pinned_ca_is_the_only_certificate_authority_trusted(tmp_path):
    ca = make_authority(tmp_path, "centre")
    pinned = client_context("wss://dispatch.centre.example/ws", ca.cert_path)
    subjects = [dict(rdn[0] for rdn in cert["subject"])["commonName"] for cert in pinned.get_ca_certs()]
    assert subjects == ["centre"]
    assert pinned.verify_mode == ssl.CERT_REQUIRED and pinned.check_hostname


def test_a_plain_url_needs_no_tls_context(tmp_path):
    assert client_context("ws://127.0.0.1:8765/ws", make_authority(tmp_path, "centre").cert_path) is None


def test_a_missing_or_empty_ca_file_is_refused_naming_the_file(tmp_path):
    with pytest.raises(TlsConfigError, match="centre-ca.pem does not exist"):
        client_context("wss://x/ws", tmp_path / "centre-ca.pem")
    empty = tmp_path / "empty.pem"
    empty.write_text("not a certificate\n")
    with pytest.raises(TlsConfigError, match="empty.pem holds no usable PEM certificate"):
        client_context("wss://x/ws", empty)


def test_an_unknown_issuer_is_described_as_not_the_centres_ca(tmp_path):
    exc = ssl.SSLCertVerificationError(1, "certificate verify failed")
    exc.verify_code, exc.verify_message = 20, "unable to get local issuer certificate"
    text = describe_connect_error(exc, "wss://x/ws", tmp_path / "centre-ca.pem")
    assert text.startswith("server certificate refused: not signed by the centre's CA")
    assert "unable to get local issuer certificate" in text
