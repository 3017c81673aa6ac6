"""The server never answers 500 to a client's input, and bad input never changes the store."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stixgen import indicator
from taxiiclient import TAXII, Api

from accord.config import Settings
from accord.node import open_node


@pytest.fixture(scope="module")
def fuzz_api(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz")
    node, _ = open_node(Settings(path, f"sqlite:///{path / 'a.db'}"))
    api = Api(node)
    who = api.org("fuzzer")
    coll = api.collection("Fuzz", read=["fuzzer"], write=["fuzzer"])
    api.post_objects(coll, who, indicator("anchor"))
    yield api, who, coll
    node.close()


_param_names = st.sampled_from(
    ["added_after", "limit", "next", "match[id]", "match[type]", "match[version]", "match[spec_version]", "x"]
)
_param_values = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["0", "-1", "99999999999999999999", "last,first", "2026-01-01T00:00:00Z", "all", ",,,"]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    params=st.dictionaries(_param_names, _param_values, max_size=4),
    path=st.sampled_from(["objects/", "manifest/", "objects/indicator--1/", "objects/%s/versions/"]),
)
def test_random_query_parameters_never_500(fuzz_api, params: dict, path: str) -> None:
    api, who, coll = fuzz_api
    if "%s" in path:
        path = path % indicator("anchor")["id"]
    r = api.get(f"/default/collections/{coll}/{path}", who, params=params)
    assert r.status_code < 500, (params, r.text)
    assert r.headers["content-type"] == TAXII


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


_mutated_indicator = st.builds(
    lambda extra: {**indicator("fuzzed"), **extra},
    st.dictionaries(
        st.sampled_from(
            [
                "id",
                "type",
                "created",
                "modified",
                "pattern",
                "spec_version",
                "object_marking_refs",
                "x_accord_recipients",
                "valid_until",
                "revoked",
                "labels",
            ]
        ),
        _json_values,
        max_size=3,
    ),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(objects=st.lists(st.one_of(_json_values, _mutated_indicator), max_size=5))
def test_random_objects_never_500_and_invalid_ones_are_not_stored(fuzz_api, objects: list) -> None:
    api, who, coll = fuzz_api
    r = api.request(
        "POST", f"/default/collections/{coll}/objects/", who, content=orjson.dumps({"objects": objects})
    )
    assert r.status_code in (202, 400, 422), r.text
    if r.status_code == 202:
        status = r.json()
        assert status["total_count"] == len(objects)
        assert status["success_count"] + status["failure_count"] == len(objects)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=200))
def test_random_bodies_never_500(fuzz_api, body: bytes) -> None:
    api, who, coll = fuzz_api
    r = api.request(
        "POST", f"/default/collections/{coll}/objects/", who, headers={"Content-Type": TAXII}, content=body
    )
    assert r.status_code in (202, 400, 422), r.text


def test_too_many_filter_values_is_400(fuzz_api) -> None:
    api, who, coll = fuzz_api
    many = ",".join(f"indicator--{i:08d}-0000-4000-8000-000000000000" for i in range(1001))
    assert (
        api.get(f"/default/collections/{coll}/objects/", who, params={"match[id]": many}).status_code == 400
    )
    some = ",".join(f"indicator--{i:08d}-0000-4000-8000-000000000000" for i in range(1000))
    assert (
        api.get(f"/default/collections/{coll}/objects/", who, params={"match[id]": some}).status_code == 200
    )
