"""The one ledger writer: entries and cached balances move together, whatever the entry point."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from forest.models import EnergyBalance, EnergyLedgerEntry
from forest.models.energy import Account, EntryKind
from forest.services.energy import ledger_audit
from forest.services.ledger import ledger_append, ledger_append_once
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def _balance(user_id: int, account: str) -> int:
    row = EnergyBalance.objects.filter(user_id=user_id, account=account).first()
    return row.grams if row else 0


def test_appending_moves_the_balances_by_the_same_grams():
    alice, bob = UserFactory(), UserFactory()
    now = timezone.now()
    ledger_append(
        rows=[
            (alice.pk, Account.BALANCE, EntryKind.STEAL, -30, "t:1:out", None),
            (bob.pk, Account.BALANCE, EntryKind.STEAL, 30, "t:1:in", None),
        ],
        now=now,
        memo="test",
    )
    assert (_balance(alice.pk, Account.BALANCE), _balance(bob.pk, Account.BALANCE)) == (-30, 30)
    assert set(EnergyLedgerEntry.objects.values_list("memo", flat=True)) == {"test"}
    assert ledger_audit().drift_count == 0


def test_a_key_appended_twice_fails_and_moves_nothing():
    alice = UserFactory()
    row = (alice.pk, Account.BALANCE, EntryKind.EARN, 10, "once:1", None)
    ledger_append(rows=[row], now=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        ledger_append(rows=[row], now=timezone.now())
    assert _balance(alice.pk, Account.BALANCE) == 10
    assert EnergyLedgerEntry.objects.count() == 1


def test_a_balance_the_caller_moved_itself_is_not_moved_again():
    giver, friend = UserFactory(), UserFactory()
    EnergyBalance.objects.create(user=giver, account=Account.BALANCE, grams=0)  # debited before
    ledger_append(
        rows=[
            (giver.pk, Account.BALANCE, EntryKind.WATER, -18, "w:out", None),
            (friend.pk, Account.TREE, EntryKind.WATER, 18, "w:in", None),
        ],
        now=timezone.now(),
        balances_moved={(giver.pk, Account.BALANCE)},
    )
    assert _balance(giver.pk, Account.BALANCE) == 0
    assert _balance(friend.pk, Account.TREE) == 18


def test_append_once_skips_known_keys_and_moves_only_the_new_rows():
    alice, bob = UserFactory(), UserFactory()
    now = timezone.now()
    first = (alice.pk, Account.BALANCE, EntryKind.EARN, 50, "bonus:alice", None)
    second = (bob.pk, Account.BALANCE, EntryKind.EARN, 50, "bonus:bob", None)
    assert ledger_append_once(rows=[first], now=now, memo="bonus") == [first]

    appended = ledger_append_once(rows=[first, second], now=now, memo="bonus")

    assert appended == [second]
    assert (_balance(alice.pk, Account.BALANCE), _balance(bob.pk, Account.BALANCE)) == (50, 50)
    assert EnergyLedgerEntry.objects.count() == 2
    assert ledger_audit().drift_count == 0
