"""The translator backend: translation, QA, summaries, attention and chunk plans for BERT-family models.

Never imports gradio; app.py is the only UI.
"""

from __future__ import annotations

from .core.errors import InputError, ModelUnavailableError, TranslatorError
from .core.loading import LoadedModel, get_cache, is_available, load_model
from .core.registry import ModelSpec, Recipe, get_registry
from .core.settings import Settings, configure, get_settings
from .tasks.attention.extract import attend, attend_translation
from .tasks.attention.results import AttentionResult, TranslationAttention
from .tasks.chunks import ChunkPlan, chunk_text
from .tasks.files.corpus import translate_corpus
from .tasks.files.documents import translate_document
from .tasks.files.results import CorpusReport, DocumentResult
from .tasks.qa import Answer, QAResult, Window, answer
from .tasks.summarize import DroppedSentence, Elbow, ScoredSentence, SummaryResult, summarize
from .tasks.translation.beams import beam_search_tree
from .tasks.translation.compare import compare
from .tasks.translation.coverage import chunk_coverage, coverage
from .tasks.translation.results import (
    BeamHypothesis,
    BeamNode,
    BeamTree,
    Comparison,
    Coverage,
    Hypothesis,
    TokenScore,
    TranslatedChunk,
    TranslationResult,
)
from .tasks.translation.translate import translate
from .text.chunking import Chunk, plan_chunks
from .training.finetune import Evaluation, FinetuneConfig, FinetuneResult, finetune
from .training.warmstart import WarmStart, warm_start

__all__ = [
    "InputError",
    "LoadedModel",
    "ModelSpec",
    "ModelUnavailableError",
    "Recipe",
    "Settings",
    "TranslatorError",
    "configure",
    "get_cache",
    "get_registry",
    "get_settings",
    "is_available",
    "load_model",
]
__all__ += [
    "Chunk",
    "ChunkPlan",
    "Hypothesis",
    "TranslatedChunk",
    "TranslationResult",
    "chunk_text",
    "plan_chunks",
    "translate",
]
__all__ += ["Comparison", "Coverage", "chunk_coverage", "compare", "coverage"]
__all__ += ["BeamHypothesis", "BeamNode", "BeamTree", "TokenScore", "beam_search_tree"]
__all__ += ["CorpusReport", "DocumentResult", "translate_corpus", "translate_document"]
__all__ += ["Answer", "QAResult", "Window", "answer"]
__all__ += ["DroppedSentence", "Elbow", "ScoredSentence", "SummaryResult", "summarize"]
__all__ += ["AttentionResult", "TranslationAttention", "attend", "attend_translation"]
__all__ += ["Evaluation", "FinetuneConfig", "FinetuneResult", "WarmStart", "finetune", "warm_start"]
