"""Card payments at merchants, and the acquirer's merchant table.

A visit to a shop, bazaar, restaurant, choyxona, gym or clinic usually involves a purchase; a card holder pays
by card for a share of purchases, and only where the venue takes cards. Bazaars have several card terminals
(stalls), each its own merchant.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from izquvar.simulate.clock import Clock
from izquvar.simulate.config import SimConfig
from izquvar.simulate.places import CATEGORY, Venues
from izquvar.simulate.schedule import VENUE, Stays
from izquvar.simulate.sources.common import ArrowArray, table, take, timestamps

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Probability that a visit involves a purchase, and the median amount in sum (assumptions).
PURCHASE: dict[str, tuple[float, float]] = {
    "shop": (0.9, 35_000.0),
    "bazaar": (0.9, 120_000.0),
    "restaurant": (0.95, 90_000.0),
    "choyxona": (0.9, 60_000.0),
    "gym": (0.3, 50_000.0),
    "clinic": (0.3, 80_000.0),
}
TERMINALS_PER_BAZAAR = 5


@dataclass(frozen=True)
class Merchants:
    """Merchants by venue: ``first[v]`` … ``first[v] + count[v]`` are venue ``v``'s merchants."""

    merchant_id: ArrowArray
    venue: IntArray
    first: IntArray
    count: IntArray

    @classmethod
    def build(cls, venues: Venues) -> Merchants:
        count = np.where(venues.accepts_cards, 1, 0)
        count = np.where(venues.accepts_cards & (venues.category == CATEGORY["bazaar"]), TERMINALS_PER_BAZAAR, count)
        first = np.r_[0, np.cumsum(count)][:-1].astype(np.int64)
        venue = np.repeat(np.arange(venues.size), count)
        ids = np.char.add("M", np.char.zfill((np.arange(len(venue)) + 100001).astype(str), 9))
        return cls(pa.array(ids), venue, first, count.astype(np.int64))

    def table(self, venues: Venues) -> pa.Table:
        rank = np.arange(len(self.venue)) - self.first[self.venue] + 1
        name = np.char.add(np.char.add(venues.name[self.venue], " #"), rank.astype(str))
        return table(
            "merchants",
            {"merchant_id": self.merchant_id, "venue_id": venues.venue_id[self.venue], "name": name},
        )


@dataclass(frozen=True)
class CardDay:
    table: pa.Table
    #: Purchases by card holders at venues that take cards: the denominator of the card share.
    eligible_purchases: int


def payments(
    stays: Stays,
    venues: Venues,
    merchants: Merchants,
    card_holder: BoolArray,
    person_id: ArrowArray,
    clock: Clock,
    day: int,
    config: SimConfig,
    rng: np.random.Generator,
) -> CardDay:
    """The day's card transactions."""
    buy_p = np.zeros(len(venues.category))
    median = np.ones(len(venues.category))
    for name, (p, typical) in PURCHASE.items():
        members = venues.category == CATEGORY[name]
        buy_p[members] = p
        median[members] = typical
    at_venue = np.flatnonzero(stays.kind == VENUE)
    venue = stays.place[at_venue]
    purchase = rng.random(len(at_venue)) < buy_p[venue]
    eligible = purchase & venues.accepts_cards[venue] & card_holder[stays.person[at_venue]]
    by_card = eligible & (rng.random(len(at_venue)) < config.card_payment_share)
    sel = at_venue[by_card]
    v = venue[by_card]
    start, end = stays.start[sel], stays.end[sel]
    # pay near the end of a meal, anywhere during shopping
    eat = np.isin(venues.category[v], [CATEGORY["restaurant"], CATEGORY["choyxona"]])
    lo = np.where(eat, np.maximum(start, end - 10.0), start)
    minute: FloatArray = rng.uniform(lo, end)
    merchant = merchants.first[v] + (rng.random(len(v)) * merchants.count[v]).astype(np.int64)
    amount: FloatArray = np.round(median[v] * rng.lognormal(0.0, 0.6, len(v)), -2)
    t = table(
        "card",
        {
            "card_holder": take(person_id, stays.person[sel]),
            "time": timestamps(clock.to_utc_us(day, minute)),
            "merchant_id": take(merchants.merchant_id, merchant),
            "amount_uzs": amount,
        },
    )
    return CardDay(t, int(eligible.sum()))
