"""Small demo data sets generated from templates, so `limelight demo` needs nothing but the repo.

The sentences are synthetic and only meant to show the lifecycle; real benchmarks use the
shared data sets (Rotten Tomatoes, SST-2…).
"""

from __future__ import annotations

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
    paths = {"reviews": folder / "reviews.csv", "comments": folder / "comments.csv"}
    reviews().to_csv(paths["reviews"], index=False)
    comments().to_csv(paths["comments"], index=False)
    return paths
