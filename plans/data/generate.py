#!/usr/bin/env python3
"""Example data set for the Northwind Cloud FY2027 plans in plans/.

Writes, next to this file, the CSV tables every example plan runs against:

    payees.csv    37 people: a VP, 5 first-line managers, 18 AEs, 6 SEs,
                  4 SDRs and 3 partner managers
    bookings.csv  the year's deals (plus a few from December 2026 and
                  January 2028, which every plan leaves outside its term)
    splits.csv    split deals (shares written `60%` or `0.4`)
    quotas.csv    `bookings` Y1 per AE, `team` Y1 per sales manager,
                  `overlay` Q1..Q4 per SE
    metrics.csv   `mbo_score` per SE and quarter
    fx.csv        EUR -> USD on the 1st of each month, 2026-12 to 2027-12
    accounts.csv  which SDR or partner manager covers each account
                  (one account moves on 2027-06-01)

Usage (from anywhere; Python 3 standard library only):

    python3 plans/data/generate.py

The output is a pure function of this file: a fixed seed (SEED below), no
clock, no environment. Running it twice gives byte-identical files. Before
writing, it checks the rules of the data format (unique ids, known payees,
split shares summing to exactly 100%, no manager cycle, no overlapping
account rows, an fx rate for every EUR booking, no duplicate quota or metric
row, a quota row for every payee each plan makes eligible, an account owner
for every booking the territory plan credits) and stops on the first
violation.

Conventions a reader of the plans should know:
- target_incentive is the on-target incentive for the payee's time on plan in
  FY2027. For the three people who join or leave during the year (E-105,
  E-115, E-128) it is already prorated by days; the plans prorate quotas
  themselves (`prorate by days`), so a rate such as target_incentive / quota
  stays the same as for a full-year payee.
- Quotas are annual, full-year figures (the plans prorate them). They are
  sized from the generated volume so that attainment spreads across every
  tier band.
- A few bookings are placed by hand to show particular rules (Gen.scenarios
  below; plans/README.md says what to look for); the rest are drawn at
  random. Booking ids are numbered in date order after generation.
"""

import csv
import datetime as dt
import os
import random
from decimal import ROUND_HALF_UP, Decimal

SEED = 2027
OUT = os.path.dirname(os.path.abspath(__file__))

TERM_START = dt.date(2027, 1, 1)
TERM_END = dt.date(2027, 12, 31)
ACCOUNTS_FROM = dt.date(2026, 1, 1)   # coverage starts before any booking
MOVE_DATE = dt.date(2027, 6, 1)       # the one territory move
MOVING_ACCOUNT = "harborview-logistics"

# --------------------------------------------------------------------------
# The organisation (hand-written)
# --------------------------------------------------------------------------
# Teams: AMER = Enterprise Americas, EMEA = Enterprise EMEA (books mostly in
# EUR), COMM = Commercial, EMRG = Commercial Emerging (a new team whose new
# manager reports to the Commercial manager).
TEAM_MANAGER = {"AMER": "E-102", "EMEA": "E-103", "COMM": "E-104", "EMRG": "E-105"}
TEAM_SDR = {"AMER": "E-141", "EMEA": "E-142", "COMM": "E-143", "EMRG": "E-144"}
TEAM_PM = {"AMER": "E-151", "EMEA": "E-152", "COMM": "E-153", "EMRG": "E-153"}
TEAM_SES = {"AMER": ["E-131", "E-132"], "EMEA": ["E-133", "E-134"],
            "COMM": ["E-135"], "EMRG": ["E-136"]}
TEAM_ACCOUNTS = {"AMER": 16, "EMEA": 16, "COMM": 16, "EMRG": 12}
ENTERPRISE = {"AMER", "EMEA"}

# id, name, role, manager, start_date, end_date, annual target incentive (USD)
LEADERS = [
    ("E-101", "Morgan Hale", "VP", "", "2019-03-04", "", 220000),
    ("E-102", "Priya Raman", "Manager", "E-101", "2021-06-14", "", 110000),
    ("E-103", "Lukas Brenner", "Manager", "E-101", "2020-09-01", "", 110000),
    ("E-104", "Dana Whitfield", "Manager", "E-101", "2022-01-10", "", 95000),
    # New manager: joins 2027-02-01, guaranteed draw for two quarters.
    ("E-105", "Sofia Marquez", "Manager", "E-104", "2027-02-01", "", 90000),
    ("E-106", "Theo Adeyemi", "Pipeline Manager", "E-101", "2023-04-03", "", 90000),
]

# id, name, role, team, start_date, end_date, annual TI, performance (share of
# the prorated quota the AE books; drives attainment)
AES = [
    ("E-111", "Hannah Cole", "Senior AE", "AMER", "2018-05-07", "", 140000, 1.62),
    ("E-112", "Marcus Bell", "AE", "AMER", "2023-02-13", "", 125000, 1.05),
    ("E-113", "Aisha Karim", "AE", "AMER", "2024-08-19", "", 120000, 0.78),
    ("E-114", "Diego Santos", "AE", "AMER", "2021-11-01", "", 130000, 2.15),
    # Leaver: last day 2027-08-31.
    ("E-115", "Julia Novak", "AE", "AMER", "2022-03-28", "2027-08-31", 120000, 0.95),
    ("E-116", "Sebastian Roth", "Senior AE", "EMEA", "2017-10-02", "", 135000, 1.28),
    ("E-117", "Camille Laurent", "AE", "EMEA", "2024-04-08", "", 120000, 0.55),
    ("E-118", "Matteo Ricci", "AE", "EMEA", "2022-09-12", "", 125000, 1.12),
    ("E-119", "Ingrid Dahl", "AE", "EMEA", "2025-01-06", "", 115000, 0.95),
    ("E-120", "Ray Okafor, Jr.", "AE", "EMEA", "2025-06-02", "", 110000, 0.38),
    ("E-121", "Nina Petrova", "AE", "COMM", "2023-05-15", "", 90000, 1.35),
    ("E-122", "Owen Brooks", "AE", "COMM", "2024-01-22", "", 85000, 0.88),
    ("E-123", "Lena Fischer", "AE", "COMM", "2022-07-11", "", 80000, 1.02),
    ("E-124", "Tomas Herrera", "AE", "COMM", "2025-09-01", "", 85000, 0.65),
    ("E-125", "Grace Lin", "AE", "EMRG", "2024-03-04", "", 80000, 1.18),
    ("E-126", "Victor Mensah", "AE", "EMRG", "2025-02-17", "", 80000, 0.72),
    ("E-127", "Yuki Tanaka", "AE", "EMRG", "2023-10-09", "", 85000, 1.50),
    # Mid-year starter: first day 2027-05-17.
    ("E-128", "Ben Okoro", "AE", "EMRG", "2027-05-17", "", 85000, 0.90),
]

# id, name, team (the SE reports to the team's manager), start_date, annual TI, the
# share of the overlay quota the SE reaches over the year
SES = [
    ("E-131", "Ravi Shah", "AMER", "2020-02-03", 60000, 1.08),
    ("E-132", "Emma Walsh", "AMER", "2023-07-10", 55000, 0.82),
    ("E-133", "Jonas Weber", "EMEA", "2019-11-18", 60000, 1.21),
    ("E-134", "Chloe Martin", "EMEA", "2024-05-06", 55000, 0.95),
    ("E-135", "Samir Haddad", "COMM", "2022-01-03", 50000, 1.00),
    ("E-136", "Mia Johansson", "EMRG", "2025-08-25", 50000, 0.70),
]

# SDRs (one per team) and partner managers; all report to the pipeline manager.
PIPELINE = [
    ("E-141", "Lucas Moreau", "SDR", "2024-06-03", 32000),
    ("E-142", "Zoe Fontaine", "SDR", "2025-03-10", 32000),
    ("E-143", "Kofi Asante", "SDR", "2023-09-18", 30000),
    ("E-144", "Ella Nguyen", "SDR", "2025-11-03", 30000),
    ("E-151", "Carlos Rivera", "Partner Manager", "2021-04-12", 70000),
    ("E-152", "Freya Lindqvist", "Partner Manager", "2022-02-07", 70000),
    ("E-153", "Adam Kowalski", "Partner Manager", "2024-10-14", 65000),
]

# EUR -> USD on the 1st of each month from 2026-12-01 to 2027-12-01: one unit
# of EUR is this many USD until the next row.
EUR_RATES = ["1.0862", "1.0841", "1.0815", "1.0876", "1.0903", "1.0928", "1.0894",
             "1.0937", "1.0965", "1.0981", "1.0942", "1.0910", "1.0958"]

PRODUCTS = [("Security", 25), ("Compute", 30), ("Storage", 25), ("Analytics", 20)]
# Month weights: a push in the last month of each quarter.
MONTH_WEIGHTS = [5, 6, 10, 6, 7, 11, 6, 6, 11, 7, 8, 13]
QUARTER_SPLIT = [Decimal("0.22"), Decimal("0.24"), Decimal("0.25"), Decimal("0.29")]

ACCOUNT_PREFIXES = [
    "acme", "harborview", "northstar", "granite", "silverline", "redwood",
    "lakeside", "summit", "ironbridge", "brightpath", "oakmont", "clearwater",
    "pioneer", "crescent", "evergreen", "keystone", "riverbend", "stonegate",
    "sunrise", "tidewater", "copperleaf", "highland", "meridian", "westbrook",
]
ACCOUNT_SUFFIXES = [
    "foods", "logistics", "health", "bank", "energy", "retail", "labs",
    "media", "insurance", "motors", "pharma", "systems",
]

ZERO = Decimal(0)
CENT = Decimal("0.01")


def d(s):
    return dt.date.fromisoformat(s)


def money(x):
    return Decimal(x).quantize(CENT, rounding=ROUND_HALF_UP)


def fmt_money(x):
    x = money(x)
    return str(int(x)) if x == x.to_integral_value() else format(x, "f")


def days_in_term(start, end):
    a = max(start, TERM_START)
    b = min(end or TERM_END, TERM_END)
    return max(0, (b - a).days + 1)


def round_to(x, step):
    return (Decimal(x) / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step


# --------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------

class Gen:
    def __init__(self):
        self.rng = random.Random(SEED)
        self.payees = []      # dicts, in id order
        self.by_id = {}
        self.bookings = []    # dicts without ids until numbered
        self.splits = []      # (booking dict, [(payee, share text)])
        self.quotas = []
        self.metrics = []
        self.fx = []
        self.accounts = []    # (account, payee, from, to)
        self.team_accounts = {}
        self.account_cover = {}

    # ---- payees
    def make_payees(self):
        def add(pid, name, role, manager, start, end, ti_annual, team=None, perf=None):
            s = d(start)
            e = d(end) if end else None
            active = days_in_term(s, e)
            ti = Decimal(ti_annual)
            if active < 365:
                ti = money(ti * active / 365)
            p = dict(id=pid, name=name, role=role, manager=manager, start_date=s,
                     end_date=e, ti=ti, ti_annual=Decimal(ti_annual), team=team,
                     perf=perf, active_days=active)
            self.payees.append(p)
            self.by_id[pid] = p

        for pid, name, role, mgr, s, e, ti in LEADERS:
            team = next((t for t, m in TEAM_MANAGER.items() if m == pid), None)
            add(pid, name, role, mgr, s, e, ti, team)
        for pid, name, role, team, s, e, ti, perf in AES:
            add(pid, name, role, TEAM_MANAGER[team], s, e, ti, team, perf)
        for pid, name, team, start, ti, perf in SES:
            add(pid, name, "SE", TEAM_MANAGER[team], start, "", ti, team, perf)
        for pid, name, role, s, ti in PIPELINE:
            add(pid, name, role, "E-106", s, "", ti)

    def aes(self, team=None):
        return [p for p in self.payees if p["role"] in ("AE", "Senior AE")
                and (team is None or p["team"] == team)]

    # ---- accounts and coverage
    def make_accounts(self):
        rng = self.rng
        names = [p + "-" + s for p in ACCOUNT_PREFIXES for s in ACCOUNT_SUFFIXES]
        names.remove(MOVING_ACCOUNT)
        rng.shuffle(names)
        k = 0
        for team, n in TEAM_ACCOUNTS.items():
            accts = sorted(names[k:k + n])
            k += n
            self.team_accounts[team] = accts
            n_sdr = round(n * 0.7)
            for i, a in enumerate(accts):
                owner = TEAM_SDR[team] if i < n_sdr else TEAM_PM[team]
                self.account_cover[a] = owner
                self.accounts.append((a, owner, ACCOUNTS_FROM, None))
        # The moving account: Commercial until 2027-05-31, then it graduates
        # to Enterprise Americas (SDR E-143 -> SDR E-141).
        self.accounts.append((MOVING_ACCOUNT, TEAM_SDR["COMM"], ACCOUNTS_FROM,
                              MOVE_DATE - dt.timedelta(days=1)))
        self.accounts.append((MOVING_ACCOUNT, TEAM_SDR["AMER"], MOVE_DATE, None))
        self.accounts.sort(key=lambda r: (r[0], r[2]))

    def source_for(self, account):
        cover = self.account_cover.get(account, "E-141")
        role = self.by_id[cover]["role"]
        if role == "SDR":
            return "sdr" if self.rng.random() < 0.40 else "direct"
        return "partner" if self.rng.random() < 0.55 else "direct"

    # ---- fx
    def make_fx(self):
        for i, rate in enumerate(EUR_RATES):
            day = dt.date(2026 + (11 + i) // 12, (11 + i) % 12 + 1, 1)
            self.fx.append(("EUR", day, Decimal(rate)))

    def fx_on(self, day):
        rate = None
        for _, d0, r in self.fx:
            if d0 <= day:
                rate = r
        return rate

    # ---- bookings
    def pick(self, weighted):
        total = sum(w for _, w in weighted)
        x = self.rng.uniform(0, total)
        for v, w in weighted:
            x -= w
            if x <= 0:
                return v
        return weighted[-1][0]

    def random_date(self, start, end):
        """A date in [start, end] with the quarter-end push."""
        rng = self.rng
        months = [(m, MONTH_WEIGHTS[m - 1]) for m in range(1, 13)
                  if dt.date(2027, m, 1) <= end
                  and (dt.date(2027, m % 12 + 1, 1) if m < 12 else dt.date(2028, 1, 1)) > start]
        m = self.pick(months)
        first = max(dt.date(2027, m, 1), start)
        last = min((dt.date(2027, m + 1, 1) if m < 12 else dt.date(2028, 1, 1))
                   - dt.timedelta(days=1), end)
        return first + dt.timedelta(days=rng.randint(0, (last - first).days))

    def deal_size(self, team):
        mean = 72000 if team in ENTERPRISE else 36000
        size = self.rng.lognormvariate(0, 0.6) * mean * 0.84
        return min(max(size, 4000), 320000)

    def new_booking(self, owner, day, usd, status="won", product=None, account=None,
                    se="auto", currency=None, source=None, cents=None):
        rng = self.rng
        p = self.by_id[owner]
        team = p["team"]
        if currency is None:
            eur_share = 0.85 if team == "EMEA" else 0.04
            currency = "EUR" if rng.random() < eur_share else "USD"
        if currency == "EUR":
            amount = Decimal(usd) / self.fx_on(day)
        else:
            amount = Decimal(usd)
        if cents is None:
            cents = rng.random() < 0.12
        amount = money(amount) if cents else round_to(amount, 10)
        if product is None:
            product = self.pick(PRODUCTS)
        if account is None:
            account = rng.choice(self.team_accounts[team])
        if se == "auto":
            attach = 0.62 if team in ENTERPRISE else 0.45
            se = rng.choice(TEAM_SES[team]) if rng.random() < attach else ""
        if source is None:
            source = self.source_for(account)
        b = dict(date=day, amount=amount, currency=currency, owner=owner, status=status,
                 cancel_date=None, account=account, product=product, se=se or "",
                 source=source)
        self.bookings.append(b)
        return b

    def usd(self, b):
        return b["amount"] * (self.fx_on(b["date"]) if b["currency"] == "EUR" else 1)

    def make_bookings(self):
        rng = self.rng
        self.scenarios()
        for p in self.aes():
            quota = self.annual_quota(p)
            start = max(p["start_date"], TERM_START)
            end = min(p["end_date"] or TERM_END, TERM_END)
            target = Decimal(str(p["perf"])) * quota * p["active_days"] / 365
            booked = sum((self.usd(b) for b in self.bookings
                          if b["owner"] == p["id"] and b["status"] == "won"
                          and TERM_START <= b["date"] <= TERM_END), ZERO)
            n_won = 0
            while booked < target:
                size = min(Decimal(str(self.deal_size(p["team"]))), target - booked + 5000)
                b = self.new_booking(p["id"], self.random_date(start, end), size)
                booked += self.usd(b)
                n_won += 1
            # Deals that were lost, or are still open at year end: every plan
            # filters them out with `booking.status == "won"`.
            for _ in range(max(1, round(n_won * 0.13))):
                self.new_booking(p["id"], self.random_date(start, end),
                                 Decimal(str(self.deal_size(p["team"]))), status="lost")
            if end >= dt.date(2027, 11, 1) and rng.random() < 0.6:
                self.new_booking(p["id"], self.random_date(max(start, dt.date(2027, 11, 1)), end),
                                 Decimal(str(self.deal_size(p["team"]))), status="open")

        # Outside the term: December 2026 and January 2028 (won; no plan pays them).
        for owner, day, usd, cur in [
                ("E-111", "2026-12-14", 84000, "USD"), ("E-116", "2026-12-18", 61500, "EUR"),
                ("E-121", "2026-12-22", 28750, "USD"), ("E-127", "2026-12-30", 41200, "USD"),
                ("E-112", "2028-01-07", 55300, "USD"), ("E-118", "2028-01-12", 47900, "EUR"),
                ("E-125", "2028-01-19", 22600, "USD")]:
            self.new_booking(owner, d(day), Decimal(usd), currency=cur)

    def scenarios(self):
        """Hand-placed bookings; plans/README.md describes what each shows."""
        nb = self.new_booking
        # A very large Security deal: the AE plan's per-booking cap bites.
        nb("E-114", d("2027-06-24"), 520000, product="Security", se="E-131",
           currency="USD", cents=False)
        # A large EMEA Analytics deal in EUR at the September push.
        nb("E-116", d("2027-09-28"), 365000, product="Analytics", se="E-133",
           currency="EUR", cents=False)
        # The moving account: SDR-sourced deals either side of 2027-06-01.
        for owner, day, usd, product in [
                ("E-121", "2027-03-18", 42000, "Compute"),
                ("E-122", "2027-05-31", 38500, "Analytics"),   # last day with E-143
                ("E-112", "2027-06-01", 96000, "Security"),    # first day with E-141
                ("E-113", "2027-10-07", 71000, "Storage")]:
            nb(owner, d(day), usd, product=product, account=MOVING_ACCOUNT, source="sdr",
               currency="USD", cents=False)
        # The leaver (E-115, last day 2027-08-31): a deal cancelled after she
        # left, within 90 days (the reversal falls outside her active dates),
        # and a deal closed in her name after she left (unpaid credit).
        b = nb("E-115", d("2027-07-20"), 64000, product="Compute", currency="USD", cents=False)
        b["cancel_date"] = d("2027-09-10")
        nb("E-115", d("2027-09-14"), 52000, product="Storage", currency="USD", cents=False)
        # The starter (E-128, first day 2027-05-17): first deal soon after.
        nb("E-128", d("2027-05-28"), 31500, product="Security", currency="USD", cents=False)
        # A downsell recorded as a negative booking (a credit memo).
        nb("E-119", d("2027-08-16"), Decimal(-18000), product="Storage", se="",
           currency="EUR", source="direct", cents=False)
        # Quarter edges.
        nb("E-123", d("2027-03-31"), 45000, product="Compute", currency="USD", cents=False)
        nb("E-123", d("2027-04-01"), 27800, product="Analytics", currency="USD", cents=False)

    def annual_quota(self, p):
        per_ti = 10 if p["team"] in ENTERPRISE else 9
        return round_to(p["ti_annual"] * per_ti, 10000)

    # ---- ids, splits, cancellations
    def number_bookings(self):
        self.bookings.sort(key=lambda b: (b["date"], b["owner"], b["amount"], b["account"]))
        for i, b in enumerate(self.bookings):
            b["id"] = "B-%d" % (1001 + i)

    def in_term_won(self):
        return [b for b in self.bookings
                if b["status"] == "won" and TERM_START <= b["date"] <= TERM_END]

    def make_splits(self):
        rng = self.rng
        candidates = [b for b in self.in_term_won()
                      if b["amount"] > 0 and b["account"] != MOVING_ACCOUNT
                      and b["owner"] not in ("E-115",) and b["cancel_date"] is None]
        chosen = rng.sample(candidates, 14)
        chosen.sort(key=lambda b: b["id"])
        patterns = [("60%", "40%"), ("0.6", "0.4"), ("50%", "50%"), ("70%", "0.3"),
                    ("75%", "25%")]
        for i, b in enumerate(chosen):
            owner = self.by_id[b["owner"]]
            mates = [p["id"] for p in self.aes(owner["team"])
                     if p["id"] != owner["id"] and self.active(p, b["date"])]
            if i == 0:
                # One three-way split across two teams.
                other_team = "EMEA" if owner["team"] != "EMEA" else "AMER"
                third = [p["id"] for p in self.aes(other_team) if self.active(p, b["date"])]
                rows = [(owner["id"], "34%"), (rng.choice(mates), "33%"),
                        (rng.choice(third), "33%")]
            else:
                a, c = patterns[i % len(patterns)]
                rows = [(owner["id"], a), (rng.choice(mates), c)]
            self.splits.append((b, rows))
        # The starter shares a deal with a teammate once he has joined.
        b = next(b for b in self.in_term_won()
                 if b["owner"] == "E-127" and b["date"] >= d("2027-07-01")
                 and b not in [s[0] for s in self.splits] and b["cancel_date"] is None)
        self.splits.append((b, [("E-127", "50%"), ("E-128", "0.5")]))
        self.splits.sort(key=lambda s: s[0]["id"])

    def active(self, p, day):
        return p["start_date"] <= day and (p["end_date"] is None or day <= p["end_date"])

    def make_cancellations(self):
        rng = self.rng
        split_ids = {s[0]["id"] for s in self.splits}
        candidates = [b for b in self.in_term_won()
                      if b["cancel_date"] is None and b["amount"] > 0
                      and b["account"] != MOVING_ACCOUNT and b["id"] not in split_ids
                      and b["owner"] != "E-115"]
        # Days from close to cancellation: most within the 90-day clawback
        # window (exactly 90 included), one at 91 days, some later.
        offsets = [9, 16, 22, 30, 37, 44, 51, 58, 63, 70, 77, 84, 90, 91, 118, 146, 173, 205, 240]
        chosen = rng.sample(candidates, len(offsets))
        chosen.sort(key=lambda b: b["id"])
        rng.shuffle(offsets)
        for b, off in zip(chosen, offsets):
            b["cancel_date"] = b["date"] + dt.timedelta(days=off)
        # One split deal is cancelled too: every share is reversed.
        b, _ = self.splits[3]
        b["cancel_date"] = b["date"] + dt.timedelta(days=45)

    # ---- quotas and metrics
    def make_quotas(self):
        rng = self.rng
        for p in self.aes():
            self.quotas.append((p["id"], "bookings", "Y1", self.annual_quota(p)))
        for team, mgr in TEAM_MANAGER.items():
            total = sum((self.annual_quota(p) for p in self.aes(team)), ZERO)
            self.quotas.append((mgr, "team", "Y1", round_to(total * Decimal("0.9"), 10000)))
        overlay = {pid: ZERO for pid, *_ in SES}
        for b in self.in_term_won():
            if b["se"]:
                overlay[b["se"]] += self.usd(b)
        for pid, _, _, _, _, perf in SES:
            annual = round_to(overlay[pid] / Decimal(str(perf)), 10000)
            for q, share in enumerate(QUARTER_SPLIT, 1):
                self.quotas.append((pid, "overlay", "Q%d" % q, round_to(annual * share, 1000)))
        for pid, *_ in SES:
            for q in range(1, 5):
                score = rng.choice(["0.7", "0.8", "0.85", "0.9", "0.95", "1", "1", "1.05",
                                    "1.1", "1.2"])
                self.metrics.append((pid, "mbo_score", "Q%d" % q, score))
        # One SE misses the MBO threshold (0.5) in Q3.
        self.metrics = [(p, m, q, "0.4" if (p, q) == ("E-136", "Q3") else v)
                        for p, m, q, v in self.metrics]
        self.quotas.sort(key=lambda r: (r[0], r[1], r[2]))

    # ---- checks (data.md rules, and what the four plans need)
    def check(self):
        ids = [p["id"] for p in self.payees]
        assert len(ids) == len(set(ids)), "duplicate payee id"
        for p in self.payees:
            assert not p["manager"] or p["manager"] in self.by_id, p
            seen, m = {p["id"]}, p["manager"]
            while m:
                assert m not in seen, "manager cycle at " + p["id"]
                seen.add(m)
                m = self.by_id[m]["manager"]
            assert p["ti"] > 0
        bids = [b["id"] for b in self.bookings]
        assert len(bids) == len(set(bids)), "duplicate booking id"
        for b in self.bookings:
            assert b["owner"] in self.by_id
            assert not b["se"] or self.by_id[b["se"]]["role"] == "SE"
            if b["currency"] == "EUR":
                assert self.fx_on(b["date"]) is not None, "no fx for " + b["id"]
            assert b["amount"] == b["amount"].quantize(CENT)
            if b["cancel_date"]:
                assert b["cancel_date"] > b["date"]
                # A booking outside the term is never cancelled inside it.
                assert TERM_START <= b["date"] <= TERM_END
            # Owners are active on the close date, except the one deal closed
            # in the leaver's name after she left.
            owner = self.by_id[b["owner"]]
            if (b["owner"], b["date"]) != ("E-115", d("2027-09-14")):
                assert self.active(owner, b["date"]), b
        for b, rows in self.splits:
            assert b["id"] in bids
            total = ZERO
            for pid, share in rows:
                assert pid in self.by_id
                total += Decimal(share[:-1]) / 100 if share.endswith("%") else Decimal(share)
                assert self.active(self.by_id[pid], b["date"])
            assert total == 1, "split of %s sums to %s" % (b["id"], total)
            assert len({pid for pid, _ in rows}) == len(rows)
        # Accounts: rows of one account never overlap; every booking the
        # territory plan credits has an owner on its date (all bookings do).
        by_acct = {}
        for a, pid, f, t in self.accounts:
            assert pid in self.by_id
            by_acct.setdefault(a, []).append((f, t))
        for a, rows in by_acct.items():
            rows.sort()
            for (f0, t0), (f1, _) in zip(rows, rows[1:]):
                assert t0 is not None and t0 < f1, "overlap " + a
        for b in self.bookings:
            owners = [pid for a, pid, f, t in self.accounts
                      if a == b["account"] and f <= b["date"] and (t is None or b["date"] <= t)]
            assert len(owners) == 1, "account owner of " + b["id"]
            if b["source"] in ("sdr", "partner"):
                role = self.by_id[owners[0]]["role"]
                assert role == ("SDR" if b["source"] == "sdr" else "Partner Manager"), b
        keys = [(p, q, per) for p, q, per, _ in self.quotas]
        assert len(keys) == len(set(keys)), "duplicate quota row"
        keys = [(p, m, per) for p, m, per, _ in self.metrics]
        assert len(keys) == len(set(keys)), "duplicate metric row"
        have = set(keys) | {(p, q, per) for p, q, per, _ in self.quotas}
        # Every eligible payee of every plan has the rows its plan reads.
        for p in self.payees:
            if p["role"] in ("AE", "Senior AE"):
                assert (p["id"], "bookings", "Y1") in have
            if p["role"] == "Manager":
                assert (p["id"], "team", "Y1") in have
            if p["role"] == "SE":
                for q in range(1, 5):
                    assert (p["id"], "overlay", "Q%d" % q) in have
                    assert (p["id"], "mbo_score", "Q%d" % q) in have
        assert all(amount > 0 for *_, amount in self.quotas)

    # ---- output
    def write(self):
        def out(name, header, rows):
            with open(os.path.join(OUT, name), "w", newline="", encoding="utf-8") as f:
                w = csv.writer(f, lineterminator="\n")
                w.writerow(header)
                w.writerows(rows)

        def ds(x):
            return x.isoformat() if x else ""

        out("payees.csv",
            ["id", "name", "role", "manager", "start_date", "end_date", "target_incentive"],
            [[p["id"], p["name"], p["role"], p["manager"], ds(p["start_date"]),
              ds(p["end_date"]), fmt_money(p["ti"])] for p in self.payees])
        out("bookings.csv",
            ["id", "date", "amount", "currency", "owner", "status", "cancel_date",
             "account", "product", "se", "source"],
            [[b["id"], ds(b["date"]), fmt_money(b["amount"]), b["currency"], b["owner"],
              b["status"], ds(b["cancel_date"]), b["account"], b["product"], b["se"],
              b["source"]] for b in self.bookings])
        out("splits.csv", ["booking", "payee", "share"],
            [[b["id"], pid, share] for b, rows in self.splits for pid, share in rows])
        out("quotas.csv", ["payee", "quota", "period", "amount"],
            [[p, q, per, fmt_money(a)] for p, q, per, a in self.quotas])
        out("metrics.csv", ["payee", "metric", "period", "value"],
            [list(r) for r in self.metrics])
        out("fx.csv", ["currency", "date", "rate"],
            [[c, ds(day), format(r, "f")] for c, day, r in self.fx])
        out("accounts.csv", ["account", "payee", "from", "to"],
            [[a, pid, ds(f), ds(t)] for a, pid, f, t in self.accounts])


def main():
    g = Gen()
    g.make_payees()
    g.make_accounts()
    g.make_fx()
    g.make_bookings()
    g.number_bookings()
    g.make_splits()
    g.make_cancellations()
    g.make_quotas()
    g.check()
    g.write()
    won = len(g.in_term_won())
    print("wrote %d payees, %d bookings (%d won in FY2027), %d split rows, %d quota rows "
          "to %s" % (len(g.payees), len(g.bookings), won,
                     sum(len(r) for _, r in g.splits), len(g.quotas), OUT))


if __name__ == "__main__":
    main()
