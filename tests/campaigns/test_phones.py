"""Number normalization: the fast path must agree with phonenumbers' public API on every number."""

from __future__ import annotations

import random

import pytest

from campaigns.model.phones import PhoneBook, PhoneError, describe, describe_slow

SAMPLES = ["+33612345678", "+33142345678", "+12085551234", "+447700900123", "+212612345678", "+262692123456",
           "+590690123456", "0692123456", "+33692123456", "+4930123456", "+390612345678", "+78001234567",
           "+14165550100", "+61212345678", "+819012345678", "+5511987654321", "06 12 34 56 78", "0033612345678"]


def test_fast_normalization_agrees_with_the_reference_path():
    rng = random.Random(3)
    numbers = SAMPLES + [f"+{rng.choice([1, 33, 44, 49, 34, 39, 7, 81, 86, 91, 212, 262, 590])}"
                         f"{rng.randrange(10**8, 10**10)}" for _ in range(2000)]

    def outcome(describer, number):  # type: ignore[no-untyped-def]
        try:
            return describer(number)
        except PhoneError as error:  # not a possible number: both must refuse it alike
            return str(error)

    assert [] == [n for n in numbers if outcome(describe, n) != outcome(describe_slow, n)]


def test_numbers_are_e164_and_cached_under_both_spellings():
    book = PhoneBook("FR")
    info = book.lookup("06 12 34 56 78")

    assert ("+33612345678", "FR", ("Europe/Paris",), "mobile") == (info.e164, info.country, info.zones, info.kind)
    assert info is book.lookup("+33612345678")
    with pytest.raises(PhoneError):
        book.lookup("not a number")


def test_compiled_number_type_agrees_with_phonenumbers_on_every_region():
    """phones.number_type (patterns compiled once) must give phonenumbers' own type for every region's
    metadata, on example numbers and on random national numbers of every possible length."""
    import phonenumbers
    from phonenumbers import PhoneMetadata
    from phonenumbers.phonenumberutil import _number_type_helper

    from campaigns.model.phones import number_type

    rng = random.Random(5)
    checked = 0
    disagree = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        metadata = PhoneMetadata.metadata_for_region(region)
        samples = []
        for kind in range(12):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                samples.append(phonenumbers.national_significant_number(example))
        samples += [str(rng.randrange(10 ** (n - 1), 10 ** n)) for n in range(4, 14) for _ in range(8)]
        for nsn in samples:
            checked += 1
            if number_type(nsn, metadata) != _number_type_helper(nsn, metadata):
                disagree.append((region, nsn))
    assert checked > 20000
    assert [] == disagree
