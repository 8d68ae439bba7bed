"""Two outside lists of the same people, as another agency would keep them: no resident ID
numbers, Western-style or pinyin names in given-name and surname columns, addresses in
parts, birth dates, and a national-insurance-like number; for the resolution benchmark
(``benchmarks/resolution.py``) and tests of ``hub match``.

List A has one clean row per person (a few values missing). List B has a row for most of
A's people and for people A lacks, written with the errors of copying: a typo in a name,
given name and surname swapped, a day and month swapped or a digit slipped in the birth
date, a typo in the street, a digit of the number wrong, and missing values.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

__all__ = ["A_COLUMNS", "B_COLUMNS", "Lists", "lists"]


def _words(text: str, sep: str | None = None) -> list[str]:
    return text.split(sep)


_GIVEN = _words(
    "James John Robert Michael William David Richard Joseph Thomas Charles Christopher Daniel "
    "Matthew Anthony Mark Donald Steven Paul Andrew Joshua Kenneth Kevin Brian George Timothy "
    "Ronald Edward Jason Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan Stephen Larry Justin "
    "Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Betty "
    "Margaret Sandra Ashley Kimberly Emily Donna Michelle Carol Amanda Dorothy Melissa Deborah "
    "Stephanie Rebecca Sharon Laura Cynthia Kathleen Amy Angela Shirley Anna Brenda Pamela Emma "
    "Olivia Sophie Chloe Grace Lucy Hannah Oliver Harry Jack Charlie Thomas Oscar Alfie Leo"
)
_SURNAMES = _words(
    "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson "
    "Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson "
    "Wood Turner Martin Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison Morgan Allen "
    "James Scott Phillips Watson Davis Parker Price Bennett Young Griffiths Mitchell Kelly "
    "Cook Carter Richardson Bailey Collins Bell Shaw Murphy Miller Cox Richards Khan Marshall "
    "Anderson Simpson Ellis Adams Singh Begum Wilkinson Foster Chapman Powell Webb Rogers Gray "
    "Mason Ali Hunt Hussain Campbell Matthews Owen Palmer Holmes Mills Barnes Knight Lloyd"
)
_PINYIN_SURNAMES = _words("Wang Li Zhang Liu Chen Yang Zhao Huang Zhou Wu Xu Sun Hu Zhu Gao Lin")
_PINYIN_GIVEN = _words(
    "Wei Fang Na Min Jing Li Qiang Lei Jun Yang Yong Yan Jie Juan Tao Ming Chao Xiuying Xia "
    "Ping Gang Gui Hui Xin Hao Yu Kai Peng Jian Hong"
)
_STREETS = _words(
    "High Street|Station Road|Main Street|Park Road|Church Road|Church Street|London Road|"
    "Victoria Road|Green Lane|Manor Road|Church Lane|Park Avenue|The Avenue|The Crescent|"
    "Queens Road|New Road|Grange Road|Kings Road|Kingsway|Windsor Road|Highfield Road|"
    "Mill Lane|Alexander Road|York Road|St. Johns Road|Main Road|Broadway|King Street|"
    "The Green|Springfield Road|George Street|Park Lane|Victoria Street|Albert Road|"
    "Queensway|New Street|Queen Street|West Street|North Street|Manchester Road",
    "|",
)
_TOWNS = _words(
    "Ashford Barnet Bedford Bolton Bristol Bury Cardiff Chester Derby Dover Durham Exeter "
    "Harrow Hull Leeds Leicester Lincoln Luton Norwich Oxford Preston Reading Salford "
    "Sheffield Slough Stockport Swindon Walsall Watford Wigan Woking York"
)
A_COLUMNS = ["rec_id", "given_name", "surname", "sex", "date_of_birth", "street_number",
             "street", "town", "postcode", "ni_number"]  # fmt: skip
B_COLUMNS = ["ref", "first_name", "last_name", "gender", "dob", "house", "address_1",
             "city", "post_code", "national_insurance"]  # fmt: skip


def feed_mapping(source: str) -> str:
    """The mapping that loads list A as a daily file feed of `source` (`HUB_MAPPINGS_DIR`)."""
    return f"""\
source: {source}
streams:
  people:
    files: "{{day}}.csv"
    format: csv
    columns: [{", ".join(A_COLUMNS)}]
    id: rec_id
    required: [rec_id]
    person:
      name: [given_name, surname]
      sex: sex
      birth_date: {{column: date_of_birth, format: "%Y%m%d"}}
      address: [street_number, street, town, postcode]
      identifiers: [{{column: ni_number, type: other, scheme: ni}}]
"""


# The layout `hub match` reads list B with.
LAYOUT_B = """\
row_id: ref
person:
  name: [first_name, last_name]
  sex: gender
  birth_date: {column: dob, format: "%Y%m%d"}
  address: [house, address_1, city, post_code]
  identifiers: [{column: national_insurance, type: other, scheme: ni}]
"""


@dataclass(frozen=True)
class Lists:
    a: pl.DataFrame  # A_COLUMNS, one row per person
    b: pl.DataFrame  # B_COLUMNS
    truth: pl.DataFrame  # ref (B's row) -> rec_id (A's row, null when A lacks the person)


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 3:
        return text
    i = rng.randrange(1, len(text) - 1)
    kind = rng.random()
    if kind < 0.4:  # replace
        return text[:i] + rng.choice(string.ascii_lowercase) + text[i + 1 :]
    if kind < 0.6:  # delete
        return text[:i] + text[i + 1 :]
    if kind < 0.8:  # insert
        return text[:i] + rng.choice(string.ascii_lowercase) + text[i:]
    return text[: i - 1] + text[i] + text[i - 1] + text[i + 1 :]  # transpose


def _ni(rng: random.Random) -> str:
    letters = "ABCEGHJKLMNPRSTWXYZ"
    digits = "".join(rng.choice(string.digits) for _ in range(6))
    return f"{rng.choice(letters)}{rng.choice(letters)}{digits}{rng.choice('ABCD')}"


def _person(rng: random.Random, n: int) -> dict[str, str]:
    if rng.random() < 0.3:
        given, surname = rng.choice(_PINYIN_GIVEN), rng.choice(_PINYIN_SURNAMES)
    else:
        given, surname = rng.choice(_GIVEN), rng.choice(_SURNAMES)
    born = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 26_000))
    return {
        "id": f"p{n}",
        "given": given,
        "surname": surname,
        "sex": rng.choice("MF"),
        "dob": born.strftime("%Y%m%d"),
        "number": str(rng.randrange(1, 200)),
        "street": rng.choice(_STREETS),
        "town": rng.choice(_TOWNS),
        "postcode": f"{rng.choice('ABCDEFGHKLMNPRSTW')}{rng.choice('ABCDEFGHKLMNPRSTW')}"
        f"{rng.randrange(1, 30)} {rng.randrange(1, 10)}"
        f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",
        "ni": _ni(rng),
    }


def _noisy_dob(rng: random.Random, dob: str) -> str:
    y, m, d = dob[:4], dob[4:6], dob[6:]
    if int(d) <= 12 and d != m and rng.random() < 0.5:
        return y + d + m  # day and month swapped
    i = rng.randrange(2, 8)
    return dob[:i] + rng.choice(string.digits.replace(dob[i], "")) + dob[i + 1 :]


def lists(people: int, seed: int = 1, overlap: float = 0.8) -> Lists:
    """List A of `people` persons and list B (the same size): `overlap` of it A's
    people, written with noise, the rest people A lacks."""
    rng = random.Random(seed)
    persons = [_person(rng, n) for n in range(people)]
    a_rows = []
    for p in persons:
        a_rows.append(
            [
                f"A{p['id'][1:]:0>6}",
                p["given"],
                p["surname"],
                p["sex"],
                p["dob"],
                p["number"],
                p["street"],
                p["town"],
                p["postcode"],
                p["ni"] if rng.random() >= 0.02 else None,
            ]
        )
    chosen = rng.sample(persons, int(people * overlap))
    known_ids = {p["id"] for p in chosen}
    strangers = [_person(rng, people + n) for n in range(people - len(chosen))]
    b_rows, truth = [], []
    for n, p in enumerate(rng.sample(chosen + strangers, len(chosen) + len(strangers))):
        given, surname, dob, ni = p["given"], p["surname"], p["dob"], p["ni"]
        street, number, town, postcode = p["street"], p["number"], p["town"], p["postcode"]
        u = rng.random
        if u() < 0.08:
            given = _typo(rng, given)
        if u() < 0.08:
            surname = _typo(rng, surname)
        if u() < 0.04:
            given, surname = surname, given
        if u() < 0.06:
            dob = _noisy_dob(rng, dob)
        if u() < 0.08:
            street = _typo(rng, street)
        if u() < 0.04:
            ni = ni[:4] + rng.choice(string.digits) + ni[5:]
        row: list[str | None] = [
            f"B{n:06d}",
            given,
            surname,
            p["sex"],
            dob,
            number,
            street,
            town,
            postcode,
            ni,
        ]
        for i, rate in ((4, 0.03), (5, 0.05), (6, 0.05), (7, 0.03), (8, 0.05), (9, 0.10)):
            if u() < rate:
                row[i] = None
        b_rows.append(row)
        known = p["id"] in known_ids
        truth.append((f"B{n:06d}", f"A{p['id'][1:]:0>6}" if known else None))
    schema_a = {c: pl.String for c in A_COLUMNS}
    schema_b = {c: pl.String for c in B_COLUMNS}
    return Lists(
        pl.DataFrame(a_rows, schema=schema_a, orient="row"),
        pl.DataFrame(b_rows, schema=schema_b, orient="row"),
        pl.DataFrame(truth, schema={"ref": pl.String, "rec_id": pl.String}, orient="row"),
    )
