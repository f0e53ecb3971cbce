"""Small demo data sets generated from templates, so `limelight demo` needs nothing but the repo.

The sentences, the catalog, the viewing log and the ad impressions are synthetic and only meant
to show the lifecycle; real benchmarks use the shared data sets (Rotten Tomatoes, SST-2,
MovieLens, Criteo…).
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import pandas as pd

_SUBJECTS = [
    "film",
    "movie",
    "series",
    "season finale",
    "documentary",
    "album",
    "soundtrack",
    "concert",
    "game",
    "sequel",
    "pilot episode",
    "stand-up special",
    "musical",
    "anime",
    "podcast",
]
_POSITIVE = [
    "What a wonderful {s}",
    "I loved every minute of this {s}",
    "The {s} is a triumph",
    "A gorgeous, moving {s}",
    "Brilliant writing made the {s} unforgettable",
    "This {s} is funny, warm and smart",
    "The cast carries the {s} beautifully",
    "An instant classic of a {s}",
    "I would happily watch this {s} again",
    "The {s} surprised me in the best way",
    "Stunning visuals and a great score lift the {s}",
    "Easily the best {s} of the year",
    "Heartfelt and clever, the {s} works",
    "Five stars: the {s} delivers",
    "A joyful {s} that the whole family enjoyed",
]
_NEGATIVE = [
    "What a dull {s}",
    "I regret every minute of this {s}",
    "The {s} is a mess",
    "A lifeless, boring {s}",
    "Clumsy writing ruined the {s}",
    "This {s} is tedious, cold and shallow",
    "The cast cannot save the {s}",
    "A forgettable waste of a {s}",
    "I would never watch this {s} again",
    "The {s} disappointed me in every way",
    "Ugly visuals and a grating score sink the {s}",
    "Easily the worst {s} of the year",
    "Hollow and lazy, the {s} fails",
    "One star: the {s} is awful",
    "A painful {s} that nobody in the family enjoyed",
]
_TAILS = ["", ".", "!", " honestly.", " — really.", " from start to finish.", " overall.", "!!"]

_OK = [
    "Does anyone know when the next {s} comes out?",
    "Great {s}, thanks for sharing",
    "I think the {s} could use a longer intro",
    "Which {s} should I start with?",
    "The subtitles on this {s} are slightly out of sync",
    "Loved the ending of this {s}",
    "Can we get a behind-the-scenes video of the {s}?",
    "My kids keep asking for this {s}",
    "Not my favourite {s}, but the music is nice",
    "Where can I buy the {s} soundtrack?",
]
_TOXIC = [
    "You are an idiot if you liked this {s}",
    "Shut up, nobody cares about your {s} opinion",
    "Whoever made this {s} is a worthless clown",
    "Get lost, you pathetic loser",
    "This {s} is for morons like you",
    "I hope you choke on your stupid {s}",
    "Only a brain-dead fool would defend this {s}",
    "Go away, troll, you disgust me",
    "People like you ruin every {s} thread, you moron",
    "You stupid jerk, delete your account",
]


def _generate(templates: dict[str, list[str]], rows: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    out: list[tuple[str, str]] = []
    labels = list(templates)
    for i in range(rows):
        label = labels[i % len(labels)]
        text = rng.choice(templates[label]).format(s=rng.choice(_SUBJECTS)) + rng.choice(_TAILS)
        out.append((text, label))
    return out


def reviews(rows: int = 600, seed: int = 7) -> pd.DataFrame:
    """Movie/music/game reviews labelled positive or negative."""
    data = _generate({"positive": _POSITIVE, "negative": _NEGATIVE}, rows, seed)
    return pd.DataFrame(data, columns=["review", "sentiment"])


def comments(rows: int = 400, seed: int = 11) -> pd.DataFrame:
    """Viewer comments labelled ok or toxic, for a moderation model."""
    data = _generate({"ok": _OK, "toxic": _TOXIC}, rows, seed)
    return pd.DataFrame(data, columns=["comment", "moderation"])


def write_demo_data(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        name: folder / f"{name}.csv"
        for name in ("reviews", "comments", "titles", "viewing", "impressions")
    }
    reviews().to_csv(paths["reviews"], index=False)
    comments().to_csv(paths["comments"], index=False)
    titles = catalog()
    titles.to_csv(paths["titles"], index=False)
    viewing(titles).to_csv(paths["viewing"], index=False)
    impressions().to_csv(paths["impressions"], index=False)
    return paths


# A small streaming catalog: each genre has its own title words and plot lines, so the content
# model (MiniLM over title + overview) and the genre tags carry the same signal as viewing.
_GENRES: dict[str, tuple[list[str], list[str], list[str]]] = {
    "Comedy": (
        ["Awkward", "Accidental", "Ridiculous", "Lucky", "Clumsy"],
        ["Wedding", "Roommates", "Vacation", "Office", "Reunion"],
        [
            "A chaotic weekend spirals into one misunderstanding after another.",
            "Two mismatched friends bluff their way through a family gathering.",
        ],
    ),
    "Drama": (
        ["Quiet", "Broken", "Distant", "Last", "Silent"],
        ["Harbor", "Promise", "Winter", "Letters", "Inheritance"],
        [
            "A family reckons with an old secret after a funeral.",
            "A nurse in a small town faces the hardest year of her life.",
        ],
    ),
    "Action": (
        ["Iron", "Rogue", "Burning", "Final", "Midnight"],
        ["Protocol", "Convoy", "Strike", "Extraction", "Vendetta"],
        [
            "A former agent has one night to stop a heist across the city.",
            "A stunt driver is drawn into a chase with a crime syndicate.",
        ],
    ),
    "Sci-Fi": (
        ["Distant", "Quantum", "Silent", "Hollow", "Neon"],
        ["Orbit", "Colony", "Signal", "Horizon", "Machine"],
        [
            "The crew of a deep-space station receives a message from the future.",
            "An engineer discovers her android assistant is dreaming.",
        ],
    ),
    "Horror": (
        ["Hollow", "Crimson", "Forgotten", "Whispering", "Dead"],
        ["House", "Woods", "Cellar", "Lake", "Choir"],
        [
            "Friends renting a cabin find the previous guests never left.",
            "A night-shift guard hears voices from the sealed wing.",
        ],
    ),
    "Romance": (
        ["Summer", "Paper", "Second", "Sweet", "Golden"],
        ["Hearts", "Kiss", "Chance", "Serenade", "Postcards"],
        [
            "Two strangers keep meeting on the same delayed train.",
            "A baker and a food critic fall for each other against their better judgment.",
        ],
    ),
    "Animation": (
        ["Little", "Brave", "Magic", "Tiny", "Flying"],
        ["Dragon", "Robot", "Forest", "Kingdom", "Penguin"],
        [
            "A small fox sets out to bring the sun back to her valley.",
            "A toy robot crosses the city to find the child who lost him.",
        ],
    ),
    "Documentary": (
        ["Hidden", "Wild", "True", "Deep", "Lost"],
        ["Oceans", "Empire", "Frontier", "Cities", "Music"],
        [
            "Filmmakers follow a year inside a remote research station.",
            "The untold story of the studio musicians behind a decade of hits.",
        ],
    ),
}


def catalog(titles: int = 160, seed: int = 3) -> pd.DataFrame:
    """A streaming catalog: item_id (m1…), title, genres ("Comedy|Romance"), overview, year."""
    rng = random.Random(seed)
    names = list(_GENRES)
    rows: list[tuple[str, str, str, str, int]] = []
    seen: set[str] = set()
    while len(rows) < titles:
        first = names[len(rows) % len(names)]
        genres = [first] + ([rng.choice(names)] if rng.random() < 0.35 else [])
        genres = list(dict.fromkeys(genres))
        adjectives, nouns, _ = _GENRES[first]
        title = f"The {rng.choice(adjectives)} {rng.choice(nouns)}"
        if title in seen:
            title = f"{title} {rng.choice(['II', 'Returns', 'Forever', 'Rising'])}"
        if title in seen:
            continue
        seen.add(title)
        overview = " ".join(rng.choice(_GENRES[g][2]) for g in genres)
        rows.append(
            (f"m{len(rows) + 1}", title, "|".join(genres), overview, rng.randint(1995, 2026))
        )
    return pd.DataFrame(rows, columns=["item_id", "title", "genres", "overview", "year"])


def viewing(items: pd.DataFrame, users: int = 400, seed: int = 5) -> pd.DataFrame:
    """A viewing log over ``items``: user_id (u1…), item_id, rating 1-5, timestamp (seconds).

    Each viewer prefers one or two genres; titles are chosen in proportion to a Zipf-like
    popularity times 5 in a preferred genre (0.3 otherwise); ratings are higher inside the
    preferred genres; views come in sittings (seconds to minutes apart) over a few months.
    """
    rng = random.Random(seed)
    names = list(_GENRES)
    genres = [set(g.split("|")) for g in items["genres"]]
    ids = items["item_id"].tolist()
    popularity = [1.0 / (rank + 15) for rank in rng.sample(range(len(ids)), len(ids))]
    rows = []
    for u in range(1, users + 1):
        liked = set(rng.sample(names, rng.choice((1, 2))))
        weights = [p * (5.0 if g & liked else 0.3) for p, g in zip(popularity, genres, strict=True)]
        count = rng.randint(12, 45)
        chosen: list[int] = []
        while len(chosen) < count:
            pick = rng.choices(range(len(ids)), weights)[0]
            if pick not in chosen:
                chosen.append(pick)
        clock = 1_700_000_000 + rng.randint(0, 90 * 86400)
        for n, index in enumerate(chosen):
            clock += rng.randint(20, 600) if n % 8 else rng.randint(86400, 20 * 86400)
            base = 4.2 if genres[index] & liked else 2.6
            rating = min(5, max(1, round(rng.gauss(base, 0.8))))
            rows.append((f"u{u}", ids[index], rating, clock))
    return pd.DataFrame(rows, columns=["user_id", "item_id", "rating", "timestamp"])


_PLACEMENTS = {"pre-roll": 0.6, "mid-roll": 0.0, "banner": -1.5, "pause-screen": -0.6}
_DEVICES = {"tv": 0.3, "mobile": -0.2, "web": 0.0, "console": 0.1}
_CATEGORIES = ["Comedy", "Action", "Sci-Fi", "Animation", "Documentary"]


def impressions(rows: int = 4000, seed: int = 13) -> pd.DataFrame:
    """Ad impressions labelled clicked 0/1: placement, device, hour, the ad's category, the
    viewer's favourite genre, their age and the ad's length. Clicks follow a logistic model
    (placement, device, prime time, a category that matches the viewer's genre, short ads)."""
    rng = random.Random(seed)
    out = []
    for _ in range(rows):
        placement = rng.choice(list(_PLACEMENTS))
        device = rng.choice(list(_DEVICES))
        hour = rng.randint(0, 23)
        category, favourite = rng.choice(_CATEGORIES), rng.choice(_CATEGORIES)
        age = rng.randint(16, 70)
        seconds = rng.choice((6, 15, 30, 60))
        logit = (
            -2.0
            + _PLACEMENTS[placement]
            + _DEVICES[device]
            + (0.8 if 19 <= hour <= 23 else 0.0)
            + (2.0 if category == favourite else 0.0)
            - 0.02 * (seconds - 15)
            - 0.01 * (age - 35)
        )
        clicked = int(rng.random() < 1.0 / (1.0 + math.exp(-logit)))
        out.append((placement, device, hour, category, favourite, age, seconds, clicked))
    columns = ["placement", "device", "hour", "ad_category", "favourite_genre", "age"]
    return pd.DataFrame(out, columns=[*columns, "ad_seconds", "clicked"])
