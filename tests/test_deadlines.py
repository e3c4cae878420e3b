"""Deadlines of privacy requests (requests/deadlines.py): one month from receipt, counted as EU
Regulation 1182/71 art. 3 prescribes, with the public holidays of the Algemene termijnenwet
art. 3, days an administrator adds, the extension to three months (AVG art. 12(3)) and the
policy on waiting for identity information."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from requests import deadlines as d

D = date

# Each row worked out by hand with a calendar: receipt, extended?, extra holidays, deadline, why.
CASES = [
    # The day of receipt does not count; same date in the next month.
    (D(2026, 6, 10), False, (), D(2026, 7, 10), "Wed 10 June -> Fri 10 July"),
    (D(2026, 1, 15), False, (), D(2026, 2, 16), "15 Feb 2026 is a Sunday -> Monday"),
    (D(2026, 2, 14), False, (), D(2026, 3, 16), "14 March 2026 is a Saturday -> Monday"),
    # End of month: no such date -> the last day of that month.
    (D(2026, 1, 31), False, (), D(2026, 3, 2), "31 Jan -> Sat 28 Feb -> Mon 2 March"),
    (D(2026, 1, 29), False, (), D(2026, 3, 2), "29 Jan -> 28 Feb (no 29th in 2026) -> Mon"),
    (D(2024, 1, 31), False, (), D(2024, 2, 29), "leap year: 31 Jan -> Thu 29 Feb"),
    (D(2026, 3, 31), False, (), D(2026, 4, 30), "31st -> 30th: 31 March -> Thu 30 April"),
    (D(2026, 5, 31), False, (), D(2026, 6, 30), "31 May -> Tue 30 June"),
    (D(2026, 12, 15), False, (), D(2027, 1, 15), "over the year end -> Fri 15 Jan 2027"),
    # Each public holiday of the Algemene termijnenwet art. 3.
    (D(2025, 12, 1), False, (), D(2026, 1, 2), "New Year's Day (Thu) -> Fri 2 Jan"),
    (D(2026, 3, 3), False, (), D(2026, 4, 7), "Good Friday 3 April, weekend, Easter Monday"),
    (D(2026, 3, 6), False, (), D(2026, 4, 7), "Easter Monday 6 April -> Tue 7 April"),
    (D(2026, 3, 27), False, (), D(2026, 4, 28), "King's Day Mon 27 April -> Tue 28 April"),
    (D(2026, 4, 5), False, (), D(2026, 5, 6), "5 May (Tue 2026) -> Wed 6 May"),
    (D(2028, 4, 5), False, (), D(2028, 5, 8), "5 May every year, also 2028 (Fri) -> Mon"),
    (D(2027, 4, 5), False, (), D(2027, 5, 7), "5 May Wed, Ascension Day Thu 2027 -> Fri"),
    (D(2026, 4, 14), False, (), D(2026, 5, 15), "Ascension Day Thu 14 May -> Fri 15 May"),
    (D(2026, 4, 25), False, (), D(2026, 5, 26), "Whit Monday 25 May -> Tue 26 May"),
    (D(2024, 11, 25), False, (), D(2024, 12, 27), "Christmas Wed, Boxing Day Thu -> Fri 27"),
    (D(2024, 11, 26), False, (), D(2024, 12, 27), "Boxing Day Thu 26 Dec -> Fri 27"),
    (D(2026, 11, 25), False, (), D(2026, 12, 28), "Christmas Fri, Boxing Day Sat -> Mon 28"),
    # A day the administrator added.
    (D(2026, 6, 10), False, (D(2026, 7, 10),), D(2026, 7, 13), "extra holiday Fri -> Mon"),
    (D(2026, 6, 10), False, (D(2026, 7, 9),), D(2026, 7, 10), "extra day before: no effect"),
    # The extension: three months from receipt.
    (D(2026, 1, 15), True, (), D(2026, 4, 15), "extended: 15 Jan -> Wed 15 April"),
    (D(2025, 11, 30), True, (), D(2026, 3, 2), "extended: 30 Nov -> Sat 28 Feb -> Mon 2 March"),
    (D(2026, 1, 3), True, (), D(2026, 4, 7), "extended: ends on Good Friday -> Tue 7 April"),
]


@pytest.mark.parametrize(
    "received, extended, extra, expected, why", CASES, ids=[case[-1] for case in CASES]
)
def test_deadline_worked_out_by_hand(received, extended, extra, expected, why):
    assert d.request_deadline(received, extended=extended, extra_holidays=extra) == expected


@pytest.mark.parametrize(
    "year, easter",
    [
        (2024, D(2024, 3, 31)),
        (2025, D(2025, 4, 20)),
        (2026, D(2026, 4, 5)),
        (2027, D(2027, 3, 28)),
        (2019, D(2019, 4, 21)),
        (2038, D(2038, 4, 25)),  # the latest possible date
        (2285, D(2285, 3, 22)),  # the earliest possible date
    ],
)
def test_easter_sunday_on_known_dates(year, easter):
    assert d.easter_sunday(year) == easter


def test_public_holidays_of_2026():
    assert d.public_holidays(2026) == {
        D(2026, 1, 1): "Nieuwjaarsdag",
        D(2026, 4, 3): "Goede Vrijdag",
        D(2026, 4, 6): "Tweede Paasdag",
        D(2026, 4, 27): "Koningsdag",
        D(2026, 5, 5): "Bevrijdingsdag",
        D(2026, 5, 14): "Hemelvaartsdag",
        D(2026, 5, 25): "Tweede Pinksterdag",
        D(2026, 12, 25): "Eerste Kerstdag",
        D(2026, 12, 26): "Tweede Kerstdag",
    }


@pytest.mark.parametrize(
    "year, day", [(2025, D(2025, 4, 26)), (2014, D(2014, 4, 26)), (2026, D(2026, 4, 27))]
)
def test_kings_day_moves_to_the_26th_when_the_27th_is_a_sunday(year, day):
    assert d.kings_day(year) == day
    assert day in d.public_holidays(year)


def test_years_before_kings_day_are_refused():
    with pytest.raises(ValueError):
        d.public_holidays(2013)


@pytest.mark.parametrize(
    "day, months, expected",
    [
        (D(2026, 1, 31), 1, D(2026, 2, 28)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),
        (D(2026, 3, 31), 1, D(2026, 4, 30)),
        (D(2026, 11, 30), 3, D(2027, 2, 28)),
        (D(2026, 12, 31), 1, D(2027, 1, 31)),
        (D(2026, 10, 31), 3, D(2027, 1, 31)),
    ],
)
def test_add_months_ends_on_the_same_date_or_the_last_day(day, months, expected):
    assert d.add_months(day, months) == expected


def test_working_days():
    assert d.is_working_day(D(2026, 6, 10))
    assert not d.is_working_day(D(2026, 6, 13))  # Saturday
    assert not d.is_working_day(D(2026, 6, 14))  # Sunday
    assert not d.is_working_day(D(2026, 5, 5))
    assert not d.is_working_day(D(2026, 6, 10), extra_holidays=[D(2026, 6, 10)])
    assert d.next_working_day(D(2026, 6, 10)) == D(2026, 6, 10)
    assert d.next_working_day(D(2026, 4, 3)) == D(2026, 4, 7)


# --- waiting for identity information ---------------------------------------------------------


def test_suspend_policy_adds_the_days_waited():
    # Asked on 12 June, information arrived 19 June: 7 days; 10 July + 7 = Fri 17 July.
    waits = [(D(2026, 6, 12), D(2026, 6, 19))]
    assert d.request_deadline(D(2026, 6, 10), waits=waits, policy="suspend") == D(2026, 7, 17)


def test_suspension_is_added_before_moving_off_a_weekend():
    # 10 July + 8 days = Sat 18 July -> Mon 20 July.
    waits = [(D(2026, 6, 12), D(2026, 6, 20))]
    assert d.request_deadline(D(2026, 6, 10), waits=waits) == D(2026, 7, 20)


def test_none_policy_records_waits_but_keeps_the_deadline():
    waits = [(D(2026, 6, 12), D(2026, 6, 19))]
    assert d.request_deadline(D(2026, 6, 10), waits=waits, policy="none") == D(2026, 7, 10)


def test_an_open_wait_adds_nothing_yet():
    waits = [(D(2026, 6, 12), None)]
    assert d.request_deadline(D(2026, 6, 10), waits=waits) == D(2026, 7, 10)


def test_overlapping_waits_count_once_and_same_day_counts_nothing():
    waits = [
        (D(2026, 3, 3), D(2026, 3, 10)),
        (D(2026, 3, 8), D(2026, 3, 12)),
        (D(2026, 4, 1), D(2026, 4, 1)),
    ]
    assert d.suspended_days(waits) == 9


def test_suspension_also_moves_the_extended_deadline():
    waits = [(D(2026, 1, 20), D(2026, 1, 27))]  # 7 days
    assert d.request_deadline(D(2026, 1, 15), extended=True, waits=waits) == D(2026, 4, 22)


def test_a_wait_ending_before_it_starts_is_refused():
    with pytest.raises(ValueError):
        d.suspended_days([(D(2026, 3, 10), D(2026, 3, 3))])


def test_unknown_policy_is_refused():
    with pytest.raises(ValueError):
        d.request_deadline(D(2026, 3, 10), policy="restart")


# --- the extension ----------------------------------------------------------------------------


def test_extension_possible_until_the_end_of_the_first_month():
    # 15 Jan 2026: first month ends Mon 16 Feb (15 Feb is a Sunday).
    received = D(2026, 1, 15)
    assert d.may_extend(D(2026, 2, 16), received)
    assert not d.may_extend(D(2026, 2, 17), received)


def test_extension_window_follows_the_suspension():
    waits = [(D(2026, 1, 20), D(2026, 1, 27))]
    assert d.may_extend(D(2026, 2, 23), D(2026, 1, 15), waits=waits)  # 15 Feb + 7 = Sun 22 -> 23
    assert not d.may_extend(D(2026, 2, 24), D(2026, 1, 15), waits=waits)


# --- properties -------------------------------------------------------------------------------

FIRST = D(2018, 5, 25)  # the AVG applies from this day
LAST = D(2100, 12, 31)
receipts = st.dates(min_value=FIRST, max_value=LAST)
extra_days = st.lists(st.dates(min_value=FIRST, max_value=LAST), max_size=6)
PROPERTY = settings(max_examples=300, deadline=None)


def _near(received: date, offsets: list[int]) -> list[date]:
    # Extra holidays that matter lie just after the raw end of the period.
    return [received + timedelta(days=28 + offset) for offset in offsets]


def _longest_non_working_run(start: date, end: date, extra) -> int:
    longest = run = 0
    day = start
    while day <= end:
        run = 0 if d.is_working_day(day, extra) else run + 1
        longest = max(longest, run)
        day += timedelta(days=1)
    return longest


@PROPERTY
@given(receipts, st.lists(st.integers(0, 8), max_size=5), st.booleans())
def test_deadline_is_never_on_a_weekend_or_holiday(received, offsets, extended):
    extra = _near(received, offsets)
    deadline = d.request_deadline(received, extended=extended, extra_holidays=extra)
    assert deadline.weekday() < 5
    assert deadline not in d.public_holidays(deadline.year)
    assert deadline not in extra


@PROPERTY
@given(receipts, st.lists(st.integers(0, 8), max_size=5))
def test_deadline_lies_between_28_and_31_days_plus_non_working_days(received, offsets):
    extra = _near(received, offsets)
    deadline = d.request_deadline(received, extra_holidays=extra)
    assert deadline >= received + timedelta(days=28)
    run = _longest_non_working_run(received + timedelta(days=28), deadline, extra)
    assert deadline <= received + timedelta(days=31 + run)


@PROPERTY
@given(receipts, receipts, extra_days, st.booleans())
def test_deadline_is_monotonic_in_the_receipt_date(first, second, extra, extended):
    early, late = sorted((first, second))
    assert d.request_deadline(early, extended=extended, extra_holidays=extra) <= (
        d.request_deadline(late, extended=extended, extra_holidays=extra)
    )


@PROPERTY
@given(receipts, extra_days)
def test_extended_deadline_is_later_and_three_months_on(received, extra):
    short = d.request_deadline(received, extra_holidays=extra)
    long = d.request_deadline(received, extended=True, extra_holidays=extra)
    assert long > short
    assert long >= d.add_months(received, 3)


@PROPERTY
@given(receipts, st.integers(0, 60), st.integers(0, 60))
def test_waiting_longer_never_brings_the_deadline_forward(received, shorter, extra_wait):
    start = received + timedelta(days=1)
    waited = d.request_deadline(received, waits=[(start, start + timedelta(days=shorter))])
    longer = d.request_deadline(
        received, waits=[(start, start + timedelta(days=shorter + extra_wait))]
    )
    assert d.request_deadline(received) <= waited <= longer
