"""Where the county's people live and pass: towns, regions, police units, hotels, cafes,
checkpoints and stations, and the address expression built from them."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from hub.world import rand

__all__ = [
    "COUNTY_PREFIX",
    "REGIONS",
    "STATIONS",
    "TOWNS",
    "Place",
    "Region",
    "Unit",
    "address",
    "checkpoints",
    "hotel_count",
    "hotels",
    "netcafe_count",
    "netcafes",
    "station_unit",
    "units",
]

COUNTY_CODE = "411623"
COUNTY_PREFIX = "河南省周口市商水县"


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    province: str
    city: str
    county: str
    plate: str  # province character and city letter of its plates

    @property
    def prefix(self) -> str:
        return f"{self.province}{self.city}{self.county}"


REGIONS: list[Region] = [
    Region("411623", "河南省", "周口市", "商水县", "豫P"),
    Region("411602", "河南省", "周口市", "川汇区", "豫P"),
    Region("411621", "河南省", "周口市", "扶沟县", "豫P"),
    Region("411622", "河南省", "周口市", "西华县", "豫P"),
    Region("411624", "河南省", "周口市", "沈丘县", "豫P"),
    Region("411625", "河南省", "周口市", "郸城县", "豫P"),
    Region("411627", "河南省", "周口市", "太康县", "豫P"),
    Region("411628", "河南省", "周口市", "鹿邑县", "豫P"),
    Region("411681", "河南省", "周口市", "项城市", "豫P"),
    Region("410102", "河南省", "郑州市", "中原区", "豫A"),
    Region("341221", "安徽省", "阜阳市", "临泉县", "皖K"),
    Region("440306", "广东省", "深圳市", "宝安区", "粤B"),
    Region("350521", "福建省", "泉州市", "惠安县", "闽C"),
    Region("530102", "云南省", "昆明市", "五华区", "云A"),
    Region("320102", "江苏省", "南京市", "玄武区", "苏A"),
    Region("360124", "江西省", "南昌市", "进贤县", "赣A"),
    Region("450902", "广西壮族自治区", "玉林市", "玉州区", "桂K"),
    Region("510105", "四川省", "成都市", "青羊区", "川A"),
    Region("370102", "山东省", "济南市", "历下区", "鲁A"),
    Region("420102", "湖北省", "武汉市", "江岸区", "鄂A"),
]
ZHOUKOU = [i for i, r in enumerate(REGIONS) if r.code.startswith("4116") and r.code != COUNTY_CODE]
ELSEWHERE = [i for i, r in enumerate(REGIONS) if not r.code.startswith("4116")]

# town, weight, urban (addresses by road and building rather than by village)
TOWNS: list[tuple[str, float, bool]] = [
    ("新城街道", 6, True), ("老城街道", 5, True), ("东城街道", 5, True), ("城关乡", 5, False),
    ("黄寨镇", 5, False), ("练集镇", 5, False), ("魏集镇", 4, False), ("固墙镇", 4, False),
    ("白寺镇", 4, False), ("巴村镇", 4, False), ("谭庄镇", 4, False), ("邓城镇", 4, False),
    ("胡吉镇", 4, False), ("平店乡", 3, False), ("袁老乡", 3, False), ("化河乡", 3, False),
    ("姚集乡", 3, False), ("舒庄乡", 3, False), ("大武乡", 3, False), ("张明乡", 3, False),
    ("郝岗乡", 3, False), ("张庄乡", 3, False), ("汤庄乡", 3, False),
]  # fmt: skip
TOWN_NAMES = [t for t, _, _ in TOWNS]
URBAN = [t for t, _, urban in TOWNS if urban]
ROADS = [
    "阳城大道", "周商路", "富民路", "健康路", "新华路", "章华台路", "人民路", "商周路",
    "育才路", "建设路", "迎宾大道", "汾河路",
]  # fmt: skip
VILLAGES = [f"{sn}{suffix}村" for sn in "王李张刘陈杨赵黄周吴郭孙" for suffix in "庄楼寨营集湾岗店"]


def _short(town: str) -> str:
    return town.removesuffix("街道").removesuffix("镇").removesuffix("乡")


@dataclass(frozen=True, slots=True)
class Unit:
    code: str
    name: str
    kind: str
    town: str | None


def units() -> list[Unit]:
    """The county bureau, its brigades and centre, and one police station per town."""
    bureau = "商水县公安局"
    fixed = [
        Unit("411623000000", bureau, "bureau", None),
        Unit("411623050000", f"{bureau}刑事侦查大队", "criminal_investigation", None),
        Unit("411623060000", f"{bureau}反电信网络诈骗中心", "anti_fraud", None),
        Unit("411623070000", f"{bureau}经济犯罪侦查大队", "economic_crime", None),
        Unit("411623080000", f"{bureau}禁毒大队", "narcotics", None),
    ]
    stations = [
        Unit(f"4116235{i + 1:03d}00", f"{bureau}{_short(t)}派出所", "station", t)
        for i, t in enumerate(TOWN_NAMES)
    ]
    return fixed + stations


def station_unit(town: str) -> str:
    """Code of the police station whose area the town is."""
    return f"4116235{TOWN_NAMES.index(town) + 1:03d}00"


@dataclass(frozen=True, slots=True)
class Place:
    code: str
    name: str
    town: str


_HOTEL_WORDS = [
    "阳城",
    "周商",
    "富源",
    "金都",
    "银河",
    "华美",
    "顺达",
    "鑫源",
    "锦华",
    "佳园",
    "丰泽",
    "汇通",
    "恒泰",
    "金港",
    "福临",
    "天成",
]
_CHAINS = ["如家酒店", "汉庭酒店", "7天连锁酒店", "锦江之星", "格林豪泰", "速8酒店"]


def hotels(count: int) -> list[Place]:
    out = []
    for i in range(count):
        town = TOWN_NAMES[(i * 7) % len(TOWN_NAMES)] if i % 3 else URBAN[i % len(URBAN)]
        if i < len(_CHAINS):
            name = f"{_CHAINS[i]}(商水{ROADS[i % len(ROADS)]}店)"
        else:
            word = _HOTEL_WORDS[i % len(_HOTEL_WORDS)]
            name = f"商水县{_short(town)}{word}{'宾馆' if i % 2 else '酒店'}"
            name += f"{i // len(_HOTEL_WORDS) + 1}号店" if i >= len(_HOTEL_WORDS) else ""
        out.append(Place(f"{COUNTY_CODE}{i + 1:04d}", name, town))
    return out


def hotel_count(people: int) -> int:
    return min(120, 8 + people // 10_000)


def netcafe_count(people: int) -> int:
    return min(150, 6 + people // 8_000)


def netcafes(count: int) -> list[Place]:
    words = ["星际", "极速", "网鱼", "蓝天", "飞翔", "龙腾", "电竞", "新干线"]
    return [
        Place(
            f"41162330{i + 1:06d}",
            f"商水县{_short(TOWN_NAMES[i % len(TOWN_NAMES)])}{words[i % len(words)]}"
            f"{'网咖' if i % 2 else '网吧'}{'' if i < len(words) else str(i // len(words) + 1)}",
            TOWN_NAMES[i % len(TOWN_NAMES)],
        )
        for i in range(count)
    ]


def checkpoints() -> list[Place]:
    sites = [
        ("S206", "城关乡"), ("S206", "练集镇"), ("S238", "黄寨镇"), ("G220", "邓城镇"),
        ("G220", "魏集镇"), ("周商路", "新城街道"), ("阳城大道", "东城街道"), ("S102", "固墙镇"),
        ("S102", "白寺镇"), ("S219", "巴村镇"), ("S219", "谭庄镇"), ("县道X032", "胡吉镇"),
    ]  # fmt: skip
    return [
        Place(f"{COUNTY_CODE}1{i + 1:05d}", f"商水{road}{_short(town)}卡口", town)
        for i, (road, town) in enumerate(sites)
    ]


# the county's rail station first, then where its trains go
STATIONS = ["周口东", "郑州东", "北京西", "上海虹桥", "合肥南", "武汉", "西安北", "广州南",
            "深圳北", "杭州东", "阜阳西", "漯河西"]  # fmt: skip


def address(key: int, town: pl.Expr, region: pl.Expr) -> pl.Expr:
    """A postal address per row: in the town when town is set, else in the region.

    region is an index into REGIONS.
    """
    number = rand.randint(rand.salt(key, "n"), 1, 300).cast(pl.String)
    building = rand.randint(rand.salt(key, "b"), 1, 30).cast(pl.String)
    unit = rand.randint(rand.salt(key, "u"), 1, 5).cast(pl.String)
    room = (
        rand.randint(rand.salt(key, "f"), 1, 19) * 100 + rand.randint(rand.salt(key, "r"), 1, 5)
    ).cast(pl.String)
    road = rand.choice(rand.salt(key, "road"), ROADS)
    village = rand.choice(rand.salt(key, "village"), VILLAGES)
    urban = pl.concat_str(
        [pl.lit(COUNTY_PREFIX), town, road, number, pl.lit("号"), building, pl.lit("号楼"),
         unit, pl.lit("单元"), room, pl.lit("室")]
    )  # fmt: skip
    rural = pl.concat_str([pl.lit(COUNTY_PREFIX), town, village, number, pl.lit("号")])
    prefixes = [r.prefix for r in REGIONS]
    outside = pl.concat_str(
        [
            region.replace_strict(list(range(len(REGIONS))), prefixes, return_dtype=pl.String),
            rand.choice(rand.salt(key, "outside-road"), ["人民路", "解放路", "中山路", "建设路"]),
            number,
            pl.lit("号"),
        ]
    )
    return (
        pl.when(town.is_null()).then(outside).when(town.is_in(URBAN)).then(urban).otherwise(rural)
    )
