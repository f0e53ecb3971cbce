"""Candidate algorithms of text classification: one module each, registered here."""

from limelight.tasks.base import Algorithm
from limelight.tasks.text_classification.algorithms.gru import BiGRU
from limelight.tasks.text_classification.algorithms.minilm_finetune import MiniLMFineTune
from limelight.tasks.text_classification.algorithms.minilm_logreg import MiniLMLogReg
from limelight.tasks.text_classification.algorithms.naive_bayes import NaiveBayes
from limelight.tasks.text_classification.algorithms.textcnn import TextCNN
from limelight.tasks.text_classification.algorithms.tfidf_logreg import TfidfLogReg
from limelight.tasks.text_classification.algorithms.tfidf_svm import TfidfLinearSVM

ALGORITHMS: dict[str, type[Algorithm]] = {
    cls.name: cls
    for cls in (
        TfidfLogReg,
        TfidfLinearSVM,
        NaiveBayes,
        MiniLMLogReg,
        TextCNN,
        BiGRU,
        MiniLMFineTune,
    )
}
