"""The input fence: prompt-injection rules and classifier, sensitive-word lexicons,
per-scenario policies and indirect-injection neutralising. Entry point: `InputFence`."""

from .classifier import ClassifierError, InjectionClassifier
from .fence import DATA_MARK, InputFence, flag_document
from .findings import Finding, Verdict
from .lexicon import Lexicon, LexiconEntry, LexiconError
from .overrides import PolicyError, PolicyOverride, PolicyStore

__all__ = [
    "DATA_MARK",
    "ClassifierError",
    "Finding",
    "InjectionClassifier",
    "InputFence",
    "Lexicon",
    "LexiconEntry",
    "LexiconError",
    "PolicyError",
    "PolicyOverride",
    "PolicyStore",
    "Verdict",
    "flag_document",
]
