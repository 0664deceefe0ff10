"""Query parameters as Netvisor reads them: typed accessors that reject bad values with ``INVALID_DATA``.

Handlers use :class:`Params` to turn the raw query string values into dates, keys and key lists, so every resource
rejects a malformed date, a non-integer key or an over-long batch the same way, in English and Finnish. An empty
value counts as absent (``listtype=`` means "no list type"), as it does on Netvisor.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, datetime, time

from netvisor_sync.emulator.reply import Rejection

_DATE_FORMAT = "%Y-%m-%d"
_MOMENT_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")
_END_OF_DAY = time(23, 59, 59, 999999)


def invalid(en: str, fi: str) -> Rejection:
    """An ``INVALID_DATA`` rejection with both language versions of the text."""
    return Rejection("INVALID_DATA", en, fi)


class Params:
    """Read access to one request's query parameters (names case-insensitive, values as sent)."""

    def __init__(self, raw: Mapping[str, str]) -> None:
        self._values = {name.lower(): value.strip() for name, value in raw.items()}

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and bool(self._values.get(name.lower()))

    def given(self) -> set[str]:
        """Names of the parameters that carry a value."""
        return {name for name, value in self._values.items() if value}

    def text(self, name: str) -> str | None:
        return self._values.get(name) or None

    def require(self, name: str) -> str:
        value = self.text(name)
        if value is None:
            raise missing_parameter(name)
        return value

    def required_integer(self, name: str) -> int:
        value = self.integer(name)
        if value is None:
            raise missing_parameter(name)
        return value

    def required_date(self, name: str) -> date:
        value = self.day(name)
        if value is None:
            raise missing_parameter(name)
        return value

    def integer(self, name: str) -> int | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            raise _bad_value(name, value) from None

    def keys(self, name: str, limit: int | None = None) -> list[int] | None:
        """A comma-separated key list; more than ``limit`` keys is ``INVALID_DATA``, as on Netvisor."""
        value = self.text(name)
        if value is None:
            return None
        parts = [part.strip() for part in value.split(",") if part.strip()]
        if limit is not None and len(parts) > limit:
            raise invalid(
                f"Too many identifiers in {name}: {len(parts)}, at most {limit} allowed",
                f"Liian monta tunnistetta parametrissa {name}: {len(parts)}, enintään {limit} sallittu",
            )
        try:
            return [int(part) for part in parts]
        except ValueError:
            raise _bad_value(name, value) from None

    def words(self, name: str, limit: int | None = None) -> list[str] | None:
        """A comma-separated list of codes (``customercodelist``, ``codelist``)."""
        value = self.text(name)
        if value is None:
            return None
        parts = [part.strip() for part in value.split(",") if part.strip()]
        if limit is not None and len(parts) > limit:
            raise invalid(
                f"Too many values in {name}: {len(parts)}, at most {limit} allowed",
                f"Liian monta arvoa parametrissa {name}: {len(parts)}, enintään {limit} sallittu",
            )
        return parts

    def day(self, name: str) -> date | None:
        """A ``yyyy-MM-dd`` date."""
        value = self.text(name)
        if value is None:
            return None
        try:
            return datetime.strptime(value, _DATE_FORMAT).date()
        except ValueError:
            raise _bad_value(name, value) from None

    def days(self, name: str) -> list[date] | None:
        """A comma-separated list of ``yyyy-MM-dd`` dates (``balancedates``)."""
        value = self.text(name)
        if value is None:
            return None
        try:
            days = [datetime.strptime(part.strip(), _DATE_FORMAT).date() for part in value.split(",") if part.strip()]
        except ValueError:
            raise _bad_value(name, value) from None
        if not days:
            raise _bad_value(name, value)
        return days

    def moment(self, name: str, *, end: bool = False) -> datetime | None:
        """A date or a ``yyyy-MM-ddTHH:mm:ss`` time; a bare date as an upper bound (``end``) covers the whole day."""
        value = self.text(name)
        if value is None:
            return None
        for fmt in _MOMENT_FORMATS:
            try:
                return datetime.strptime(value, fmt)
            except ValueError:
                continue
        try:
            day = datetime.strptime(value, _DATE_FORMAT)
        except ValueError:
            raise _bad_value(name, value) from None
        return datetime.combine(day.date(), _END_OF_DAY) if end else day

    def flag(self, name: str) -> bool:
        """``1``/``true`` switch a flag on; absent, ``0`` and ``false`` leave it off."""
        value = self.text(name)
        if value is None or value.lower() in {"0", "false"}:
            return False
        if value.lower() in {"1", "true"}:
            return True
        raise _bad_value(name, value)

    def bits(self, name: str, width: int) -> int:
        """Bit flags (``replyoption``): an integer from 0 to ``2**width - 1``; absent is 0."""
        value = self.integer(name)
        if value is None:
            return 0
        if not 0 <= value < 1 << width:
            raise _bad_value(name, str(value))
        return value

    def choice(self, name: str, allowed: Collection[str]) -> str | None:
        value = self.text(name)
        if value is None:
            return None
        if value.lower() not in allowed:
            raise _bad_value(name, value)
        return value.lower()


def missing_parameter(name: str) -> Rejection:
    """``INVALID_DATA`` for a mandatory parameter that was not given."""
    return invalid(f"Mandatory parameter {name} is missing", f"Pakollinen parametri {name} puuttuu")


def _bad_value(name: str, value: str) -> Rejection:
    return invalid(
        f"Invalid value for parameter {name}: '{value}'",
        f"Virheellinen arvo parametrille {name}: '{value}'",
    )


def one_of(params: Params, *names: str) -> str:
    """The single name of ``names`` that was given; none or several is ``INVALID_DATA``."""
    given = [name for name in names if name in params]
    if len(given) != 1:
        listed = ", ".join(names)
        raise invalid(f"Give exactly one of the parameters {listed}", f"Anna täsmälleen yksi parametreista {listed}")
    return given[0]


def check_range(name_start: str, start: object, name_end: str, end: object) -> None:
    """Both ends given or neither; Netvisor refuses a half-open voucher date range."""
    if (start is None) != (end is None):
        raise invalid(
            f"Parameters {name_start} and {name_end} must be given together",
            f"Parametrit {name_start} ja {name_end} on annettava yhdessä",
        )
