"""Web addresses: a scheme is added when missing; anything that is not a web address is refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.errors import InvalidValue
from crmkit.values.urls import normalize_url


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://www.example.pl", "https://www.example.pl"),
        ("http://example.pl/", "http://example.pl/"),
        ("www.example.pl", "https://www.example.pl"),
        ("example.pl/oferta?id=5#top", "https://example.pl/oferta?id=5#top"),
        ("  https://example.pl  ", "https://example.pl"),
        ("HTTPS://WWW.Example.PL/Oferta", "https://www.example.pl/Oferta"),
        ("example.pl:8080/x", "https://example.pl:8080/x"),
        ("https://sklep.żółw.pl", "https://sklep.żółw.pl"),
        ("https://my-shop.example.com.pl", "https://my-shop.example.com.pl"),
    ],
)
def test_normalize_url_examples(raw: str, expected: str) -> None:
    assert normalize_url(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "localhost",
        "example",
        "http://",
        "https://example",
        "example .pl",
        "www.example.pl/a b",
        "ftp://example.pl",
        "javascript:alert(1)",
        "mailto:biuro@example.pl",
        "https://www.bank.pl@evil.example",
        "https://a..pl",
        "https://-a.pl",
        "https://example.pl.",
        "example.pl:port",
    ],
)
def test_normalize_url_rejects(raw: str) -> None:
    with pytest.raises(InvalidValue, match="^not a URL$"):
        normalize_url(raw)


def test_normalize_url_empty() -> None:
    with pytest.raises(InvalidValue, match="^empty URL$"):
        normalize_url("   ")


labels = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
hosts = st.lists(labels, min_size=2, max_size=4).map(".".join)
paths = st.from_regex(r"(?:/[A-Za-z0-9._~%-]{0,8}){0,3}(?:\?[a-z]=[0-9]{1,3})?", fullmatch=True)


@given(hosts, paths, st.sampled_from(["", "http://", "https://", "HTTPS://"]))
def test_host_and_path_survive(host: str, path: str, scheme: str) -> None:
    expected_scheme = scheme.lower() or "https://"
    assert normalize_url(scheme + host.upper() + path) == expected_scheme + host + path


@given(st.text(max_size=30))
def test_normalizing_is_idempotent(raw: str) -> None:
    try:
        url = normalize_url(raw)
    except InvalidValue:
        return
    assert url.startswith(("http://", "https://"))
    assert normalize_url(url) == url
