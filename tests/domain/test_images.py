"""Which addresses the server refuses to fetch pictures from, and stored image paths."""

from __future__ import annotations

import ipaddress

import pytest

from openlink.domain.images import address_refused, check_image_ref, image_id_of
from openlink.errors import InvalidInput


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "192.0.2.1",  # documentation
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:10.0.0.1",
        "2002:7f00:1::",  # 6to4 around 127.0.0.1
        "2002:a00:1::",  # 6to4 around 10.0.0.1
        "64:ff9b::a00:1",  # NAT64 around 10.0.0.1
        "2001:db8::1",  # documentation
        "fec0::1",  # site-local, deprecated but still routed on some networks
        "feff::1",
        "4000::1",  # unassigned: only 2000::/3 is global unicast
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert address_refused(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]
)
def test_public_addresses_are_not(address: str) -> None:
    assert not address_refused(ipaddress.ip_address(address))


def test_allowed_networks_are_exceptions_and_only_they() -> None:
    allowed = [ipaddress.ip_network("127.0.0.1/32")]
    assert not address_refused(ipaddress.ip_address("127.0.0.1"), allowed)
    assert not address_refused(ipaddress.ip_address("::ffff:127.0.0.1"), allowed)
    assert address_refused(ipaddress.ip_address("127.0.0.2"), allowed)
    assert address_refused(ipaddress.ip_address("::1"), allowed)


def test_stored_image_paths() -> None:
    image_id = "ab" * 32
    assert image_id_of(f"/api/images/{image_id}") == image_id
    assert check_image_ref(f"/api/images/{image_id}", "avatar") == f"/api/images/{image_id}"
    assert check_image_ref("", "avatar") is None and check_image_ref(None, "cover") is None
    for raw in (
        "https://img.example/a.png",
        f"/api/images/{image_id}/x",
        f"/api/images/{image_id.upper()}",
        f"https://evil.example/api/images/{image_id}",
    ):
        assert image_id_of(raw) is None
        with pytest.raises(InvalidInput):
            check_image_ref(raw, "avatar")
