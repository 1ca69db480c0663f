"""Text normalisation shared by the index writer and the search (pure; any thread).

``normalize("Boulevard Albert 1er")`` → ``"boulevard albert 1er"``; accents and case
are folded (``"Èze"`` → ``"eze"``), punctuation becomes spaces, Chinese runs are split
from digits (``"中山路12号"`` → ``"中山路 12"``), and Traditional characters common in
place names are folded to Simplified (``"摩納哥"`` → ``"摩纳哥"``) so either script finds
the other. This is a small fold table, not a full converter: it covers the characters
of common street/place words and the demo data.
"""

from __future__ import annotations

import re
import unicodedata

# Traditional → Simplified for characters common in street, place and facility names.
_TRAD = (
    "納纳 國国 東东 門门 區区 號号 路路 灣湾 島岛 廣广 場场 橋桥 館馆 醫医 藥药 學学 車车 站站 "
    "長长 華华 陽阳 豐丰 興兴 開开 關关 鎮镇 縣县 鄉乡 莊庄 園园 廳厅 樓楼 塔塔 龍龙 鳳凤 "
    "灣湾 濱滨 澤泽 溝沟 嶺岭 崗岗 義义 爾尔 羅罗 薩萨 蘭兰 維维 漢汉 亞亚 歐欧 馬马 德德 "
    "衛卫 訊讯 銀银 郵邮 體体 堂堂 會会 莊庄 寧宁 蘇苏 慶庆 遼辽 黑黑 陝陕 貴贵 雲云 滬沪 "
    "臺台 台台 灣湾 個个 條条 號号 巷巷 弄弄 街街 裡里 裏里 鐵铁 線线 電电 際际 機机 轉转"
)
_FOLD = {pair[0]: pair[1] for pair in _TRAD.split() if len(pair) == 2}

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_SPLIT_CJK_DIGIT = re.compile(rf"(?<=[{_CJK}])(?=[0-9])|(?<=[0-9])(?=[{_CJK}])")
_NON_WORD = re.compile(rf"[^0-9a-z{_CJK}]+")
_HAO = re.compile(r"(?<=[0-9])\s*号")  # "12号" → "12"

# Abbreviations in typed queries → the words OSM names spell out.
ABBREVIATIONS = {
    "bd": "boulevard", "bld": "boulevard", "blvd": "boulevard", "bvd": "boulevard", "boul": "boulevard",
    "av": "avenue", "ave": "avenue", "avda": "avenida",
    "st": "saint", "ste": "sainte", "pl": "place", "sq": "square", "rte": "route", "ch": "chemin",
    "imp": "impasse", "all": "allee", "esc": "escalier", "qu": "quai",
    "rd": "road", "str": "street", "dr": "drive", "ln": "lane",
    "hosp": "hopital",
}
# Words that say nothing alone ("de" matches every French street): dropped from a query
# that has other words.
STOPWORDS = frozenset({"de", "la", "le", "les", "du", "des", "d", "l", "the", "of", "et", "a"})


def is_cjk(text: str) -> bool:
    return re.search(f"[{_CJK}]", text) is not None


def normalize(text: str) -> str:
    """Fold case, accents, punctuation and Traditional Chinese; see the module docstring."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(_FOLD.get(ch, ch) for ch in text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = text.replace("ß", "ss").replace("œ", "oe").replace("æ", "ae").replace("ø", "o").replace("ł", "l")
    text = _HAO.sub("", text)
    text = _SPLIT_CJK_DIGIT.sub(" ", text)
    return " ".join(_NON_WORD.sub(" ", text).split())


def query_tokens(text: str) -> list[str]:
    """The words of a typed query: normalised, abbreviations expanded, stopwords dropped."""
    words = [ABBREVIATIONS.get(word, word) for word in normalize(text).split()]
    kept = [word for word in words if word not in STOPWORDS]
    return list(dict.fromkeys(kept or words))


def cjk_bigrams(token: str) -> list[str]:
    """Overlapping two-character pieces of a Chinese word (for partial matches)."""
    return [token[i:i + 2] for i in range(len(token) - 1)] if len(token) > 2 else [token]
