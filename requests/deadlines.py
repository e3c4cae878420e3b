"""Deadlines of privacy requests, as plain functions (issue 6).

AVG art. 12(3): the controller answers "without undue delay and in any event within one month of
receipt of the request"; "that period may be extended by two further months where necessary",
with reasons told to the requester within the first month. Periods are counted as EU Regulation
1182/71 (art. 3) prescribes:

- the day of receipt does not count (art. 3(1));
- a period in months ends at the end of the day in the last month with the same date as the day
  of receipt, or at the end of that month's last day when it has no such date (art. 3(2)(c));
- a period whose last day is a Saturday, Sunday or public holiday ends at the end of the next
  working day (art. 3(4)).

Public holidays are those of the Algemene termijnenwet art. 3 (New Year's Day, Good Friday,
Easter Monday, King's Day, 5 May, Ascension Day, Whit Monday, Christmas and Boxing Day), plus the
days an administrator adds (`ExtraHoliday`); the functions take those extra days as an argument
so that they stay pure.

Waiting for identity information (policy `REQUEST_ID_WAIT_POLICY`):

- ``"suspend"`` (default): while the desk waits for information it needs to identify the
  requester (AVG art. 12(6)), the clock stands still. A wait from day S (the day the desk asked)
  to day E (the day the information arrived) adds E - S days to the end of the period, before
  the end is moved off a weekend or holiday. A wait that is still open adds nothing yet: the
  stored deadline is the earliest possible one and moves on when the information arrives.
- ``"none"``: waits are recorded and shown to the requester, but the deadline does not move.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Optional
from zoneinfo import ZoneInfo

WAIT_SUSPEND = "suspend"
WAIT_NONE = "none"
WAIT_POLICIES = (WAIT_SUSPEND, WAIT_NONE)

# AVG art. 12(3): one month, extendable "by two further months": three months from receipt.
MONTHS = 1
EXTENDED_MONTHS = 3

# King's Day exists since 2014 (before that Queen's Day fell on other dates); no AVG request
# predates 25 May 2018, so earlier years are outside this module's task.
FIRST_YEAR = 2014

LOCAL_TIME = ZoneInfo("Europe/Amsterdam")

Wait = tuple[date, Optional[date]]


def today() -> date:
    """The date in Nijmegen, whatever the server's time zone."""
    return datetime.now(LOCAL_TIME).date()


def easter_sunday(year: int) -> date:
    """Easter Sunday in the Gregorian calendar (the anonymous Gregorian algorithm, also known as
    Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month, day = divmod(h + leap - 7 * m + 114, 31)
    return date(year, month, day + 1)


def kings_day(year: int) -> date:
    """27 April, or 26 April when the 27th is a Sunday (Wet vaststelling Koningsdag)."""
    day = date(year, 4, 27)
    return day - timedelta(days=1) if day.weekday() == 6 else day


def public_holidays(year: int) -> dict[date, str]:
    """The public holidays of the Algemene termijnenwet art. 3 in `year`, with their names."""
    if year < FIRST_YEAR:
        raise ValueError(f"public holidays are known from {FIRST_YEAR} on")
    easter = easter_sunday(year)
    return {
        date(year, 1, 1): "Nieuwjaarsdag",
        easter - timedelta(days=2): "Goede Vrijdag",
        easter + timedelta(days=1): "Tweede Paasdag",
        kings_day(year): "Koningsdag",
        date(year, 5, 5): "Bevrijdingsdag",
        easter + timedelta(days=39): "Hemelvaartsdag",
        easter + timedelta(days=50): "Tweede Pinksterdag",
        date(year, 12, 25): "Eerste Kerstdag",
        date(year, 12, 26): "Tweede Kerstdag",
    }


def is_working_day(day: date, extra_holidays: Iterable[date] = ()) -> bool:
    """Not a Saturday, Sunday, public holiday or a day the administrator added."""
    if day.weekday() >= 5:
        return False
    if day in public_holidays(day.year):
        return False
    return day not in _as_set(extra_holidays)


def next_working_day(day: date, extra_holidays: Iterable[date] = ()) -> date:
    """`day` itself when it is a working day, else the first working day after it
    (Regulation 1182/71 art. 3(4))."""
    extra = _as_set(extra_holidays)
    while not is_working_day(day, extra):
        day += timedelta(days=1)
    return day


def add_months(day: date, months: int) -> date:
    """The same date `months` later, or the last day of that month when it has no such date
    (Regulation 1182/71 art. 3(2)(c)): 31 January + 1 month = 28 (or 29) February."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def suspended_days(waits: Iterable[Wait]) -> int:
    """Days the clock stood still: a wait from S to E counts E - S days; overlapping waits count
    once; an open wait (E is None) counts nothing yet."""
    closed = sorted((start, end) for start, end in waits if end is not None)
    if any(end < start for start, end in closed):
        raise ValueError("a wait cannot end before it starts")
    total = 0
    merged: Optional[list[date]] = None
    for start, end in closed:
        if merged is not None and start <= merged[1]:
            merged[1] = max(merged[1], end)
            continue
        if merged is not None:
            total += (merged[1] - merged[0]).days
        merged = [start, end]
    if merged is not None:
        total += (merged[1] - merged[0]).days
    return total


def period_end(
    received_on: date,
    months: int,
    *,
    waits: Iterable[Wait] = (),
    policy: str = WAIT_SUSPEND,
    extra_holidays: Iterable[date] = (),
) -> date:
    """The last day of a period of `months` months from receipt, on which the answer may still
    be given: the same date in the last month (or its last day), plus the days suspended while
    waiting for identity information, moved to the next working day."""
    if policy not in WAIT_POLICIES:
        raise ValueError(f"unknown identity wait policy {policy!r}")
    end = add_months(received_on, months)
    if policy == WAIT_SUSPEND:
        end += timedelta(days=suspended_days(waits))
    return next_working_day(end, extra_holidays)


def first_deadline(received_on: date, **kwargs) -> date:
    """One month from receipt (AVG art. 12(3)); also the last day on which an extension can be
    given."""
    return period_end(received_on, MONTHS, **kwargs)


def request_deadline(received_on: date, *, extended: bool = False, **kwargs) -> date:
    """The deadline of a request: one month from receipt, or three months when extended."""
    return period_end(received_on, EXTENDED_MONTHS if extended else MONTHS, **kwargs)


def may_extend(on: date, received_on: date, **kwargs) -> bool:
    """An extension is only possible before the first month ends (AVG art. 12(3): the requester
    is told "within one month of receipt")."""
    return on <= first_deadline(received_on, **kwargs)


def holidays_between(start: date, end: date, extra_holidays: Iterable[date] = ()) -> list[date]:
    """Public and extra holidays from `start` to `end` inclusive, in order (for display)."""
    days = {
        day
        for year in range(start.year, end.year + 1)
        for day in public_holidays(year)
        if start <= day <= end
    }
    days |= {day for day in _as_set(extra_holidays) if start <= day <= end}
    return sorted(days)


def working_days_between(start: date, end: date, extra_holidays: Iterable[date] = ()) -> int:
    """Working days after `start` up to and including `end` (0 when `end` is not after `start`):
    from Friday to the next Monday is 1, from a day to itself 0. Used by the reminder
    (`flask requests remind`): a request is due within 5 working days when this is at most 5."""
    if end <= start:
        return 0
    extra = _as_set(extra_holidays)
    count = 0
    day = start + timedelta(days=1)
    while day <= end:
        if is_working_day(day, extra):
            count += 1
        day += timedelta(days=1)
    return count


def _as_set(days: Iterable[date]) -> frozenset[date]:
    return days if isinstance(days, frozenset) else frozenset(days)


DUE_SOON_DAYS = 7


def urgency(deadline: date, on: date, *, running: bool = True) -> Optional[str]:
    """How the queue marks a request: "overdue" after its deadline, "due_soon" within a week,
    None otherwise or when its clock does not run (answered, or waiting for identity
    information under the "suspend" policy)."""
    if not running:
        return None
    days_left = (deadline - on).days
    if days_left < 0:
        return "overdue"
    if days_left <= DUE_SOON_DAYS:
        return "due_soon"
    return None
