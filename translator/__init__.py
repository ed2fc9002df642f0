"""The translator backend: translation, QA, summaries, attention and chunk plans for BERT-family models.

Never imports gradio; app.py is the only UI.
"""

from __future__ import annotations

from .core.errors import InputError, ModelUnavailableError, TranslatorError
from .core.loading import LoadedModel, get_cache, is_available, load_model
from .core.registry import ModelSpec, Recipe, get_registry
from .core.settings import Settings, configure, get_settings
from .tasks.attention import AttentionResult, TranslationAttention, attend, attend_translation
from .tasks.chunks import ChunkPlan, chunk_text
from .tasks.qa import Answer, QAResult, Window, answer
from .tasks.summarize import DroppedSentence, Elbow, ScoredSentence, SummaryResult, summarize
from .tasks.translate import Hypothesis, TranslatedChunk, TranslationResult, translate
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
__all__ += ["Answer", "QAResult", "Window", "answer"]
__all__ += ["DroppedSentence", "Elbow", "ScoredSentence", "SummaryResult", "summarize"]
__all__ += ["AttentionResult", "TranslationAttention", "attend", "attend_translation"]
__all__ += ["Evaluation", "FinetuneConfig", "FinetuneResult", "WarmStart", "finetune", "warm_start"]
