"""Chinese names: the vocabulary people are named from, and the ways sources misspell them.

Every character here is simplified and unchanged by OpenCC's t2s, so a truth name is
its own normal form under ``hub.normalise.person_name``. Each character has a typo
partner (a look-alike or sound-alike simplified character), a traditional form where
one exists, and a pinyin reading, so noise can be applied to whole columns at once.
"""

from __future__ import annotations

from functools import cache

import polars as pl
from opencc import OpenCC  # type: ignore[import-untyped]
from pypinyin import lazy_pinyin

__all__ = [
    "FEMALE_GIVEN",
    "MALE_GIVEN",
    "MINORITY",
    "MINORITY_ETHNICITY",
    "SURNAMES",
    "TYPO",
    "pinyin_name",
    "traditional",
    "typo",
]

# surname, pinyin, typo partner, weight (roughly per 10,000 people in the region)
_SURNAME_TABLE = """
王 Wang 汪 780|李 Li 里 720|张 Zhang 章 700|刘 Liu 柳 540|陈 Chen 程 380|杨 Yang 扬 330
赵 Zhao 照 280|黄 Huang 皇 180|周 Zhou 舟 170|吴 Wu 武 150|徐 Xu 许 140|孙 Sun 荪 150
胡 Hu 湖 150|朱 Zhu 珠 130|高 Gao 膏 130|林 Lin 琳 60|何 He 河 80|郭 Guo 国 180
马 Ma 玛 150|罗 Luo 洛 60|梁 Liang 粱 70|宋 Song 松 110|郑 Zheng 正 100|谢 Xie 射 60
韩 Han 寒 100|唐 Tang 塘 60|冯 Feng 风 90|于 Yu 余 80|董 Dong 懂 80|程 Cheng 成 70
曹 Cao 槽 80|袁 Yuan 园 70|邓 Deng 登 50|许 Xu 徐 90|沈 Shen 申 60|彭 Peng 朋 40
吕 Lv 侣 60|苏 Su 素 50|卢 Lu 芦 50|蒋 Jiang 将 40|蔡 Cai 菜 60|贾 Jia 价 70
丁 Ding 订 60|魏 Wei 巍 70|薛 Xue 雪 50|叶 Ye 页 40|余 Yu 于 40|潘 Pan 番 40
杜 Du 肚 60|夏 Xia 厦 50|田 Tian 甜 70|任 Ren 仁 60|姜 Jiang 江 40|范 Fan 犯 50
方 Fang 芳 40|石 Shi 时 60|姚 Yao 摇 40|谭 Tan 潭 30|邹 Zou 诌 20|金 Jin 全 30
郝 Hao 赫 50|孔 Kong 空 40|白 Bai 百 50|崔 Cui 催 50|康 Kang 慷 40|毛 Mao 矛 30
秦 Qin 琴 40|史 Shi 吏 50|侯 Hou 候 50|孟 Meng 猛 60|段 Duan 锻 30|常 Chang 长 50
武 Wu 吴 50|乔 Qiao 桥 40|贺 He 贸 30|耿 Geng 更 30|牛 Niu 午 40|葛 Ge 戈 30
欧阳 Ouyang 欧扬 3|司马 Sima 司玛 2|诸葛 Zhuge 诸戈 1
"""

SURNAMES: list[tuple[str, str, str, float]] = [
    (sn, py, typo, float(w))
    for line in _SURNAME_TABLE.strip().splitlines()
    for sn, py, typo, w in (item.split() for item in line.split("|"))
]

# given-name characters and their typo partners, by the sex they are usually given to
_MALE_PAIRS = (
    "伟玮 强蔷 磊垒 军君 洋扬 勇永 杰洁 涛滔 明鸣 超朝 刚钢 平萍 辉晖 志智 峰锋 东冬 "
    "亮良 宇雨 浩皓 凯恺 鑫新 鹏朋 建健 国帼 文雯 海梅 博搏 俊骏 帅师 斌彬 波泊 健建 "
    "轩宣 睿锐 泽择 成城 德得 福富 安岸 庆清 顺舜 振震 光广 立力 世士 保宝 全金 永水 "
    "胜生 武五 宏洪 跃悦 小晓 晓小 子紫"
)
_FEMALE_PAIRS = (
    "芳方 娜纳 敏民 静净 丽莉 艳燕 娟涓 秀绣 霞侠 桂贵 英瑛 华桦 玉钰 兰岚 飞菲 红虹 "
    "欣昕 怡宜 婷亭 雪学 梅玫 琳林 晨辰 佳家 慧惠 颖莹 倩茜 宁凝 嘉佳 梓子 涵含 萱宣 "
    "琪棋 思斯 雨宇 春椿 凤风 荣容 云芸 秋丘 爱艾 翠萃 莲连 淑书 珍真 美梅 花化 楠南 "
    "彤童 小晓 晓小 子紫 文雯"
)
MALE_GIVEN: list[str] = [pair[0] for pair in _MALE_PAIRS.split()]
FEMALE_GIVEN: list[str] = [pair[0] for pair in _FEMALE_PAIRS.split()]

# minority names (Uyghur, Hui, Mongolian, Tibetan) with their pinyin and sex
MINORITY: list[tuple[str, str, str]] = [
    ("阿卜杜拉·买买提", "Abudula Maimaiti", "M"),
    ("买买提·艾力", "Maimaiti Aili", "M"),
    ("艾尔肯·吐尔逊", "Aierken Tuerxun", "M"),
    ("阿力木·克热木", "Alimu Keremu", "M"),
    ("努尔兰·托合提", "Nuerlan Tuoheti", "M"),
    ("巴特尔·那顺", "Bateer Nashun", "M"),
    ("扎西·多吉", "Zhaxi Duoji", "M"),
    ("古丽·艾力", "Guli Aili", "F"),
    ("热依拉·吐尔逊", "Reyila Tuerxun", "F"),
    ("阿依古丽·吾守尔", "Ayiguli Wushouer", "F"),
    ("迪丽拜尔·阿不都", "Dilibaier Abudu", "F"),
    ("卓玛·次仁", "Zhuoma Ciren", "F"),
    ("萨仁·其木格", "Saren Qimuge", "F"),
]

# character → typo partner; compound surnames get one per character
TYPO: dict[str, str] = {
    **{pair[0]: pair[1] for pair in (_MALE_PAIRS + " " + _FEMALE_PAIRS).split()},
    **{sn: typo for sn, _, typo, _ in SURNAMES if len(sn) == 1},
    **{"欧": "殴", "阳": "扬", "司": "同", "马": "玛", "诸": "诺", "葛": "戈"},
}
_MINORITY_PINYIN = {name: py for name, py, _ in MINORITY}
# the ethnicity (民族, as an ID card writes it) of the people named in MINORITY
MINORITY_ETHNICITY: dict[str, str] = {
    name: "蒙古"
    if name.startswith("巴特尔")
    else "藏"
    if name[:2] in ("扎西", "卓玛")
    else "哈萨克"
    if name.startswith("努尔兰")
    else "维吾尔"
    for name, _, _ in MINORITY
}
_SURNAME_PINYIN = {sn: py for sn, py, _, _ in SURNAMES}


@cache
def _opencc(config: str) -> OpenCC:
    return OpenCC(config)


@cache
def _vocabulary() -> list[str]:
    words = [*MALE_GIVEN, *FEMALE_GIVEN, *TYPO, *TYPO.values()]
    chars = {ch for word in words for ch in word} | {ch for sn, *_ in SURNAMES for ch in sn}
    chars |= {ch for name, _, _ in MINORITY for ch in name}
    return sorted(chars)


@cache
def trad_map() -> dict[str, str]:
    """Simplified character → traditional form, for characters that have one."""
    s2t, t2s = _opencc("s2t"), _opencc("t2s")
    out: dict[str, str] = {}
    for ch in _vocabulary():
        trad = s2t.convert(ch)
        if trad != ch and len(trad) == 1 and t2s.convert(trad) == ch:
            out[ch] = trad
    return out


@cache
def pinyin_map() -> dict[str, str]:
    """Character → toneless pinyin in lower case."""
    return {ch: lazy_pinyin(ch)[0] for ch in _vocabulary()}


def _per_char(name: pl.Expr, mapping: dict[str, str]) -> pl.Expr:
    return name.str.split("").list.eval(pl.element().replace(mapping)).list.join("")


def traditional(name: pl.Expr) -> pl.Expr:
    """The name in traditional characters (unchanged where no character has another form)."""
    return _per_char(name, trad_map())


def pinyin_name(name: pl.Expr, surname: pl.Expr) -> pl.Expr:
    """The name in pinyin ("Zhang Xiaoming" for 张小明), given its surname column."""
    given = name.str.slice(surname.str.len_chars())
    given_py = _per_char(given, pinyin_map()).str.to_titlecase()
    han = pl.concat_str([surname.replace(_SURNAME_PINYIN), given_py], separator=" ")
    return pl.when(name.str.contains("·")).then(name.replace(_MINORITY_PINYIN)).otherwise(han)


def typo(name: pl.Expr, u: pl.Expr) -> pl.Expr:
    """One character (chosen by u in [0, 1)) replaced by its typo partner.

    Minority names lose their middle dot instead.
    """
    position = (u * name.str.len_chars()).floor().cast(pl.Int64)
    char = name.str.slice(position, 1)
    han = pl.concat_str(
        [
            name.str.slice(0, position),
            char.replace(TYPO),
            name.str.slice(position + 1),
        ]
    )
    return (
        pl.when(name.str.contains("·")).then(name.str.replace("·", "", literal=True)).otherwise(han)
    )
