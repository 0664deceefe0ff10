"""TLS: certificates and host names are verified for real hosts; plain http is for loopback only."""

from __future__ import annotations

import ssl

import pytest

from netvisor_sync.auth import Credentials
from netvisor_sync.errors import ConfigError
from netvisor_sync.transport import NetvisorClient

CREDENTIALS = Credentials(
    sender="s",
    customer_id="c",
    customer_key="k" * 20,
    partner_id="p",
    partner_key="q" * 20,
    organisation_id="1967543-8",
)


def ssl_context(client: NetvisorClient) -> ssl.SSLContext:
    """The SSL context of the connection pool behind the client (httpx -> httpcore)."""
    pool = client._http._transport._pool  # type: ignore[attr-defined]
    context = pool._ssl_context
    assert isinstance(context, ssl.SSLContext)
    return context


@pytest.mark.parametrize("base_url", ["https://integration.netvisor.fi", "https://isvapi.netvisor.fi"])
def test_https_hosts_are_verified_by_default(base_url: str) -> None:
    with NetvisorClient(CREDENTIALS, base_url=base_url) as client:
        context = ssl_context(client)
        assert context.verify_mode == ssl.CERT_REQUIRED
        assert context.check_hostname is True


@pytest.mark.parametrize("base_url", ["http://integration.netvisor.fi", "http://10.0.0.5:8080", "http://example.com"])
def test_plain_http_to_a_real_host_is_refused(base_url: str) -> None:
    with pytest.raises(ConfigError, match="plain http"):
        NetvisorClient(CREDENTIALS, base_url=base_url)


@pytest.mark.parametrize("base_url", ["http://127.0.0.1:8080", "http://localhost:1234", "http://[::1]:80"])
def test_plain_http_is_allowed_for_loopback(base_url: str) -> None:
    with NetvisorClient(CREDENTIALS, base_url=base_url) as client:
        assert client.base_url.startswith("http://")
