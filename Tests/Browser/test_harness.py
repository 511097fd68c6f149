"""The test loopback refuses commands it does not understand, saying which."""

import pytest

from harness import Loopback


def test_the_loopback_names_what_is_wrong_with_a_command(tmp_path):
    loopback = Loopback(tmp_path)
    try:
        loopback.enqueue(text="fine")
        with pytest.raises(AssertionError, match=r"none of text, thinking, slow_words, tool or error: \[\"nope\"\]"):
            loopback.enqueue(nope=1)
    finally:
        loopback.close()
