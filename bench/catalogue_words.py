"""The words and names a generated catalogue is made of, and how often each word is drawn.

``build_vocabulary`` gives the keywords, most common first: real stock-photo words, then
made-up pronounceable ones; ``zipf_cdf`` gives the cumulative Zipf weights the row generator
draws them with. The other constants (cities, names, cameras, a colour palette, the small words
that link title words) are the material of titles, descriptions, profiles and metadata.
"""

from __future__ import annotations

import numpy as np

DEFAULT_VOCABULARY = 4000
ZIPF_EXPONENT = 1.0

# The words stock photographers use most, roughly most common first: the head of the Zipf
# distribution. Every word here is a single token for FTS5 and for PostgreSQL's 'english'
# configuration, and none is one of its stop words.
HEAD_WORDS = """
people nature outdoors woman lifestyle man travel city summer beautiful happy background
landscape portrait young adult sky water food business family light colorful day smiling
green blue sunset winter beach holiday natural children fun tree autumn modern architecture
street urban vintage sea sun together friends love relaxation healthy fresh night black white
red house home view flower forest mountain spring snow child girl boy couple vacation work
technology office computer laptop phone hand close texture pattern abstract wood old new
garden park river lake ocean wave sand rock stone road car bicycle walking running sport
fitness yoga dog cat animal bird horse farm field grass leaf plant coffee cup drink table
kitchen cooking eating dinner breakfast lunch restaurant bread fruit vegetable salad dessert
cake wine party celebration christmas wedding bride music guitar dance art creative design
fashion style dress hair face eyes smile laughing thinking reading book school student
learning teacher education science medicine doctor health hospital care senior baby mother
father daughter son brother sister teenager diversity culture tradition religion church
temple market shopping store money finance success teamwork meeting communication sunlight
shadow reflection window door wall floor interior bedroom bathroom living room sofa chair
bed pillow blanket candle lamp plants flowers rose tulip sunflower daisy lavender herbs
spices tea chocolate cheese pasta pizza burger sushi soup rice meat fish seafood chicken
egg milk juice beer cocktail glass bottle plate bowl spoon knife fork napkin picnic camping
hiking adventure tent backpack map journey train airport airplane boat ship bridge tower
skyline downtown building skyscraper night-time neon traffic crowd festival concert stage
light-painting fireworks lantern desert canyon valley hill meadow waterfall cave island
tropical palm coast cliff harbor lighthouse pier dock fog mist rain storm cloud cloudy
sunrise dawn dusk twilight golden hour moon stars galaxy space planet earth environment
ecology sustainability recycling energy solar wind electric industry factory construction
worker engineer tools repair craft handmade pottery painting drawing sculpture photography
camera film retro minimal simplicity calm peaceful quiet serene lonely alone emotion sad
angry surprised excited joy freedom hope dream imagination fantasy mystery dark bright
pastel pink purple yellow orange brown gray silver gold turquoise teal navy beige
""".split()

# Spelling pieces for the long tail: made-up but pronounceable words ("tavorin", "meskulo").
_ONSETS = (
    "b c d f g h j k l m n p r s t v w z br cr dr fl gr kl pl pr sk sl sn st tr ch sh th".split()
)
_VOWELS = "a e i o u a e i o ai ea ou".split()
_CODAS = ("", "", "", "n", "r", "l", "s", "m", "k", "nd", "rt", "st", "x")

# PostgreSQL's English stop words that made-up words could hit; they would match nothing there.
_STOP_WORDS = frozenset(
    "a about above after again against all am an and any are as at be because been before being "
    "below between both but by can did do does doing don down during each few for from further "
    "had has have having he her here hers him his how i if in into is it its just me more most my "
    "no nor not now of off on once only or other our out over own same she should so some such "
    "than that the their them then there these they this those through to too under until up "
    "very was we were what when where which while who whom why will with you your".split()
)

TITLE_LINKS = ("in", "at", "on", "with", "by", "near", "under", "and")
CITIES = (
    "Lisbon Oslo Nairobi Kyoto Lima Quebec Hanoi Seville Tbilisi Reykjavik Marrakesh Valparaiso "
    "Bergen Cusco Tallinn Hobart Oaxaca Porto Krakow Accra Busan Cork Ghent Mendoza Bologna"
).split()
FIRST_NAMES = (
    "Ada Amara Ana Ben Carla Chen Dara Elif Emil Farah Greta Hana Ines Ivan Jonas Kai Lena Luca "
    "Maya Mina Nadia Noah Omar Priya Rosa Sami Sofia Tariq Uma Yara Zoe Aiko Bruno Chloe Diego"
).split()
LAST_NAMES = (
    "Okafor Lindqvist Moreau Tanaka Silva Novak Haddad Kowalski Rossi Nguyen Fischer Garcia "
    "Mensah Oliveira Petrov Sato Jensen Murphy Dubois Costa Ibrahim Kaur Alvarez Berg Yilmaz"
).split()
CAMERAS = (
    ("Canon EOS R5", "RF 24-70mm F2.8L"),
    ("Nikon Z 7II", "NIKKOR Z 24-120mm f/4 S"),
    ("Sony ILCE-7M4", "FE 35mm F1.4 GM"),
    ("Fujifilm X-T5", "XF 16-55mm F2.8"),
    ("Leica Q2", "Summilux 28mm f/1.7"),
    ("Apple iPhone 15 Pro", "iPhone 15 Pro back camera"),
)
# Dominant colours are drawn near these (sRGB), with a little jitter.
PALETTE = (
    (0x1B, 0x3A, 0x5C), (0x2E, 0x6F, 0xB5), (0x87, 0xC5, 0xEB), (0x2F, 0x5D, 0x3A),
    (0x6B, 0x8E, 0x23), (0xA8, 0xD5, 0x8F), (0xF4, 0xE1, 0xC1), (0xD2, 0xB4, 0x8C),
    (0x8B, 0x5A, 0x2B), (0x4A, 0x2C, 0x1A), (0xE0, 0x6C, 0x3C), (0xF2, 0xA6, 0x3B),
    (0xF7, 0xD0, 0x4A), (0xC0, 0x39, 0x2B), (0x8E, 0x1B, 0x3A), (0xE8, 0x9A, 0xB5),
    (0x7D, 0x3C, 0x98), (0x20, 0x20, 0x20), (0x60, 0x60, 0x60), (0xB0, 0xB0, 0xB0),
    (0xF5, 0xF5, 0xF0), (0x00, 0x80, 0x80), (0x3E, 0x4A, 0x61), (0xC9, 0xA2, 0x27),
)  # fmt: skip


def build_vocabulary(size: int = DEFAULT_VOCABULARY, seed: int = 0) -> list[str]:
    """``size`` distinct words, most common first: ``HEAD_WORDS``, then made-up words."""
    words: list[str] = []
    seen: set[str] = set()
    for word in HEAD_WORDS:
        if word not in seen and "-" not in word:
            seen.add(word)
            words.append(word)
    rng = np.random.default_rng([seed, 7])
    while len(words) < size:
        syllables = int(rng.integers(2, 4))
        word = "".join(
            _ONSETS[int(rng.integers(len(_ONSETS)))]
            + _VOWELS[int(rng.integers(len(_VOWELS)))]
            + (_CODAS[int(rng.integers(len(_CODAS)))] if i == syllables - 1 else "")
            for i in range(syllables)
        )
        if len(word) >= 5 and word not in seen and word not in _STOP_WORDS:
            seen.add(word)
            words.append(word)
    return words[:size]


def zipf_cdf(size: int, exponent: float = ZIPF_EXPONENT) -> np.ndarray:
    weights = 1.0 / np.arange(1, size + 1, dtype=np.float64) ** exponent
    cdf = np.cumsum(weights / weights.sum())
    cdf[-1] = 1.0
    return cdf
