"""The records of the Soclook API: what a list query may ask and how it is spelt."""

from __future__ import annotations

import pytest

from handlers_app.soclook import ListQuery

# --- the list query ------------------------------------------------------------------------


def test_a_list_query_sends_only_what_is_set() -> None:
    assert ListQuery().to_params() == {"page": "1", "results_per_page": "25"}
    assert ListQuery(is_enabled=0, search="", type="").to_params() == {
        "page": "1",
        "results_per_page": "25",
        "is_enabled": "0",
    }


@pytest.mark.parametrize(
    "kwargs",
    [
        {"page": 0},
        {"results_per_page": 30},
        {"is_enabled": 3},
        {"order_by": "id"},
        {"order_type": "desc"},
    ],
)
def test_a_list_query_refuses_what_the_service_would_silently_replace(kwargs) -> None:
    with pytest.raises(ValueError):
        ListQuery(**kwargs)


def test_a_list_query_read_back_from_the_lists_address_is_the_same_query() -> None:
    query = ListQuery(
        page=3,
        results_per_page=50,
        type="email",
        is_enabled=0,
        search="Ops",
        order_by="name",
        order_type="DESC",
    )
    assert ListQuery.from_params(query.to_params(omit_defaults=True)) == query
    assert ListQuery().to_params(omit_defaults=True) == {}
