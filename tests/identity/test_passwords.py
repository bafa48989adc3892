import pytest

from tokenbase.identity.errors import InvalidInput
from tokenbase.identity.passwords import (
    check_password_policy,
    hash_password,
    needs_rehash,
    verify_password,
)


def test_argon2id_hash_verifies_and_rejects():
    stored = hash_password("correct horse")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "correct horse")
    assert not verify_password(stored, "wrong horse")
    assert not verify_password(None, "anything")
    assert not verify_password("not-a-hash", "anything")
    assert not needs_rehash(stored)


def test_short_password_refused():
    with pytest.raises(InvalidInput, match="at least 8"):
        check_password_policy("short")
