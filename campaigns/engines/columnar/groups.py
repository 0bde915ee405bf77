"""Who each attempt is to: the persons file's numbers, and dense ids of (principal, person key) groups,
the key the row engine's Ledger files a person's history under."""

from __future__ import annotations

from itertools import repeat

import numpy as np

from campaigns.engines.columnar.columns import Grow, Names
from campaigns.model.identity import Identity

PERSON = 1 << 52  # person tokens: PERSON + person index; lead tokens: LEAD + lead id; else the number key
LEAD = 1 << 53
TOKEN = (1 << 55) - 1  # packed group: principal << 55 | token


class Groups:
    """Group ids of (principal, person key), made on the reader thread (`of`), named on the judging one."""

    def __init__(self, names: Names, identity: Identity) -> None:
        self.names = names
        person_keys, person_index = [], []
        for phone, person in identity.person_of_phone.items():
            person_keys.append(names.numbers.key_of(phone))
            person_index.append(names.person_ids.id(person))
        order = np.argsort(np.array(person_keys, np.int64), kind="stable")
        self._person_phone_keys = np.array(person_keys, np.int64)[order]
        self._person_of_key = np.array(person_index, np.int64)[order]
        self.person_region = np.array([names.regions.id(identity.region(p)) for p in names.person_ids.names] or [0],
                                      np.int32)
        """Region id of each listed person (0: none)."""
        self._tuples: dict[tuple[int, int], int] = {}
        # per group id: principal << 55 | person token, or (principal, token) for principals past the 255th
        self._composite: list[int | tuple[int, int]] = []
        self._packed = Grow(-1, np.int64)  # the same as an array, -1 for groups kept in `_tuples` (a tuple)
        self._keys = np.zeros(0, np.int64)  # the composites, sorted, and their ids
        self._ids = np.zeros(0, np.int64)
        self._people = np.empty(0, object)  # per group: (person_key, basis, person_id), once asked for
        self._people_known = np.zeros(0, bool)

    def __len__(self) -> int:
        return len(self._composite)

    def persons(self, keys: np.ndarray) -> np.ndarray:
        """Person index of each number key (-1 when the persons file does not list it)."""
        if not len(self._person_phone_keys):
            return np.full(len(keys), -1, np.int64)
        at = np.searchsorted(self._person_phone_keys, keys)
        at = np.minimum(at, len(self._person_phone_keys) - 1)
        return np.where(self._person_phone_keys[at] == keys, self._person_of_key[at], -1)

    def of(self, principal: np.ndarray, key: np.ndarray, person: np.ndarray, lead: np.ndarray | None) -> np.ndarray:
        """Dense id of (principal, person key): the person when listed, else the lead, else the number."""
        token = np.where(person >= 0, PERSON + person.astype(np.int64), key.astype(np.int64))
        if lead is not None:
            has_lead = (person < 0) & (lead != self.names.leads.ids.get("", -1))
            token = np.where(has_lead, LEAD + lead.astype(np.int64), token)
        many = principal >= 255  # principals past the 255th: a dict instead of packed integers
        if many.any():
            out = np.empty(len(token), np.int64)
            out[many] = [self._group_of((p, t)) for p, t in zip(principal[many].tolist(), token[many].tolist(),
                                                                 strict=True)]
            few = np.flatnonzero(~many)
            out[few] = self.of(principal[few], key[few], person[few], None if lead is None else lead[few])
            return out
        composite = (principal.astype(np.int64) << 55) | token
        unique, inverse = np.unique(composite, return_inverse=True)
        known = self._keys
        at = np.minimum(np.searchsorted(known, unique), max(len(known) - 1, 0))
        found = known[at] == unique if len(known) else np.zeros(len(unique), bool)
        ids = np.empty(len(unique), np.int64)
        ids[found] = self._ids[at[found]]
        new = unique[~found]
        first = len(self._composite)
        self._packed.ensure(first + len(new))
        self._packed.values[first:first + len(new)] = new
        ids[~found] = first + np.arange(len(new))
        self._composite.extend(new.tolist())
        keys = np.concatenate([known, new])
        order = np.argsort(keys, kind="stable")
        self._keys = keys[order]
        self._ids = np.concatenate([self._ids, ids[~found]])[order]
        return ids[inverse.reshape(-1)] if len(unique) else np.zeros(0, np.int64)

    def _group_of(self, pair: tuple[int, int]) -> int:
        hit = self._tuples.get(pair)
        if hit is None:
            hit = self._tuples[pair] = len(self._composite)
            self._composite.append(pair)
        return hit

    def name(self, group: int) -> tuple[str, str]:
        """(principal, person key) of a group, as the Ledger keys it."""
        value = self._composite[group]
        p, t = value if isinstance(value, tuple) else (value >> 55, value & TOKEN)
        names = self.names
        if t >= LEAD:
            person_key = "l:" + names.leads.names[t - LEAD]
        elif t >= PERSON:
            person_key = "p:" + names.person_ids.names[t - PERSON]
        else:
            person_key = "n:" + names.numbers.e164(t)
        return names.principals.names[p], person_key

    def principals(self, groups: np.ndarray) -> np.ndarray:
        """Principal id of each group."""
        self._packed.ensure(len(self._composite))
        packed = self._packed.values[groups]
        principal = np.where(packed >= 0, packed >> 55, 0)
        for k in np.flatnonzero(packed < 0).tolist():  # groups kept as (principal, token) tuples
            value = self._composite[int(groups[k])]
            principal[k] = value[0] if isinstance(value, tuple) else value >> 55
        return principal

    def people(self, groups: np.ndarray) -> list[tuple[str, str, str]]:
        """(person_key, basis, person_id) of each group, as Identity.key gives them (made once per group,
        gathered from an object array)."""
        size = len(self._composite)
        if len(self._people) < size:
            grown = max(size, 2 * len(self._people))
            people, known = np.empty(grown, object), np.zeros(grown, bool)
            people[:len(self._people)], known[:len(self._people)] = self._people, self._people_known
            self._people, self._people_known = people, known
        new = np.unique(groups[~self._people_known[groups]])
        if new.size:
            self._name_people(new)
            self._people_known[new] = True
        return self._people[groups].tolist()

    def _name_people(self, groups: np.ndarray) -> None:
        """Fill `_people` for these groups: person ("p:"), lead ("l:") or number ("n:") keys, each kind's
        tuples made at once."""
        people = self._people
        names = self.names
        self._packed.ensure(len(self._composite))
        packed = self._packed.values[groups]
        tuples = packed < 0
        for g in groups[tuples].tolist():
            key = self.name(g)[1]
            people[g] = (key, "person", key[2:]) if key[0] == "p" else (key, "lead" if key[0] == "l" else "number", "")
        groups, token = groups[~tuples], packed[~tuples] & TOKEN
        number, person = token < PERSON, (token >= PERSON) & (token < LEAD)
        lead = token >= LEAD
        numbers = ["n:" + text for text in names.numbers.texts(token[number])]
        people[groups[number]] = np.fromiter(zip(numbers, repeat("number"), repeat("")), object, len(numbers))
        ids = names.person_ids.array()[token[person] - PERSON].tolist()
        people[groups[person]] = np.fromiter(zip(["p:" + i for i in ids], repeat("person"), ids), object, len(ids))
        leads = ["l:" + name for name in names.leads.array()[token[lead] - LEAD].tolist()]
        people[groups[lead]] = np.fromiter(zip(leads, repeat("lead"), repeat("")), object, len(leads))
