"""The translator backend: translation, QA, summaries, attention and chunk plans for BERT-family models.

Never imports gradio; app.py and ui/ are the only UI, and they import only these names (and translator.render).
"""

from __future__ import annotations

from .core.cache import free_memory
from .core.errors import InputError, ModelUnavailableError, TranslatorError
from .core.loading import LoadedModel, device_and_name, get_cache, hub_reachable, is_available, load_model
from .core.registry import OFFLINE_MINILM, ModelSpec, Recipe, get_registry
from .core.results import Progress
from .core.settings import PRECISIONS, Settings, configure, get_settings
from .serving.locks import MODEL_LOCKS
from .serving.sessions import API_SESSION_SECONDS, SessionBudget, approximate_bytes
from .tasks.attention.answer_attribution import attribute_answer
from .tasks.attention.attribution import attribute
from .tasks.attention.extract import attend, attend_translation
from .tasks.attention.results import (
    ATTRIBUTION_METHODS,
    PAIR_FILTERS,
    AttentionOptions,
    AttentionResult,
    Attribution,
    TranslationAttention,
)
from .tasks.attention.select import attention_shape, fitted
from .tasks.chunks import ChunkPlan, chunk_text
from .tasks.files.corpus import translate_corpus
from .tasks.files.documents import extract_units, merge_units, translate_document
from .tasks.files.results import CorpusReport, DocumentResult, DocumentUnits
from .tasks.layers import (
    LayerEmbeddings,
    LayerToken,
    WordAcrossLayers,
    WordOccurrence,
    embed_layers,
    follow_word,
    word_across_layers,
)
from .tasks.qa import Answer, QAResult, RetrievalFallbackWarning, Window, answer
from .tasks.summarize import DroppedSentence, Elbow, ScoredSentence, SummaryResult, summarize
from .tasks.translation.beams import beam_search_tree
from .tasks.translation.compare import REFERENCE_CHARS_PER_SOURCE_CHAR, compare
from .tasks.translation.coverage import chunk_coverage, coverage
from .tasks.translation.engines.base import DECODINGS
from .tasks.translation.engines.choice import ENGINES
from .tasks.translation.results import (
    BeamHypothesis,
    BeamNode,
    BeamTree,
    Comparison,
    Coverage,
    Hypothesis,
    SteeredTranslation,
    TokenScore,
    TranslatedChunk,
    TranslationResult,
)
from .tasks.translation.steer import steer
from .tasks.translation.translate import translate
from .text.chunking import Chunk, plan_chunks
from .text.formats import FORMATS as FILE_FORMATS
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
# what the UI shows beside the functions: choices, defaults, the machine's state
__all__ += ["DECODINGS", "ENGINES", "FILE_FORMATS", "OFFLINE_MINILM", "PRECISIONS", "Progress"]
__all__ += ["device_and_name", "free_memory", "hub_reachable"]
# what a public deployment needs from the UI side: one lock per model, a byte budget for kept sessions
__all__ += ["API_SESSION_SECONDS", "MODEL_LOCKS", "SessionBudget", "approximate_bytes"]
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
__all__ += ["REFERENCE_CHARS_PER_SOURCE_CHAR", "Comparison", "Coverage", "chunk_coverage", "compare", "coverage"]
__all__ += ["BeamHypothesis", "BeamNode", "BeamTree", "TokenScore", "beam_search_tree"]
__all__ += ["SteeredTranslation", "steer"]
__all__ += ["CorpusReport", "DocumentResult", "translate_corpus", "translate_document"]
__all__ += ["DocumentUnits", "extract_units", "merge_units"]
__all__ += ["Answer", "QAResult", "RetrievalFallbackWarning", "Window", "answer"]
__all__ += ["DroppedSentence", "Elbow", "ScoredSentence", "SummaryResult", "summarize"]
__all__ += ["AttentionResult", "TranslationAttention", "attend", "attend_translation"]
__all__ += ["PAIR_FILTERS", "AttentionOptions", "attention_shape", "fitted"]
__all__ += ["ATTRIBUTION_METHODS", "Attribution", "attribute", "attribute_answer"]
__all__ += ["Evaluation", "FinetuneConfig", "FinetuneResult", "WarmStart", "finetune", "warm_start"]
__all__ += ["LayerEmbeddings", "LayerToken", "WordAcrossLayers", "WordOccurrence"]
__all__ += ["embed_layers", "follow_word", "word_across_layers"]
