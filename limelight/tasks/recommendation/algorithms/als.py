"""Implicit-feedback ALS (Hu, Koren & Volinsky 2008) from the `implicit` library.

ALS's L2 penalty λ has no scale of its own, and its best value sits in a narrow band: ALS acts
like shrinking the interactions' singular values by about ``λ / alpha``, so λ must keep the
components above the noise of a matrix of that size and density and cut those inside it. The
default λ is therefore measured in that noise level, ``relative_regularization · alpha ·
noise_edge(X)`` with ``noise_edge = √(interactions per user) + √(interactions per item)``.
On MovieLens-100K (validation split of the training part; 64 factors, 30 iterations) the best
``λ / alpha`` was 10 for alpha 1, 3 and 10 alike (relative 0.73), 3x off either way lost
0.02–0.10 nDCG@10, and on subsamples of the log (40 % of the interactions, 30 % or 60 % of the
users) the best relative value was 0.63–1.13, where a λ relative to the largest singular value
moved 0.10–0.25. The default 15 iterations score as 30 did (0.2860 and 0.2863 at the
default λ). Auto searches the relative value at alpha 3, then refines it around the best.
``regularization`` > 0 sets implicit's λ directly instead.

The λ the validated fit came to is what the refit on the whole training part uses
(``fitted_params``; the manifest shows it as ``regularization``): the validation split thins
every user's history, and under that thinning the best absolute λ stays put while the noise
edge moves (nested check inside MovieLens-100K's training part, two inner splits × alpha 3 and
10: refitting the inner choice as the same absolute λ scored 0.2833–0.2880 on validation, as the
same relative value 0.2728–0.2864, the best possible 0.2860–0.2864).
"""

from __future__ import annotations

from limelight.errors import InvalidInput
from limelight.tasks.recommendation.algorithms.base import RecAlgorithm
from limelight.tasks.recommendation.algorithms.factors import ALSScorer


class ALS(RecAlgorithm):
    name = "als"
    description = (
        "implicit-feedback matrix factorization by alternating least squares (implicit), "
        "L2 relative to the noise level of the interactions"
    )
    # alpha stays at 3: the best λ / alpha was the same for alpha 1, 3 and 10, so searching
    # alpha as well mostly gave validation more chances to prefer ALS by luck (it did on two
    # of six splits, then scored 0.013-0.018 below time-ease on test)
    grid = tuple({"relative_regularization": relative} for relative in (0.4, 0.75, 1.4))
    rescale_grid = (("relative_regularization", (0.8, 1.25)),)

    def __init__(
        self,
        *,
        factors: int = 64,
        relative_regularization: float = 0.75,
        regularization: float = 0.0,
        alpha: float = 3.0,
        iterations: int = 15,
    ) -> None:
        self.factors = factors
        self.relative_regularization = relative_regularization
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations

    def build(self, seed: int) -> ALSScorer:
        checks = (
            ("factors >= 1", self.factors >= 1),
            ("iterations >= 1", self.iterations >= 1),
            ("alpha > 0", self.alpha > 0),
            ("relative_regularization > 0", self.relative_regularization > 0),
            ("regularization >= 0", self.regularization >= 0),
        )
        for needs, ok in checks:
            if not ok:
                raise InvalidInput(f"{self.name} needs {needs}", field="params")
        return ALSScorer(
            int(self.factors),
            float(self.relative_regularization),
            float(self.regularization),
            float(self.alpha),
            int(self.iterations),
        )
