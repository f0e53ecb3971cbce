"""recommendation: personalized recommendations, similar items, cold start, forget-user."""

from limelight.tasks.recommendation.recommender import Recommender
from limelight.tasks.recommendation.task import Recommendation

__all__ = ["Recommendation", "Recommender"]
