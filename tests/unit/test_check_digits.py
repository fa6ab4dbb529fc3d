"""The one vectorised check of USCCs and citizen ID numbers agrees with python-stdnum."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric, uscc

from lakehouse.check_digits import (
    USCC_ALPHABET,
    as_bytes,
    ric_check_chars,
    ric_checks_match,
    uscc_check_chars,
    uscc_values,
    valid_usccs,
)

DIGITS = "0123456789"
uscc_bodies = st.tuples(st.text(DIGITS, min_size=8, max_size=8), st.text(USCC_ALPHABET, min_size=9, max_size=9)).map("".join)
# near-misses too: letters stdnum refuses (I, O, S, V, Z), lower case, a letter among the first eight
any_char = st.sampled_from(USCC_ALPHABET + "IOSVZa")
candidates = st.one_of(
    uscc_bodies.flatmap(lambda b: st.sampled_from(USCC_ALPHABET).map(lambda c: b + c)), st.text(any_char, min_size=18, max_size=18)
)


@settings(max_examples=300, deadline=None)
@given(st.lists(uscc_bodies, min_size=1, max_size=20))
def test_uscc_check_character_is_stdnums(bodies):
    got = uscc_check_chars(uscc_values(as_bytes(bodies, 17))).tobytes().decode()
    assert list(got) == [uscc.calc_check_digit(b + "0") for b in bodies]


@settings(max_examples=300, deadline=None)
@given(st.lists(candidates, min_size=1, max_size=20))
def test_uscc_validity_is_stdnums(codes):
    expected = [uscc.is_valid(c) for c in codes]
    assert valid_usccs(as_bytes(codes)).tolist() == expected
    assert valid_usccs(np.array([c.encode() for c in codes], dtype="S18")).tolist() == expected  # the API's index form


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(DIGITS, min_size=17, max_size=17), min_size=1, max_size=20), st.sampled_from("0123456789X"))
def test_ric_check_character_is_stdnums(bodies, last):
    codes = as_bytes([b + last for b in bodies])
    assert ric_check_chars(codes).tobytes().decode() == "".join(ric.calc_check_digit(b + last) for b in bodies)
    assert ric_checks_match(codes).tolist() == [ric.calc_check_digit(b + last) == last for b in bodies]


def test_a_real_code_passes_and_a_changed_one_fails():
    good = "91440604MA4UH5QX0K"[:17]
    good += uscc.calc_check_digit(good + "0")
    wrong = good[:17] + ("1" if good[17] != "1" else "2")
    assert valid_usccs(as_bytes([good, wrong])).tolist() == [True, False]
    assert valid_usccs(np.zeros((0, 18), dtype=np.uint8)).tolist() == []
