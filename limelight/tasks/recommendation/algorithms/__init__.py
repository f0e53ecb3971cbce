"""Candidate algorithms of recommendation: one module each, registered here."""

from limelight.tasks.recommendation.algorithms.als import ALS
from limelight.tasks.recommendation.algorithms.base import RecAlgorithm, Scorer
from limelight.tasks.recommendation.algorithms.bpr import BPR
from limelight.tasks.recommendation.algorithms.content import Content
from limelight.tasks.recommendation.algorithms.ease import EASE
from limelight.tasks.recommendation.algorithms.hybrid import Hybrid
from limelight.tasks.recommendation.algorithms.item_knn import ItemKNN
from limelight.tasks.recommendation.algorithms.popularity import Popularity
from limelight.tasks.recommendation.algorithms.rp3beta import RP3beta
from limelight.tasks.recommendation.algorithms.time_ease import TimeEASE

ALGORITHMS: dict[str, type[RecAlgorithm]] = {
    cls.name: cls
    for cls in (Popularity, ItemKNN, RP3beta, ALS, BPR, EASE, TimeEASE, Content, Hybrid)
}

__all__ = ["ALGORITHMS", "RecAlgorithm", "Scorer"]
