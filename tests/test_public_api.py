from __future__ import annotations

import limelight


def test_all_is_complete_and_importable() -> None:
    public = {n for n in dir(limelight) if not n.startswith("_")}
    assert public == {n for n in limelight.__all__ if not n.startswith("_")}
    for name in limelight.__all__:
        assert getattr(limelight, name) is not None


def test_python_api_train_and_load(home: object, review_frame: object) -> None:
    settings = limelight.Settings(home=home)
    version = limelight.train(
        "text-classification",
        review_frame,
        text="review",
        target="sentiment",
        name="review-sentiment",
        algorithm="tfidf-logreg",
        alias="production",
        settings=settings,
    )
    assert version.version == 1 and version.aliases == ("production",)
    model = limelight.load("review-sentiment@production", settings=settings)
    out = model.predict(["What a wonderful film", {"text": "A dull, lifeless mess"}])
    assert [o["label"] for o in out] == ["positive", "negative"]
