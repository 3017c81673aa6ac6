"""Property tests: no pattern backtracks catastrophically and output is stable.

Hypothesis deadlines are disabled (shared machine); a SIGALRM guard turns a runaway regex into a
failure instead of a hung suite. The guard is 30 s for inputs that take milliseconds, so it only
fires on super-linear behaviour, never on a slow machine.
"""

import signal
import string
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.extract import find_indicators, normalize

FUZZ = settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])


@contextmanager
def hang_guard(seconds: int = 30) -> Iterator[None]:
    def boom(signum: int, frame: object) -> None:
        raise AssertionError("extraction did not finish: super-linear behaviour")

    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def ten_kb(alphabet: str) -> st.SearchStrategy[str]:
    """A 10 KB line built by repeating a random chunk (Hypothesis caps raw example size)."""
    chunk = st.text(alphabet=alphabet, min_size=50, max_size=800)
    return chunk.map(lambda s: (s * (10_240 // len(s) + 1))[:10_240])


@FUZZ
@given(ten_kb("0123456789abcdefABCDEF"))
def test_long_hex_line_never_yields_a_hash(hexline: str) -> None:
    with hang_guard():
        found = find_indicators(hexline)
    assert not {"md5", "sha1", "sha256", "sha512"} & found.keys()


@FUZZ
@given(ten_kb(string.ascii_letters + string.digits + "+/"))
def test_long_base64_line_is_handled(b64: str) -> None:
    with hang_guard():
        found = find_indicators(b64)
    for values in found.values():
        assert all(v in b64 or v.lower() in b64.lower() for v in values)


ADVERSARIAL = [
    "a." * 5000,
    "1." * 5000,
    "1.2.3." * 2000,
    "a-" * 5000 + ".com",
    "HKLM\\" + "a b " * 3000,
    "x@" * 5000,
    "a@b." * 3000,
    ":" * 10000,
    "1:" * 5000,
    "http://" + "a." * 5000,
    "[.]" * 3000,
    "hxxp" * 3000,
    "CVE-" * 3000,
    "1" + "a" * 10000,
    "bc1" + "q" * 10000,
    "例." * 5000,
    "例子" * 5000 + ".中国",
    "例.中国" * 3000,
    "http://" + "例。" * 5000,
    "http://" + "例.中国" * 3000,
    "a@" + "例." * 5000,
    "www。" * 3000 + "例。中国",
    "مثال." * 3000,
    "例[.]" * 3000,
]


@pytest.mark.parametrize("text", ADVERSARIAL, ids=range(len(ADVERSARIAL)))
def test_adversarial_inputs_finish(text: str) -> None:
    with hang_guard():
        find_indicators(text)


@FUZZ
@given(st.text(min_size=0, max_size=400))
def test_any_unicode_text_is_safe_and_normalize_is_idempotent_on_output(text: str) -> None:
    found = find_indicators(text)
    for kind, values in found.items():
        assert values == sorted(set(values)), kind
        for value in values:
            assert value == value.strip()
            assert value[-1] not in ".,;:!?،。，"
    once = normalize(text)
    assert normalize(once) == normalize(once)


@FUZZ
@given(
    st.tuples(*[st.integers(0, 255)] * 4),
    st.sampled_from(["", "，", "。", "،", ".", ")"]),
    st.sampled_from(["", "攻击", "الخادم", " "]),
)
def test_any_valid_ipv4_is_found_with_any_glue(octets: tuple[int, ...], after: str, before: str) -> None:
    ip = ".".join(map(str, octets))
    found = find_indicators(f"{before}{ip}{after}")
    if octets[0] == 0:
        assert "ipv4" not in found
    else:
        assert found["ipv4"] == [ip]
