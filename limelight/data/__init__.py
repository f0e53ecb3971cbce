"""Data in: readers, cleaning with a report, splits, dataset fingerprints."""

from limelight.data.cleaning import CleaningReport, clean_text_labels, normalize_text
from limelight.data.fingerprint import dataset_fingerprint
from limelight.data.readers import read_table
from limelight.data.splits import Split, random_split, stratified_split

__all__ = [
    "CleaningReport",
    "Split",
    "clean_text_labels",
    "dataset_fingerprint",
    "normalize_text",
    "random_split",
    "read_table",
    "stratified_split",
]
