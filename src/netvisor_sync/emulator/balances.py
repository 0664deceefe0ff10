"""Account totals as ``accountbalance.nv`` reports them: per account, the debit and the credit sums up to a day.

:class:`Postings` collects debit and credit sums per (day, account) as vouchers are added (or taken out again);
:class:`Totals` turns them into running sums per account, so the balance on any day is one bisection. Debit sums
the positive and credit the negated negative line sums, line by line, as Netvisor's trial balance does.

Memory is bounded by accounts × days with postings, never by voucher lines: ``books`` sums the generated history
month block by month block into one cached :class:`Totals` (from ``voucher_blocks.BlockPostings``, without building
vouchers) and adds the vouchers changed since on top per request; :func:`of_vouchers` serves any other
``model.CompanyView`` (the test fakes) by reading its vouchers.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Collection, Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Generic, TypeVar

from netvisor_sync.emulator.model import Voucher, VoucherLine

#: a sum: whole cents (``int``) for the generated books, ``Decimal`` for vouchers as they are
N = TypeVar("N", int, Decimal)
#: per account number, the (debit, credit) totals on each requested day
Table = dict[int, list[tuple[Decimal, Decimal]]]
ZERO = Decimal("0.00")


class Postings(Generic[N]):
    """Debit and credit sums per day and account number."""

    __slots__ = ("days", "zero")

    def __init__(self, zero: N) -> None:
        self.zero: N = zero
        #: day -> account number -> [debit, credit]
        self.days: dict[date, dict[int, list[N]]] = {}

    def add_all(self, day: date, split: Iterable[tuple[int, N, N]], times: int = 1) -> None:
        """Add ``(account, debit, credit)`` triples (what :func:`split_lines` makes of a voucher's lines), each
        ``times`` over (a payment's split of one cent times its sum in cents)."""
        sums = self.days.get(day)
        if sums is None:
            sums = self.days[day] = {}
        for account, debit, credit in split:
            entry = sums.get(account)
            if entry is None:
                sums[account] = [debit * times, credit * times]
            else:
                entry[0] += debit * times
                entry[1] += credit * times


def split_lines(lines: Iterable[VoucherLine], sign: int = 1) -> list[tuple[int, Decimal, Decimal]]:
    """``(account, debit, credit)`` per line: a positive line sum is a debit, any other a credit; ``sign=-1`` takes
    the lines out again (a changed voucher's generated version)."""
    out = []
    for line in lines:
        amount = line.line_sum
        debit, credit = (amount, ZERO) if amount > 0 else (ZERO, -amount)
        out.append((line.account_number, sign * debit, sign * credit))
    return out


class Totals(Generic[N]):
    """Running debit and credit sums per account; days are added in ascending order (:meth:`extend`)."""

    __slots__ = ("_accounts", "_last", "zero")

    def __init__(self, zero: N) -> None:
        self.zero: N = zero
        #: account number -> (days with postings ascending, running debits, running credits)
        self._accounts: dict[int, tuple[list[date], list[N], list[N]]] = {}
        self._last: date | None = None

    @classmethod
    def of(cls, postings: Postings[N]) -> Totals[N]:
        totals = cls(postings.zero)
        totals.extend(postings)
        return totals

    def extend(self, postings: Postings[N]) -> None:
        """Add the postings of days after every day already held."""
        days = sorted(postings.days)
        if days and self._last is not None and days[0] <= self._last:
            raise ValueError(f"postings of {days[0]} come after {self._last}; add days in ascending order")
        for day in days:
            for account, (debit, credit) in postings.days[day].items():
                held = self._accounts.get(account)
                if held is None:
                    self._accounts[account] = ([day], [debit], [credit])
                else:
                    held[0].append(day)
                    held[1].append(held[1][-1] + debit)
                    held[2].append(held[2][-1] + credit)
        if days:
            self._last = days[-1]

    def accounts(self) -> set[int]:
        return set(self._accounts)

    def on(self, account: int, day: date) -> tuple[N, N]:
        """(debit, credit) of ``account`` up to and including ``day``."""
        held = self._accounts.get(account)
        if held is None:
            return self.zero, self.zero
        index = bisect_right(held[0], day)
        return (held[1][index - 1], held[2][index - 1]) if index else (self.zero, self.zero)

    def first_day(self, account: int) -> date | None:
        held = self._accounts.get(account)
        return held[0][0] if held else None


def voucher_postings(vouchers: Iterable[tuple[Voucher, int]]) -> Postings[Decimal]:
    """The postings of valid vouchers, each added (sign 1) or taken out (sign -1)."""
    postings: Postings[Decimal] = Postings(ZERO)
    for voucher, sign in vouchers:
        if voucher.status == "valid":
            postings.add_all(voucher.date, split_lines(voucher.lines, sign))
    return postings


def of_vouchers(vouchers: Iterable[Voucher], numbers: Collection[int], days: Sequence[date]) -> Table:
    """The :data:`Table` of ``numbers`` on ``days`` read from every voucher (for a small or hand-made company)."""
    last = max(days, default=None)
    totals = Totals.of(voucher_postings((v, 1) for v in vouchers if last is not None and v.date <= last))
    return {n: [totals.on(n, day) for day in days] for n in numbers}
